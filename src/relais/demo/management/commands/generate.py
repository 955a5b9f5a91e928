"""`relais generate`: a synthetic, reproducible population for benchmarks (docs/bench.md).

    relais generate --persons 1000000 [--seed 1] [--chunk 1000] [--as-of 2026-12-01]
                    [--stays-per-person 2.05] [--referrals-per-stay 0.5]
                    [--followups-per-stay 0.5] [--entries-per-person 22]
                    [--audit-per-person 50]

Refuses a database with persons it did not make. Ctrl+C stops after undoing the chunk
under way; the same command resumes.
"""

import signal
import sys
import time
from datetime import UTC, datetime
from datetime import time as day_time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.demo.generate.names import Unavailable
from relais.demo.generate.progress import Progress, duration
from relais.demo.generate.run import Options, Refused, generate


class Command(BaseCommand):
    help = ("Generate a synthetic, reproducible population (persons, networks, stays, "
            "referrals, follow-ups, consents, booklet entries, audit events) in an empty "
            "database, or resume one; refuses a database with real data.")

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--chunk", type=int, default=1_000, help="persons per chunk")
        parser.add_argument("--as-of", default=None,
                            help="YYYY-MM-DD: every generated date is before it (default: now)")
        # A little above 2 and 20: a stay that would begin after --as-of is not made, and a
        # person with no professional in their network has no booklet. So a million
        # persons hold over 2 million stays and 20 million entries, as issue 18 asks.
        parser.add_argument("--stays-per-person", type=float, default=2.05)
        parser.add_argument("--referrals-per-stay", type=float, default=0.5)
        parser.add_argument("--followups-per-stay", type=float, default=0.5,
                            help="share of discharges home that get a follow-up")
        parser.add_argument("--entries-per-person", type=float, default=22.0)
        parser.add_argument("--audit-per-person", type=float, default=50.0)

    def handle(self, *args, **options):
        settings = Options(
            persons=options["persons"], seed=options["seed"], chunk_size=options["chunk"],
            as_of=_date(options["as_of"]) if options["as_of"] else timezone.now().replace(
                second=0, microsecond=0),
            ratios={"stays": options["stays_per_person"],
                    "referrals": options["referrals_per_stay"],
                    "followups": options["followups_per_stay"],
                    "entries": options["entries_per_person"],
                    "audit": options["audit_per_person"]})
        progress = Progress(self.stderr, settings.persons, terminal=sys.stderr.isatty())
        signal.signal(signal.SIGTERM, _stop)  # stopped like Ctrl+C: the chunk is undone
        started = time.perf_counter()
        try:
            dataset = generate(settings, progress)
        except Refused as refusal:
            raise CommandError(str(refusal)) from None
        except Unavailable:
            raise CommandError(_("relais generate needs Faker: pip install "
                                 "'relais[generate]'.")) from None
        except KeyboardInterrupt:
            raise CommandError(_("Interrupted: the chunk under way was undone. Run the same "
                                 "command again to resume."), returncode=130) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(_("%(persons)s synthetic persons ready (seed %(seed)s): %(rows)s "
                            "rows in %(time)s, %(rate)s rows/s.") % {
            "persons": f"{dataset.persons:,}", "seed": dataset.seed,
            "rows": f"{progress.rows:,}", "time": duration(elapsed),
            "rate": f"{progress.rate(elapsed):,.0f}"})


def _date(text: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(_("“%(date)s” is not a date (YYYY-MM-DD).") % {"date": text}) from None
    # In UTC, as the database gives times back: audit leaves hash the time's text.
    return datetime.combine(day, day_time(0), tzinfo=timezone.get_current_timezone()
                            ).astimezone(UTC)


def _stop(signum, frame):
    raise KeyboardInterrupt
