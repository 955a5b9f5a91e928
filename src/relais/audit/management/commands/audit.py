import itertools
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.utils import OperationalError
from django.utils import timezone

from relais.audit import partitions, sealing, verification
from relais.audit.log import chain_head, verify_chain
from relais.audit.models import AuditEvent
from relais.core.text import is_digits

ALARM_EXIT = 2  # no tampering found, but events wait for the sealer too long


class Command(BaseCommand):
    help = ("Audit log tools. `audit verify` checks every sealed batch and the hash chain "
            "of the oldest events, and names every altered event; `audit seal` seals what "
            "is committed now; `audit proof <event id>` prints and checks an inclusion "
            "proof; `audit partitions` makes the coming months' partitions (PostgreSQL) and "
            "lists them; `audit detach YYYY-MM` takes a past, sealed month out of the log "
            "as an archive table (retention: docs/audit.md).")

    def add_arguments(self, parser):
        parser.add_argument("operation",
                            choices=["verify", "seal", "proof", "partitions", "detach"])
        parser.add_argument("argument", nargs="?", help="proof: an event id; detach: YYYY-MM")

    def handle(self, *args, operation, argument=None, **options):
        if operation == "seal":
            count = sealing.seal(grace=timedelta(0))
            self.stdout.write(f"sealed {count} events")
        elif operation == "proof":
            self._proof(int(argument) if argument and is_digits(argument) else None)
        elif operation == "partitions":
            self._partitions()
        elif operation == "detach":
            self._detach(argument)
        else:
            self._verify()

    def _verify(self):
        summary = verification.Summary()
        problems = 0
        # Printed as found: nothing is kept but the count, however broken the log.
        for problem in itertools.chain(verify_chain(), verification.verify_batches(summary)):
            problems += 1
            self.stderr.write(f"BROKEN {problem}")
        chained, _ = chain_head()
        counts = (f"{summary.sealed} events in {summary.batches} batches "
                  f"({chained} of them hash-chained), {summary.unsealed} not sealed yet")
        if summary.archived or summary.detachments:
            counts += f", {summary.archived} archived"
            for detachment in summary.detachments:
                self.stdout.write(f"ARCHIVED {detachment}")
        if problems:
            raise CommandError(f"audit log: {problems} problem(s); {counts}")
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

    def _partitions(self):
        if not partitions.is_partitioned():
            self.stdout.write("the audit log is one table (partitions: PostgreSQL only)")
            return
        made = partitions.ensure()
        self.stdout.write(f"{made} partition(s) made")
        for partition in partitions.partitions():
            span = (f"{partition.start:%Y-%m-%d} – {partition.end:%Y-%m-%d}"
                    if partition.start else "any other time")
            rows = "?" if partition.rows < 0 else f"~{partition.rows}"
            self.stdout.write(f"{partition.month}\t{partition.name}\t{span}\t{rows} events")

    def _detach(self, month):
        try:
            start = datetime.strptime(month or "", "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            raise CommandError("audit detach YYYY-MM: which month?") from None
        try:
            event = partitions.detach(start)
        except partitions.PartitionError as error:
            raise CommandError(f"not detached: {error}") from None
        except OperationalError as error:  # lock_timeout: busy readers or writers
            raise CommandError(f"not detached, nothing changed ({error}); try again") from None
        detail = event.detail
        self.stdout.write(f"{detail['month']}: {detail['count']} events detached into "
                          f"{detail['archive']} (recorded as event id {event.pk}); "
                          f"`relais audit verify` counts them as archived")
        self.stdout.write(f"archive it: pg_dump -Fc -t {detail['archive']} -f "
                          f"{detail['archive']}.dump <database>; then DROP TABLE "
                          f"{detail['archive']}")
