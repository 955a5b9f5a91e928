"""The computation: person data in, aggregate figures out (R17, R20, R22).

The only module of the observatory that reads person data. Each indicator is one or a
few set-based queries that GROUP BY (the three columns that place a person, the month,
a breakdown) in the database and stream their small result: the database never returns
a person row, memory holds one indicator's cells at a time. Months are folded into
quarters and years, municipalities into zones and zones into Brussels here, in Python,
because counts add up; medians and percentiles are computed from histograms (whole hours
or days per group), which add up too.

A run writes its figures under a new `Computation` and marks it done at the end: pages
read the newest finished run, so a run that fails half-way is never seen, and the runs
before the one shown are deleted afterwards.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from relais.booklet.models import Consultation
from relais.core import replica
from relais.core.models import Municipality
from relais.directory.models import Service, ServiceStatus
from relais.followup.models import Contact, ContactStatus, Refusal, RefusalReason, Watch
from relais.network.models import PriorityGroup
from relais.observatory import cooperation, suppression
from relais.observatory.indicators import BY_CODE
from relais.observatory.models import (
    REGION,
    UNKNOWN,
    WHOLE,
    Computation,
    ComputationStatus,
    Figure,
    PeriodKind,
)
from relais.observatory.places import Places
from relais.observatory.sqlfuncs import DaysBetween, HoursBetween
from relais.stays.models import (
    PlanItem,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Screening,
    Stay,
    Urgency,
)

logger = logging.getLogger("relais.observatory")

BATCH = 5000  # figures per INSERT
HISTOGRAM_CAP = 24 * 90  # answer times (hours) and stays (days) are capped here

# One cell of a month before folding: (zone, NIS, month start, breakdown, key).
MonthCell = tuple[str, str, date, str, str]


@dataclass(frozen=True)
class Breakdown:
    """A breakdown computed in SQL: `values` are grouped by, `key(row, places)` names
    the part (None drops the row from this breakdown)."""

    name: str
    values: dict
    key: Callable[[dict, "Places", str], str | None]


@dataclass(frozen=True)
class Flags:
    """An overlapping breakdown over a JSON list: one conditional count per flag."""

    name: str
    field: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    indicator: str
    rows: Callable[[], QuerySet]  # the items counted, filtered
    when: str  # the date or time that puts an item in a month
    person: str  # the path to the person, e.g. "person__"
    breakdowns: tuple = ()
    histogram: tuple[str, str, str] | None = None  # (unit, start field, end field)
    percentiles: tuple[tuple[str, float], ...] = field(default=())


def _column(name: str) -> Callable[[dict, Places, str], str]:
    return lambda row, places, zone: str(row[f"_d_{name}"] or "")


def _hospital_zone(row, places, zone) -> str:
    hospital = places.zone_of_municipality(row["_d_hospital_municipality"],
                                           row["_d_hospital_postcode"])
    if hospital == UNKNOWN or zone == UNKNOWN:
        return UNKNOWN
    return "inside" if hospital == zone else "outside"


def _simple(name: str, path: str) -> Breakdown:
    return Breakdown(name, {f"_d_{name}": F(path)}, _column(name))


def _stays():
    return Stay.objects.filter(cancelled_at__isnull=True)


def _discharges():
    return _stays().filter(discharged_at__isnull=False)


def _without_plan():
    has_items = Exists(PlanItem.objects.filter(stay=OuterRef("pk")))
    return _discharges().annotate(has_items=has_items).filter(
        Q(has_items=False) | ~Q(discharge_reason=""))


def _why_without_plan(row, places, zone) -> str:
    return "open_items" if row["_d_has_items"] else "no_plan"


def _readmissions():
    return _stays().filter(previous_stay__isnull=False,
                           previous_stay__cancelled_at__isnull=True).exclude(
        readmission_planned=True)


def _outcome(row, places, zone) -> str:
    status = row["_d_status"]
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.STARTED, ReferralStatus.COMPLETED):
        return "accepted"
    return {ReferralStatus.SENT: "pending"}.get(status, status)


def _decline_reason(row, places, zone) -> str | None:
    return row["_d_reason"] if row["_d_status"] == ReferralStatus.DECLINED else None


def _urgent():
    return Referral.objects.filter(urgency__in=[Urgency.WITHIN_24H, Urgency.WITHIN_72H])


def _started_in_time():
    def started_within(hours):
        return Exists(ReferralEvent.objects.filter(
            referral=OuterRef("pk"), status=ReferralStatus.STARTED,
            at__lte=OuterRef("created_at") + timedelta(hours=hours)))
    return _urgent().filter((Q(urgency=Urgency.WITHIN_24H) & started_within(24))
                          | (Q(urgency=Urgency.WITHIN_72H) & started_within(72)))


def _timeliness(row, places, zone) -> str:
    status = row["_d_status"]
    if status == ContactStatus.PLANNED:
        return "open"
    if status == ContactStatus.NOT_REACHED:
        return "not_reached"
    return "on_time" if row["_d_happened_on"] <= row["_d_due_on"] else "late"


def _contacts():
    return Contact.objects.exclude(status=ContactStatus.CANCELLED)


def _restarts():
    watched = Watch.objects.filter(
        person=OuterRef("person"), started_on__lte=OuterRef("created_on")).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=OuterRef("created_at")))
    return Referral.objects.annotate(created_on=TruncDate("created_at")).filter(
        Exists(watched))


SPECS = [
    Spec("admissions", _stays, "admitted_at", "person__", (
        _simple("admission_type", "admission_type"),
        _simple("hospital", "hospital_id"),
        Breakdown("hospital_zone", {"_d_hospital_municipality": F("hospital__municipality_id"),
                                    "_d_hospital_postcode": F("hospital__postcode")},
                  _hospital_zone),
    )),
    Spec("admissions_priority", _stays, "admitted_at", "person__", (
        Flags("priority_group", "person__priority_groups", tuple(PriorityGroup.values)),)),
    Spec("discharges", _discharges, "discharged_at", "person__", (
        _simple("destination", "destination"),)),
    Spec("discharges_without_plan", _without_plan, "discharged_at", "person__", (
        Breakdown("why", {"_d_has_items": F("has_items")}, _why_without_plan),)),
    Spec("length_of_stay", _discharges, "discharged_at", "person__",
         histogram=("days", "admitted_at", "discharged_at"),
         percentiles=(("length_of_stay_median", 0.5), ("length_of_stay_p90", 0.9))),
    Spec("readmissions_30d", _readmissions, "admitted_at", "person__"),
    Spec("screenings", Screening.objects.all, "done_on", "person__", (
        Breakdown("band", {"_d_instrument": F("instrument"), "_d_band_": F("band")},
                  lambda row, places, zone: f"{row['_d_instrument']}:{row['_d_band_']}"),)),
    Spec("referrals", Referral.objects.all, "created_at", "person__", (
        _simple("category", "service__category"),
        Breakdown("outcome", {"_d_status": F("status")}, _outcome),
        Breakdown("reason", {"_d_status": F("status"), "_d_reason": F("decline_reason")},
                  _decline_reason),
    )),
    Spec("answer_hours", lambda: Referral.objects.filter(answered_at__isnull=False),
         "created_at", "person__", histogram=("hours", "created_at", "answered_at"),
         percentiles=(("answer_hours_median", 0.5), ("answer_hours_p90", 0.9))),
    Spec("urgent_referrals", _urgent, "created_at", "person__", (
        _simple("urgency", "urgency"),)),
    Spec("urgent_started_in_time", _started_in_time, "created_at", "person__", (
        _simple("urgency", "urgency"),)),
    Spec("followup_contacts", _contacts, "due_on", "followup__person__", (
        Breakdown("timeliness", {"_d_status": F("status"), "_d_due_on": F("due_on"),
                                 "_d_happened_on": TruncDate("happened_at")}, _timeliness),)),
    Spec("refusals", Refusal.objects.all, "refused_on", "person__", (
        Flags("reason", "reasons", tuple(RefusalReason.values)),)),
    Spec("watches", Watch.objects.all, "started_on", "person__"),
    Spec("restarts", _restarts, "created_at", "person__"),
    Spec("consultations", Consultation.objects.all, "created_at", "person__", (
        Breakdown("answered", {"_d_decided": F("decided_at")},
                  lambda row, places, zone: "yes" if row["_d_decided"] else "no"),)),
]


# --- a run -----------------------------------------------------------------------------


def compute(*, since: date | None = None, zone: str = "", now: datetime | None = None,
            specs: Iterable[Spec] | None = None) -> Computation:
    """Compute every indicator into a new run; on success it becomes the one shown.

    `since` recomputes from the start of that year (years are sums of their months) and
    keeps the earlier figures of the last run; `zone` recomputes only that zone's figures
    and keeps the other zones' (Brussels' counts are then the sum of the zones', so that
    the sums the suppression relies on still hold). Each indicator's cells are marked
    for publication with the default options (`suppression.protect`) as they are written.

    Its reads go to the read replica when there is one (`core.replica.reading`); the
    figures are written to the primary.
    """
    with replica.reading():
        return _compute(since=since, zone=zone, now=now, specs=specs)


def _compute(*, since, zone, now, specs) -> Computation:
    now = now or timezone.now()
    opts = suppression.options()
    since = date(since.year, 1, 1) if since else None
    run = Computation.objects.create(started_at=now, since=since, zone=zone,
                                     threshold=opts.threshold, rounding=opts.rounding)
    try:
        previous = latest_done() if since or zone else None
        places, rows = Places(), 0
        for spec in specs if specs is not None else SPECS:
            for code, cube in _cubes(spec, places, since, zone):
                if previous:
                    _keep(cube, previous, code, since, zone)
                rows += _write(run, code, cube, opts)
        rows += _write(run, "services", _service_cube(now), opts)
        # The cooperation map (its own table; `rows` counts figures): every zone and
        # year again, whatever `since` and `zone` say (a few queries per year).
        cooperation.compute_links(run, places, now, opts)
    except Exception as error:
        Computation.objects.filter(pk=run.pk).update(
            status=ComputationStatus.FAILED, finished_at=timezone.now(),
            error=str(error)[:500])
        raise
    _finish(run, rows)
    return run


def latest_done() -> Computation | None:
    return Computation.objects.filter(status=ComputationStatus.DONE).order_by(
        "-finished_at", "-pk").first()


@transaction.atomic
def _finish(run: Computation, rows: int) -> None:
    run.status, run.rows, run.finished_at = ComputationStatus.DONE, rows, timezone.now()
    run.save(update_fields=["status", "rows", "finished_at"])
    # Older runs go; a run still going (another worker's) is left alone.
    Computation.objects.exclude(pk=run.pk).exclude(status=ComputationStatus.RUNNING).delete()


def _keep(cube: dict, previous: Computation, code: str, since, zone) -> None:
    """Add the last run's cells of `code` that this run does not recompute; with a
    zone, Brussels' counts become the sum of the zones' again."""
    kept = Figure.objects.filter(computation=previous, indicator=code)
    if since:
        kept = kept.filter(period_start__lt=since) if not zone else kept.exclude(
            zone=zone, period_start__gte=since)
    elif zone:
        kept = kept.exclude(zone=zone)
    fields = ["zone", "municipality", "period", "period_start", "dimension", "key"]
    for *key, count, value in kept.values_list(*fields, "count", "value").iterator(BATCH):
        cube.setdefault(tuple(key), (count, value))
    if zone and not BY_CODE[code].is_value:
        _sum_region(cube)


def _sum_region(cube: dict) -> None:
    for key in [key for key in cube if key[0] == REGION]:
        del cube[key]
    region = Counter()
    for (zone, nis, *rest), (count, _value) in cube.items():
        if nis == WHOLE and zone != REGION:
            region[(REGION, WHOLE, *rest)] += count
    cube.update({key: (count, None) for key, count in region.items()})


def _write(run: Computation, code: str, cube: dict, opts) -> int:
    """Write one indicator's cells with their marks; zeros are written only where the
    suppression blurs them ("<10" under a hidden total)."""
    marks = _marks(code, cube, opts)
    written, batch = 0, []
    for key, mark in marks.items():
        count, value = cube.get(key, (0, None))
        if count == 0 and mark == suppression.Mark.SHOWN:
            continue
        zone, nis, period, start, dimension, part = key
        batch.append(Figure(computation=run, indicator=code, zone=zone, municipality=nis,
                            period=period, period_start=start, dimension=dimension, key=part,
                            count=count, value=value, mark=mark))
        if len(batch) >= BATCH:
            written += len(Figure.objects.bulk_create(batch))
            batch = []
    if batch:
        written += len(Figure.objects.bulk_create(batch))
    return written


def _marks(code: str, cube: dict, opts) -> dict:
    indicator = BY_CODE[code]
    if indicator.is_value:  # a median is shown when its count is not small
        return {key: suppression.Mark.SMALL if suppression.is_small(count, opts)
                else suppression.Mark.SHOWN for key, (count, _value) in cube.items()}
    return suppression.protect({key: count for key, (count, _value) in cube.items()},
                               indicator, opts)


# --- one indicator ---------------------------------------------------------------------


def _cubes(spec: Spec, places: Places, since, zone) -> Iterator[tuple[str, dict]]:
    """(indicator, {cell: (count, value)}) of one spec: counts, or values from
    histograms (a spec with percentiles gives one indicator per percentile)."""
    if spec.histogram:
        yield from _histogram_cubes(spec, places, since, zone)
        return
    months: Counter = Counter()
    for dimension, key, row_zone, nis, month, n in _grouped(spec, places, since):
        months[(row_zone, nis, month, dimension, key)] += n
    yield spec.indicator, {cell: (count, None) for cell, count in _fold(months, zone).items()}


def _base(spec: Spec, since) -> QuerySet:
    rows = spec.rows()
    if since:
        if isinstance(rows.model._meta.get_field(spec.when), DateTimeField):
            since = timezone.make_aware(datetime.combine(since, time()))
        rows = rows.filter(**{f"{spec.when}__gte": since})
    return rows


def _place_values(spec: Spec) -> dict:
    p = spec.person
    return {"_override": F(f"{p}care_zone_override_id"),
            "_municipality": F(f"{p}municipality_id"), "_postcode": F(f"{p}postcode"),
            "_month": TruncMonth(spec.when)}


def _grouped(spec: Spec, places: Places, since) -> Iterator[tuple]:
    """(breakdown, key, zone, NIS, month, count) rows, the total's breakdown being ""."""
    total = Breakdown("", {}, lambda row, places, zone: "")
    for breakdown in (total, *spec.breakdowns):
        if isinstance(breakdown, Flags):
            yield from _flag_rows(spec, breakdown, places, since)
            continue
        rows = _base(spec, since).order_by().values(**_place_values(spec),
                                                     **breakdown.values)
        for row in rows.annotate(_n=Count("pk")).iterator(BATCH):
            zone, nis = places.of(row["_override"], row["_municipality"], row["_postcode"])
            key = breakdown.key(row, places, zone)
            if key is not None:
                yield breakdown.name, key, zone, nis, _month(row["_month"]), row["_n"]


