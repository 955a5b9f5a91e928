"""The observatory's read API: what pages, charts, exports and preparation packs use.

Every value it returns is publishable: suppressed and rounded by `observatory.suppression`
over the whole table the cell belongs to, whatever slice is asked for, so two requests
cannot be differenced into a hidden cell. Nothing here reads person data: only the
aggregate `Figure` rows of the newest finished `Computation`.

Stable signatures (O2's pages and O3's preparation packs build on them):

    options(threshold=None, rounding=None) -> Options
        Validated publication options (threshold ≥ 5, default settings); raises
        `django.core.exceptions.ValidationError` with a translated message.
    computed_at() -> datetime | None
        When the figures shown were computed (None: never).
    indicators() -> list[Indicator]
        The catalogue: code, label, unit, breakdowns, base (for a rate).
    series(user, indicator, *, zone, municipality="", period="month", start=None,
           end=None, dimension="", key="", opts=None) -> list[Cell]
        One cell per period, oldest first (a trend).
    latest_period(zone, period) -> date | None
        The newest period of that kind with figures for the zone ("" = Brussels).
    breakdown(user, indicator, *, zone, period, period_start, by, municipality="",
              opts=None) -> list[Cell]
        The cells of one period split by "municipality" (the zone's municipalities, the
        map; for zone "" the zones) or by a breakdown of the indicator ("category",
        "outcome", "reason", "priority_group", "band", "hospital", "hospital_zone",
        "destination", "why", "timeliness", "urgency", "answered"), the total first.
    zone_breakdowns(user, indicator, *, period, period_start, by, opts=None)
            -> dict[str, list[Cell]]
        Brussels' page: for each care zone, its total then the parts of one breakdown
        (e.g. where each zone's residents are hospitalised), in one query.
    key_label(by, key) -> str
        The reader's name of a breakdown's part (a category, a reason, a hospital...).
    rate(numerator: Cell, base: Cell) -> float | None
        A share in percent, None when either count is suppressed.
    table(user, *, zone, period, start, end, opts=None) -> Iterator[Cell]
        Every cell of a zone (and its municipalities) over a range of periods, indicator
        by indicator: what exports write.

A `Cell` holds what may be printed: `shown` (the text: "15", "<10", "–"), `count` (the
rounded count, None when suppressed or for a median), `value` (a median or percentile,
None unless shown), `suppressed`, and where it sits (indicator, zone, municipality,
period, period_start, dimension, key). A zone is a care-zone code, "" for Brussels.

`user` is checked with `observatory.rules` (Http404 for a zone the account may not see,
an unknown zone alike; Brussels for any account that sees a zone); the page or export
that shows figures writes the audit event. Bad periods, indicators and breakdowns raise
ValidationError with a translated message.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Organisation
from relais.core.text import is_digits
from relais.directory.models import Category
from relais.network.models import PriorityGroup
from relais.observatory import rules, suppression
from relais.observatory.compute import latest_done
from relais.observatory.indicators import BY_CODE, CATALOGUE, Indicator
from relais.observatory.models import REGION, WHOLE, Figure, PeriodKind
from relais.observatory.suppression import Mark, Options
from relais.stays.models import AdmissionType, DeclineReason, Destination, Urgency

PERIODS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}
# The `user` of the platform's own command line (`relais observatory export`): trusted
# like the operator who runs it, and audited as such.
COMMAND_LINE = object()
BRUSSELS = "brussels"  # how exports and URLs name the whole region (zone "")


@dataclass(frozen=True)
class Cell:
    indicator: str
    zone: str
    municipality: str
    period: str
    period_start: date
    dimension: str
    key: str
    shown: str
    count: int | None
    value: float | None
    suppressed: bool
    mark: str


def options(threshold=None, rounding=None) -> Options:
    return suppression.options(threshold, rounding)


def computed_at() -> datetime | None:
    run = latest_done()
    return run.finished_at if run else None


def indicators() -> list[Indicator]:
    return list(CATALOGUE)


# --- checks ----------------------------------------------------------------------------


def check_zone(user, zone: str) -> None:
    """Http404 unless `user` may see `zone` ("" = Brussels: any account with a zone)."""
    if user is COMMAND_LINE:
        return
    if zone == REGION:
        if not rules.zone_codes_for(user):
            raise Http404
        return
    rules.zone_for(user, zone)


def _indicator(code: str) -> Indicator:
    if code not in BY_CODE:
        raise ValidationError(_("There is no indicator “%(code)s”."), code="indicator",
                              params={"code": str(code)[:40]})
    return BY_CODE[code]


def _period(kind: str) -> str:
    if kind not in PERIODS:
        raise ValidationError(_("A period is a month, a quarter or a year."), code="period")
    return kind


def period_start(kind: str, day: date) -> date:
    """The start of the period of that kind holding `day`."""
    months = PERIODS[_period(kind)]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def parse_period(text: str) -> tuple[str, date]:
    """"2025", "2025-Q2" or "2025-04" → (kind, start); ValidationError otherwise."""
    text = str(text).strip().upper()
    try:
        if len(text) == 4:
            return PeriodKind.YEAR, date(int(text), 1, 1)
        year, part = text.split("-")
        if part.startswith("Q") and part[1:] in {"1", "2", "3", "4"}:
            return PeriodKind.QUARTER, date(int(year), 3 * int(part[1:]) - 2, 1)
        return PeriodKind.MONTH, date(int(year), int(part), 1)
    except ValueError:
        pass
    raise ValidationError(
        _("“%(period)s” is not a period: write a year (2025), a quarter (2025-Q2) or a "
          "month (2025-04)."), code="period", params={"period": text[:20]})


def parse_periods(text: str) -> tuple[str, date, date]:
    """"2025", "2025-Q2", "2025-04" or "FIRST..LAST" of the same kind → (kind, start, end)."""
    first, _dots, last = str(text).partition("..")
    kind, start = parse_period(first)
    end_kind, end = parse_period(last) if last else (kind, start)
    if end_kind != kind:
        raise ValidationError(_("Both ends of a range are periods of the same kind."),
                              code="period")
    if start > end:
        raise ValidationError(_("The period starts after it ends."), code="period")
    return kind, start, end


def _step(start: date, kind: str, n: int = 1) -> date:
    months = start.year * 12 + start.month - 1 + PERIODS[kind] * n
    return date(months // 12, months % 12 + 1, 1)


# --- reading ---------------------------------------------------------------------------


def latest_period(zone: str, period: str) -> date | None:
    run = latest_done()
    if run is None:
        return None
    return Figure.objects.filter(computation=run, zone=zone, period=_period(period)).order_by(
        "-period_start").values_list("period_start", flat=True).first()


def series(user, indicator, *, zone, municipality="", period="month", start=None, end=None,
           dimension="", key="", opts=None) -> list[Cell]:
    """One cell per period from `start` to `end` (default: the last 12 periods with
    figures), oldest first; periods without figures are zeros."""
    check_zone(user, zone)
    code, kind = _indicator(indicator).code, _period(period)
    run = latest_done()
    end = end or latest_period(zone, kind)
    if run is None or end is None:
        return []
    end = period_start(kind, end)
    start = period_start(kind, start) if start else _step(end, kind, -11)
    if start > end:
        raise ValidationError(_("The period starts after it ends."), code="period")
    rows = _rows(run, code, opts, zone=zone, municipality=municipality or WHOLE, period=kind,
                 period_start__gte=start, period_start__lte=end, dimension=dimension, key=key)
    by_start = {row[3]: row for row in rows}
    cells, at = [], start
    while at <= end:
        cells.append(_cell(code, by_start.get(at), (zone, municipality or WHOLE, kind, at,
                                                    dimension, key), opts, run))
        at = _step(at, kind)
    return cells


def breakdown(user, indicator, *, zone, period, period_start, by, municipality="",
              opts=None) -> list[Cell]:
    """The total, then its parts by municipality (or by zone for Brussels) or by one of
    the indicator's breakdowns."""
    check_zone(user, zone)
    found, kind = _indicator(indicator), _period(period)
    run = latest_done()
    if run is None:
        return []
    total = (zone, municipality or WHOLE, kind, period_start, "", "")
    if by == "municipality":
        rows = _rows(run, found.code, opts, period=kind, period_start=period_start,
                     dimension="", key="", **({"zone__in": _zones(run)} if zone == REGION
                                              else {"zone": zone}))
        parts = sorted(row[:6] for row in rows if _is_place_part(row, zone))
    elif by in found.dimensions:
        rows = _rows(run, found.code, opts, zone=zone, municipality=municipality or WHOLE,
                     period=kind, period_start=period_start, dimension__in=["", by])
        parts = sorted(row[:6] for row in rows if row[4] == by)
    else:
        raise ValidationError(_("“%(by)s” is not a breakdown of this indicator."),
                              code="breakdown", params={"by": str(by)[:30]})
    by_key = {row[:6]: row for row in rows}
    return [_cell(found.code, by_key.get(key), key, opts, run) for key in [total, *parts]]


