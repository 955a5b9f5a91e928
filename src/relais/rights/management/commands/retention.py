"""`relais retention [--dry-run] [--years N]`: the retention policy, now (docs/retention.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from relais.rights import retention


class Command(BaseCommand):
    help = ("Anonymise the closed records with no activity for RELAIS_RETENTION_YEARS "
            "(the worker does it daily). --dry-run prints what would be anonymised, as "
            "counts, and changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="count what would be anonymised; change nothing")
        parser.add_argument("--years", type=int, default=None,
                            help="the retention period for this run (default: the setting)")

    def handle(self, *args, dry_run=False, years=None, **options):
        years = settings.RELAIS_RETENTION_YEARS if years is None else years
        if years < 1:
            raise CommandError(f"--years must be at least 1, got {years}")
        now = timezone.now()
        if dry_run:
            self._dry_run(now, years)
            return
        done = retention.run(now=now, years=years)
        self.stdout.write(f"anonymised {done} person(s): closed and without activity "
                          f"since {retention.cutoff(now, years):%Y-%m-%d} ({years} years)")

    def _dry_run(self, now, years):
        plan = retention.plan(now, years)
        self.stdout.write(f"dry run: nothing changed. Retention {years} years: no activity "
                          f"since {retention.cutoff(now, years):%Y-%m-%d}")
        self.stdout.write(f"{plan.persons} person(s) would be anonymised "
                          f"({plan.deceased} deceased, {plan.persons - plan.deceased} with "
                          f"nothing open)")
        for label, count in plan.rows.items():
            self.stdout.write(f"  {label}: {count}")