def _flag_rows(spec: Spec, flags: Flags, places: Places, since) -> Iterator[tuple]:
    # The JSON list's text holds each flag in quotes: a portable test on SQLite and
    # PostgreSQL alike ("isolated" does not match "isolated_parent").
    counts = {f"_f{i}": Count("pk", filter=Q(**{f"{flags.field}__icontains": f'"{flag}"'}))
              for i, flag in enumerate(flags.flags)}
    rows = _base(spec, since).order_by().values(**_place_values(spec)).annotate(**counts)
    for row in rows.iterator(BATCH):
        zone, nis = places.of(row["_override"], row["_municipality"], row["_postcode"])
        for i, flag in enumerate(flags.flags):
            if row[f"_f{i}"]:
                yield flags.name, flag, zone, nis, _month(row["_month"]), row[f"_f{i}"]


def _month(value) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def period_starts(month: date) -> list[tuple[str, date]]:
    quarter = date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    return [(PeriodKind.MONTH, month), (PeriodKind.QUARTER, quarter),
            (PeriodKind.YEAR, date(month.year, 1, 1))]


def _places_up(zone: str, nis: str) -> list[tuple[str, str]]:
    """A municipality's cell counts in its zone's total and in Brussels' total."""
    return [(zone, nis), (zone, WHOLE), (REGION, WHOLE)]