def zone_breakdowns(user, indicator, *, period, period_start, by,
                    opts=None) -> dict[str, list[Cell]]:
    """Each care zone's total, then its parts by `by`, for one period: what Brussels'
    page compares zone by zone. Zone totals are Brussels' own parts (published to
    anyone who sees a zone), so the check is Brussels'."""
    check_zone(user, REGION)
    found, kind = _indicator(indicator), _period(period)
    if by not in found.dimensions:
        raise ValidationError(_("“%(by)s” is not a breakdown of this indicator."),
                              code="breakdown", params={"by": str(by)[:30]})
    run = latest_done()
    if run is None:
        return {}
    rows = _rows(run, found.code, opts, municipality=WHOLE, period=kind,
                 period_start=period_start, dimension__in=["", by])
    by_zone: dict[str, list[Cell]] = {}
    for row in sorted(rows, key=lambda row: (row[0], row[4], row[5])):
        if row[0] != REGION:
            by_zone.setdefault(row[0], []).append(_cell(found.code, row, row[:6], opts, run))
    return by_zone


def _zones(run) -> list[str]:
    return [code for code in Figure.objects.filter(computation=run).values_list(
        "zone", flat=True).distinct()]


def _is_place_part(row, zone) -> bool:
    if zone == REGION:
        return row[0] != REGION and row[1] == WHOLE
    return row[1] != WHOLE


