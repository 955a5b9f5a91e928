"""`relais adt-listen`: receive a hospital's HL7 v2 ADT feed over MLLP."""

import signal

from django.core.management.base import BaseCommand

from relais.interop import adt
from relais.interop.mllp import MllpServer


class Command(BaseCommand):
    help = ("Listen for HL7 v2 ADT messages (MLLP). Each message is stored and applied "
            "before its ACK is sent.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=2575,
                            help="TCP port (default 2575, the usual MLLP port)")

    def handle(self, *args, host, port, **options):
        server = MllpServer((host, port), adt.handle_frame)
        signal.signal(signal.SIGTERM, _interrupt)
        self.stdout.write(f"Listening for HL7 ADT (MLLP) on {host}:{server.port}")
        self.stdout.flush()
        thread = server.start_in_thread()
        try:
            while thread.is_alive():
                thread.join(1)
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            server.stop()


def _interrupt(signum, frame):
    """SIGTERM (systemd, docker stop) ends like Ctrl+C: `stop()` lets each connection
    finish the message it is on, so none is cut in the middle of its transaction."""
    raise KeyboardInterrupt
