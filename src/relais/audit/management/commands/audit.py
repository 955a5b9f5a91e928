from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from relais.audit import sealing, verification
from relais.audit.log import chain_head, verify_chain
from relais.audit.models import AuditEvent

ALARM_EXIT = 2  # no tampering found, but events wait for the sealer too long


class Command(BaseCommand):
    help = ("Audit log tools. `audit verify` checks every sealed batch and the hash chain "
            "of the oldest events, and names every altered event; `audit seal` seals what "
            "is committed now; `audit proof <event id>` prints and checks an inclusion proof.")

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify", "seal", "proof"])
        parser.add_argument("event_id", nargs="?", type=int)

    def handle(self, *args, operation, event_id=None, **options):
        if operation == "seal":
            count = sealing.seal(grace=timedelta(0))
            self.stdout.write(f"sealed {count} events")
        elif operation == "proof":
            self._proof(event_id)
        else:
            self._verify()

    def _verify(self):
        summary = verification.Summary()
        problems = list(verify_chain()) + list(verification.verify_batches(summary))
        for problem in problems:
            self.stderr.write(f"BROKEN {problem}")
        chained, _ = chain_head()
        counts = (f"{summary.sealed} events in {summary.batches} batches "
                  f"({chained} of them hash-chained), {summary.unsealed} not sealed yet")
        if problems:
            raise CommandError(f"audit log: {len(problems)} problem(s); {counts}")
        if verification.sealer_is_late(summary):
            age = (timezone.now() - summary.oldest_unsealed).total_seconds()
            self.stderr.write(f"ALARM the oldest unsealed event waits for {age:.0f} s "
                              f"(sealing delay {sealing.SEALING_DELAY.seconds} s): is the "
                              "worker running?")
            raise CommandError(f"audit log: sealer late; {counts}", returncode=ALARM_EXIT)
        self.stdout.write(f"audit log OK: {counts}; head {summary.head}")

    def _proof(self, event_id):
        event = AuditEvent.objects.filter(pk=event_id).first() if event_id else None
        if event is None:
            raise CommandError("audit proof <event id>: no such event")
        proof = verification.proof_for(event)
        if proof is None:
            raise CommandError(f"event id {event.pk} is not sealed yet")
        self.stdout.write(f"event id {event.pk}: leaf {proof.index} of {proof.batch}")
        self.stdout.write(f"leaf hash {proof.leaf.hex()}")
        for level, sibling in enumerate(proof.path):
            self.stdout.write(f"path {level} {sibling.hex()}")
        self.stdout.write(f"root {proof.root.hex() if proof.root else '-'}")
        self.stdout.write(f"batch root {proof.batch.root}, head {proof.batch.head}")
        if not proof.holds:
            raise CommandError("the proof does NOT hold: the event or its batch was altered")
        self.stdout.write("the proof holds")