def rate(numerator: Cell, base: Cell) -> float | None:
    """A share in percent of two shown counts (the published, rounded ones), else None."""
    if numerator.suppressed or base.suppressed or not base.count:
        return None
    return round(100 * (numerator.count or 0) / base.count, 1)


def table(user, *, zone, period, start, end, opts=None) -> Iterator[Cell]:
    """Every published cell of `zone` and its municipalities from `start` to `end`."""
    check_zone(user, zone)
    kind = _period(period)
    if start > end:
        raise ValidationError(_("The period starts after it ends."), code="period")
    run = latest_done()
    if run is None:
        return
    for indicator in CATALOGUE:
        rows = _rows(run, indicator.code, opts, zone=zone, period=kind,
                     period_start__gte=period_start(kind, start), period_start__lte=end)
        for row in sorted(rows, key=lambda row: (row[3], row[1], row[4], row[5])):
            yield _cell(indicator.code, row, row[:6], opts, run)


# --- marks and cells -------------------------------------------------------------------


def _rows(run, code, opts, **filters) -> list[tuple]:
    """(zone, municipality, period, start, dimension, key, count, value, mark) rows; with
    options other than the run's, the marks come from the whole indicator (cached)."""
    rows = list(Figure.objects.filter(computation=run, indicator=code, **filters).values_list(
        "zone", "municipality", "period", "period_start", "dimension", "key", "count",
        "value", "mark"))
    if opts is None or opts == Options(run.threshold, run.rounding):
        return rows
    marks = _marks(run.pk, code, opts)
    return [(*row[:8], marks.get(row[:6], Mark.SHOWN)) for row in rows]


@lru_cache(maxsize=8)  # a whole indicator each: a few MB
def _marks(run_id: int, code: str, opts: Options) -> dict:
    indicator = BY_CODE[code]
    cube = {row[:6]: row[6] for row in Figure.objects.filter(
        computation_id=run_id, indicator=code).values_list(
        "zone", "municipality", "period", "period_start", "dimension", "key", "count")}
    if indicator.is_value:
        return {key: Mark.SMALL if suppression.is_small(n, opts) else Mark.SHOWN
                for key, n in cube.items()}
    return suppression.protect(cube, indicator, opts)


def _cell(code: str, row, key: tuple, opts, run) -> Cell:
    indicator = BY_CODE[code]
    opts = opts or Options(run.threshold, run.rounding)
    count, value, mark = (row[6], row[7], Mark(row[8])) if row else (0, None, Mark.SHOWN)
    if not indicator.personal:
        shown_count, text = count, str(count)
    elif indicator.is_value:
        shown_count = None
        text = suppression.label(0, mark, opts) if mark != Mark.SHOWN else _value_text(value)
    else:
        shown_count = suppression.published(count, mark, opts)
        text = suppression.label(count, mark, opts)
    return Cell(code, *key, shown=text, count=shown_count,
                value=value if indicator.is_value and mark == Mark.SHOWN else None,
                suppressed=mark != Mark.SHOWN, mark=str(mark))


def _value_text(value) -> str:
    return "" if value is None else f"{value:g}"


# --- names -----------------------------------------------------------------------------

_CHOICES = {
    "category": Category, "priority_group": PriorityGroup, "reason": DeclineReason,
    "destination": Destination, "admission_type": AdmissionType, "urgency": Urgency,
}
_WORDS = {
    "outcome": {"accepted": _("Accepted"), "declined": _("Declined"), "pending": _("Waiting"),
                "cancelled": _("Cancelled")},
    "hospital_zone": {"inside": _("In the zone"), "outside": _("Outside the zone"),
                      "unknown": _("Not known")},
    "why": {"no_plan": _("No plan at all"), "open_items": _("Blocking items still open")},
    "timeliness": {"on_time": _("Done on time"), "late": _("Done late"),
                   "not_reached": _("Not reached"), "open": _("Still planned")},
    "answered": {"yes": _("Answered"), "no": _("Not answered")},
}


def key_label(by: str, key: str) -> str:
    """The reader's name of one part of a breakdown."""
    if by in _WORDS and key in _WORDS[by]:
        return str(_WORDS[by][key])
    if by in _CHOICES and key in _CHOICES[by].values:
        return str(_CHOICES[by](key).label)
    if by == "hospital" and is_digits(key):
        return Organisation.objects.filter(pk=int(key)).values_list(
            "name", flat=True).first() or key
    if key == "":
        return str(_("Not recorded"))
    return key