def _fold(months: Counter, only_zone: str = "") -> Counter:
    """Month × municipality cells → every (place, period) cell they add up into."""
    cells: Counter = Counter()
    for (zone, nis, month, dimension, key), count in months.items():
        for place in _places_up(zone, nis):
            if only_zone and place[0] not in (only_zone, REGION):
                continue
            for period, start in period_starts(month):
                cells[(*place, period, start, dimension, key)] += count
    return cells


# --- medians and percentiles from histograms -------------------------------------------


def _histogram_cubes(spec: Spec, places: Places, since, zone) -> Iterator[tuple]:
    unit, start, end = spec.histogram
    between = (HoursBetween if unit == "hours" else DaysBetween)(start, end)
    rows = _base(spec, since).order_by().values(**_place_values(spec), _b=between).annotate(
        _n=Count("pk"))
    histograms: dict = defaultdict(Counter)
    for row in rows.iterator(BATCH):
        row_zone, nis = places.of(row["_override"], row["_municipality"], row["_postcode"])
        bucket = min(max(row["_b"] or 0, 0), HISTOGRAM_CAP)
        month = _month(row["_month"])
        for place in _places_up(row_zone, nis):
            if zone and place[0] not in (zone, REGION):
                continue
            for period, period_start in period_starts(month):
                histograms[(*place, period, period_start, "", "")][bucket] += row["_n"]
    for indicator, share in spec.percentiles:
        yield indicator, {cell: (sum(histogram.values()), float(percentile(histogram, share)))
                          for cell, histogram in histograms.items()}


def percentile(histogram: Counter, share: float) -> int:
    """The nearest-rank percentile of a histogram {value: count}."""
    total = sum(histogram.values())
    rank = max(1, -(-int(share * total * 1000) // 1000))  # ceil without float surprises
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return 0


# --- the directory's coverage (not personal: services, not people) ---------------------


def _service_cube(now: datetime) -> dict:
    """Active services serving each municipality (directly, by zone, or all Brussels),
    by category, for the current year; per 10,000 inhabitants is the page's division."""
    year = date(timezone.localtime(now).year, 1, 1)
    cube = {}
    for municipality in Municipality.objects.select_related("care_zone"):
        served = Service.objects.filter(status=ServiceStatus.ACTIVE).serving(municipality)
        by_category = dict(served.order_by().values("category").annotate(
            n=Count("pk")).values_list("category", "n"))
        zone = municipality.care_zone.code if municipality.care_zone else UNKNOWN
        place = (zone, municipality.nis_code, PeriodKind.YEAR, year)
        cube[(*place, "", "")] = (sum(by_category.values()), None)
        for category, n in by_category.items():
            cube[(*place, "category", category)] = (n, None)
    return cube
