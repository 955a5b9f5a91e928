"""`relais observatory compute|export`: the observatory's figures from the command line.

    relais observatory compute [--zone CODE] [--since YYYY-MM-DD]
    relais observatory export --zone CODE|brussels --period 2025|2025-Q2|2025-04[..2025-12]
                              [--format csv|excel|json] [--output FILE] [--threshold N]
                              [--rounding N]

`compute` is what the worker runs each night. `export` writes published figures only
(the pages' suppression), to standard output or whole to --output (never half-written);
each export is audited. `--format csv` is for scripts (comma, decimal point, no
byte-order mark); `excel` is the CSV a spreadsheet in Belgium opens (`;`, byte-order
mark, decimal comma in Dutch and French: the command's language). Bad input (an unknown
zone, an impossible period, a threshold below 5) is refused with a message and changes
nothing.
"""

import sys
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from relais.audit.log import record
from relais.core.models import CareZone
from relais.observatory import compute, exports, figures
from relais.observatory.models import REGION

BRUSSELS = figures.BRUSSELS


class Command(BaseCommand):
    help = "Compute the observatory's figures, or export the published ones."

    def add_arguments(self, parser):
        operations = parser.add_subparsers(dest="operation", required=True)
        run = operations.add_parser("compute", help="compute the figures now")
        run.add_argument("--zone", default="", help="recompute only this care zone")
        run.add_argument("--since", default="", help="recompute from this date's year")
        export = operations.add_parser("export", help="write published figures")
        export.add_argument("--zone", required=True, help=f"a care zone's code, or {BRUSSELS}")
        export.add_argument("--period", required=True,
                            help="2025, 2025-Q2, 2025-04, or a range such as 2025-01..2025-06")
        export.add_argument("--format", choices=exports.FORMATS, default="csv",
                            help="csv: for scripts (comma); excel: for a spreadsheet (;); json")
        export.add_argument("--output", default="", help="a file (default: standard output)")
        export.add_argument("--threshold", default=None)
        export.add_argument("--rounding", default=None)

    def handle(self, *args, operation, **options):
        try:
            if operation == "compute":
                self.compute(options["zone"], options["since"])
            else:
                self.export(options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

    def compute(self, zone: str, since: str) -> None:
        if zone:
            zone_code(zone, allow_brussels=False)
        run = compute.compute(zone=zone, since=parse_date(since) if since else None)
        self.stdout.write(f"computed {run.rows} figures ({run.finished_at:%Y-%m-%d %H:%M})")

    def export(self, options) -> None:
        zone = zone_code(options["zone"])
        kind, start, end = figures.parse_periods(options["period"])
        opts = figures.options(options["threshold"], options["rounding"])
        cells = figures.table(figures.COMMAND_LINE, zone=zone, period=kind, start=start,
                              end=end, opts=opts)
        about = {"zone": zone or BRUSSELS, "period": options["period"],
                 "computed_at": figures.computed_at(), "threshold": opts.threshold,
                 "rounding": opts.rounding}
        chunks = exports.lines(cells, options["format"], about)
        if options["output"]:
            exports.write_file(options["output"], chunks)
        else:
            for chunk in chunks:
                sys.stdout.write(chunk)
        record("observatory.exported", target_type="core.carezone", target_id=zone or BRUSSELS,
               detail={"period": options["period"], "format": options["format"],
                       "threshold": opts.threshold, "by": "command line"})


def zone_code(text: str, *, allow_brussels=True) -> str:
    text = text.strip()
    if allow_brussels and text.lower() == BRUSSELS:
        return REGION
    if not CareZone.objects.filter(code=text).exists():
        raise ValidationError(_("There is no care zone “%(zone)s”."), code="zone",
                              params={"zone": text[:20]})
    return text


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(_("“%(date)s” is not a date (YYYY-MM-DD)."), code="date",
                              params={"date": text[:20]}) from None
