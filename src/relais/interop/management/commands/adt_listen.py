"""`relais adt-listen`: receive a hospital's HL7 v2 ADT feed over MLLP, and apply it (an
applier process, `relais adt-apply`, started beside the listener)."""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError

from relais.core import heartbeat
from relais.interop.adt.feed import Feed
from relais.interop.mllp import MllpServer


class Command(BaseCommand):
    help = ("Listen for HL7 v2 ADT messages (MLLP). Each message is stored before its ACK is "
            "sent, then applied in order per patient by the applier this command starts.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=2575,
                            help="TCP port (default 2575, the usual MLLP port)")
        parser.add_argument("--processes", type=int, default=1,
                            help="listener processes sharing the port (default 1); each "
                                 "sender's connection stays with one of them")
        parser.add_argument("--appliers", type=int, default=1,
                            help="applier processes to start (default 1; 0 when appliers "
                                 "run elsewhere: relais adt-apply)")
        parser.add_argument("--share-port", action="store_true", help="(used by --processes)")

    def handle(self, *args, host, port, processes, appliers, share_port, **options):
        if processes < 1 or appliers < 0:
            raise CommandError("--processes must be at least 1, --appliers at least 0.")
        if processes > 1 and port == 0:
            raise CommandError("--processes needs a fixed --port.")
        sharing = share_port or processes > 1
        server = MllpServer((host, port), Feed(), reuse_port=sharing)
        others = [_start_another(host, port) for _ in range(processes - 1)]
        others += [_start_applier() for _ in range(0 if share_port else appliers)]
        for other in others:
            if other.stdout:
                other.stdout.readline()  # it listens too: now "Listening" is true of all
        signal.signal(signal.SIGTERM, _interrupt)
        if share_port:
            self.stdout.write("ready")
            self.stdout.flush()
        else:
            self.stdout.write(f"Listening for HL7 ADT (MLLP) on {host}:{server.port}"
                              + (f" with {processes} processes" if processes > 1 else "")
                              + f", applied by {appliers} applier process(es)")
            self.stdout.flush()
        thread = server.start_in_thread()
        beating = heartbeat.Beating(heartbeat.ADT_LISTENER, alive=thread.is_alive)
        if not share_port:  # one report per listener, read by /readyz
            beating.start()
        try:
            while thread.is_alive():
                thread.join(1)
        except KeyboardInterrupt:
            if not share_port:
                self.stdout.write("Stopping…")
        finally:
            for other in others:
                other.terminate()
            server.stop()
            if beating.is_alive():
                beating.stop(wait=1)
            for other in others:
                other.wait(30)


def _start_another(host: str, port: int) -> subprocess.Popen:
    # Our own interpreter and command, with the operator's own host and port.
    return subprocess.Popen([sys.executable, "-m", "relais.config.cli", "adt-listen",  # noqa: S603
                             "--host", host, "--port", str(port), "--share-port"],
                            stdout=subprocess.PIPE, text=True)


def _start_applier() -> subprocess.Popen:
    """It stops when this listener does, even killed (it watches its parent)."""
    return subprocess.Popen([sys.executable, "-m", "relais.config.cli", "adt-apply",  # noqa: S603
                             "--parent", str(os.getpid())])


def _interrupt(signum, frame):
    """SIGTERM (systemd, docker stop) ends like Ctrl+C: `stop()` lets each connection
    finish the message it is on, so none is cut in the middle of its transaction."""
    raise KeyboardInterrupt
