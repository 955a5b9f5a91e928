"""`relais adt-apply`: apply the ADT messages the listener stored (the inbox), in order per
patient. `relais adt-listen` starts one (`--appliers`); run more, here or on other
machines, to apply faster on PostgreSQL: they never take the same message."""

import os
import signal

from django.core.management.base import BaseCommand

from relais.core import heartbeat
from relais.interop.adt.inbox import Applier

STOP_WAIT_SECONDS = 8  # within `relais run`'s grace of 10 s
# Acknowledging is what a sender waits for; applying is behind anyway: on a busy machine
# the listener goes first (a lower CPU priority for the applier, as `nice` gives).
NICENESS = 10


class Command(BaseCommand):
    help = ("Apply the ADT messages the listener stored, in order per patient (several may "
            "run at once).")

    def add_arguments(self, parser):
        parser.add_argument("--parent", type=int, default=0,
                            help="stop when this process (the listener that started this "
                                 "one) is gone")
        parser.add_argument("--nice", type=int, default=NICENESS,
                            help=f"lower CPU priority than the listener (default {NICENESS}; "
                                 "0: the same)")

    def handle(self, *args, parent, nice, **options):
        os.nice(max(nice, 0))
        signal.signal(signal.SIGTERM, _interrupt)
        applier = Applier()
        applier.start()
        beating = heartbeat.Beating(heartbeat.ADT_APPLIER, alive=applier.is_alive)
        beating.start()
        try:
            while applier.is_alive() and (not parent or os.getppid() == parent):
                applier.join(1)
        except KeyboardInterrupt:
            pass
        finally:
            # Ctrl+C reaches every process of `relais run`, which then sends SIGTERM too:
            # a second signal while the batch is finished would cut it (and print a
            # traceback). The wait is bounded; then the process ends.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            applier.stop(wait=STOP_WAIT_SECONDS)
            beating.stop(wait=1)


def _interrupt(signum, frame):
    """SIGTERM ends like Ctrl+C: the batch under way is finished (or undone), not cut."""
    raise KeyboardInterrupt
