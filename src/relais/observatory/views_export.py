"""The observatory's export for the web: published figures as CSV or JSON, streamed.

    /observatory/<zone>/export/?period=2025-Q1&format=csv&threshold=10

`format` is `excel` (the CSV a spreadsheet in Belgium opens: `;`, byte-order mark,
decimal comma in NL/FR), `csv` (for scripts: comma, decimal point) or `json`.

`zone` is a care zone's code or "brussels". Bad input (an unknown period, a threshold
below 5) is answered 400 with the reason in the reader's language; a zone the account
may not see is a 404, as on the dashboard. Every export is audited.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from relais.audit.log import record
from relais.observatory import exports, figures
from relais.observatory.models import REGION, PeriodKind


@login_required
@require_GET
def export(request, zone):
    code = REGION if zone == figures.BRUSSELS else zone
    figures.check_zone(request.user, code)  # Http404 for a zone not the account's
    try:
        kind, start, end, opts, fmt = _read(request.GET, code)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400,
                            content_type="text/plain; charset=utf-8")
    record("observatory.exported", actor=request.user, target_type="core.carezone",
           target_id=zone, detail={"period": f"{start}..{end}", "kind": kind, "format": fmt,
                                   "threshold": opts.threshold})
    cells = figures.table(request.user, zone=code, period=kind, start=start, end=end,
                          opts=opts)
    about = {"zone": zone, "period": request.GET.get("period", str(start.year)),
             "computed_at": figures.computed_at(), "threshold": opts.threshold,
             "rounding": opts.rounding}
    response = StreamingHttpResponse(exports.lines(cells, fmt, about),
                                     content_type=exports.CONTENT_TYPES[fmt])
    name = f"relais-observatory-{zone}-{timezone.localdate():%Y%m%d}.{exports.EXTENSIONS[fmt]}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _read(query, zone: str):
    fmt = query.get("format", "csv")
    if fmt not in exports.FORMATS:
        fmt = "csv"
    opts = figures.options(query.get("threshold"), query.get("rounding"))
    if query.get("period"):
        kind, start, end = figures.parse_periods(query["period"])
    else:  # the latest year with figures
        latest = figures.latest_period(zone, PeriodKind.YEAR) or timezone.localdate()
        kind, start, end = PeriodKind.YEAR, latest.replace(month=1, day=1), latest
    return kind, start, end, opts, fmt
