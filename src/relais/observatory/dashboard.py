"""What a zone's dashboard shows, and how each figure's published cells become a chart.

The page (views.dashboard_page) asks a `Dashboard` for its sections; every number comes from
`observatory.figures` (published: suppressed and rounded), never from person data. The
choice of figures follows what a care-zone analyst presents to a council: the hospital
stays and where residents go, the referrals and their answers, what happens after
discharge, and the zone's offer per 10,000 inhabitants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relais.core.models import CareZone
from relais.observatory import figures, population
from relais.observatory.charts import Chart, Point, Series, bar_chart, line_chart, split_bars
from relais.observatory.indicators import BY_CODE
from relais.observatory.maps import choropleth
from relais.observatory.models import REGION, WHOLE

# How many periods a trend shows, per kind of period.
TREND_LENGTH = {"month": 12, "quarter": 8, "year": 5}
PERIOD_LABELS = {"month": gettext_lazy("Month"), "quarter": gettext_lazy("Quarter"),
                 "year": gettext_lazy("Year")}


@dataclass(frozen=True)
class Filters:
    period: str = "month"
    municipality: str = ""  # a NIS code of the zone, "" for the whole zone


@dataclass
class Section:
    key: str
    title: str
    charts: list[Chart] = field(default_factory=list)


def read_filters(query, municipality_codes: set[str]) -> tuple[Filters, list[str]]:
    """The filters asked in the query string; an impossible one is refused with a message
    and replaced by its default, so the page still answers."""
    errors = []
    period = query.get("period", "month")
    if period not in TREND_LENGTH:
        errors.append(_("Choose a month, a quarter or a year."))
        period = "month"
    municipality = query.get("municipality", "")
    if municipality and municipality not in municipality_codes:
        errors.append(_("That municipality is not in this care zone."))
        municipality = ""
    return Filters(period, municipality), errors


def _code(start: date, period: str) -> str:
    if period == "year":
        return str(start.year)
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def _sections(context) -> list[Section]:
    return [
        Section("stays", _("Hospital stays"), [
            context.trend(_("Admissions and discharges"),
                          _("Residents of the zone admitted to and discharged from a "
                            "hospital, per period."),
                          [Line("admissions"), Line("discharges")]),
            context.trend(_("Discharges without a plan"),
                          _("Discharges with no plan for going home, per period."),
                          [Line("discharges"), Line("discharges_without_plan")]),
            context.trend(_("Length of stay"),
                          _("Days in hospital of the stays that ended in the period: the "
                            "median and the 90th percentile."),
                          [Line("length_of_stay_median"), Line("length_of_stay_p90")]),
            context.trend(_("Unplanned readmissions within 30 days"),
                          _("Residents readmitted without a plan within 30 days of a "
                            "discharge, per period."), [Line("readmissions_30d")]),
            context.map(_("Admissions by municipality of residence"),
                        _("Residents admitted to a hospital in the latest period, by the "
                          "municipality they live in. Hatched: not published (too few, or "
                          "it would reveal a small count)."), "admissions"),
            context.zone_flows() if context.is_region else context.flows(),
            context.bars(_("Admissions of people in a priority group"),
                         _("Admissions in the latest period of people in each priority "
                           "group; a person can be in several groups."),
                         "admissions_priority", "priority_group"),
        ]),
        Section("referrals", _("Referrals and answers"), [
            context.trend(_("Referrals sent, accepted and declined"),
                          _("Referrals to services at home, per period, and how they were "
                            "answered."),
                          [Line("referrals"), Line("referrals", "outcome", "accepted",
                                                   _("Accepted")),
                           Line("referrals", "outcome", "declined", _("Declined"))]),
            context.bars(_("Referrals by service category"),
                         _("Referrals sent in the latest period, by category of service."),
                         "referrals", "category"),
            context.bars(_("Why referrals were declined"),
                         _("Referrals declined in the latest period, by reason."),
                         "referrals", "reason"),
            context.trend(_("Time to answer a referral"),
                          _("Hours between sending a referral and its answer: the median "
                            "and the 90th percentile, per period."),
                          [Line("answer_hours_median"), Line("answer_hours_p90")]),
            context.trend(_("Urgent referrals started in time"),
                          _("Referrals asking for a start within 24 or 72 hours, and those "
                            "started within that time, per period."),
                          [Line("urgent_referrals"), Line("urgent_started_in_time")]),
        ]),
        Section("after", _("After discharge"), [
            context.trend(_("Follow-up contacts"),
                          _("Follow-up contacts due after discharge and those done on time, "
                            "per period."),
                          [Line("followup_contacts"),
                           Line("followup_contacts", "timeliness", "on_time", _("On time"))]),
            context.trend(_("Refusals, watches and restarts"),
                          _("Refusals of help recorded, situations kept in view, and support "
                            "restarted after a refusal, per period."),
                          [Line("refusals"), Line("watches"), Line("restarts")]),
            context.trend(_("Consultations"),
                          _("Consultations asked about a person, and those answered with a "
                            "decision, per period."),
                          [Line("consultations"),
                           Line("consultations", "answered", "yes", _("Answered"))]),
            context.bars(_("Screenings by score band"),
                         _("Screenings in the latest period, by instrument and band of the "
                           "score."), "screenings", "band"),
        ]),
        *([] if context.is_region else [
            Section("offer", _("The zone's offer"), [context.coverage()])]),
    ]


@dataclass(frozen=True)
class Line:
    """One line of a trend: an indicator's total, or one part of one of its breakdowns."""

    code: str
    dimension: str = ""
    key: str = ""
    label: str = ""


class Dashboard:
    """One zone's dashboard (`names`: the zone's municipalities by NIS code): its sections
    and the periods they show, from one read of the zone's published cells."""

    def __init__(self, user, zone: str, filters: Filters, names: dict[str, str]):
        self.user, self.zone, self.filters, self.names = user, zone, filters, names

    def sections(self) -> list[Section]:
        return _sections(self)

    def export_period(self) -> str:
        """The periods the trends show, as the export reads them ("2025-01..2025-12"),
        or "" when nothing has been computed."""
        if not self.periods:
            return ""
        kind = self.filters.period
        return f"{_code(self.periods[0], kind)}..{_code(self.periods[-1], kind)}"

    # --- the figure kinds ------------------------------------------------------------

    def trend(self, title: str, description: str, lines: list[Line]) -> Chart:
        fetched = [self._series(line) for line in lines]
        series = [Series(line.label or str(BY_CODE[line.code].label), points)
                  for line, (_starts, points) in zip(lines, fetched, strict=True)]
        starts = fetched[0][0] if fetched else []
        return line_chart(title, self._where(description), series,
                          label_header=str(PERIOD_LABELS[self.filters.period]),
                          axis_labels=[_short_label(start, self.filters.period)
                                       for start in starts])

    def bars(self, title: str, description: str, code: str, by: str) -> Chart:
        cells = self._parts(code, by, self.filters.municipality or WHOLE)
        points = sorted((self._point(cell, figures.key_label(by, cell.key)) for cell in cells),
                        key=_largest_first)
        return bar_chart(title, self._at(description), points,
                         label_header=_breakdown_header(by),
                         value_header=str(BY_CODE[code].label))

    @property
    def is_region(self) -> bool:
        """The whole of Brussels: its parts are the zones, not municipalities."""
        return self.zone == REGION

    def map(self, title: str, description: str, code: str) -> Chart:
        if self.is_region:
            return self._zones_map(code)
        cells = self._parts(code, "municipality", WHOLE)
        values = {cell.municipality: self._point(cell, self.names[cell.municipality])
                  for cell in cells if cell.municipality in self.names}
        return choropleth(title, self._at(description), values, self.names,
                          label_header=_("Municipality"), value_header=str(BY_CODE[code].label))

    def _zones_map(self, code: str) -> Chart:
        """Brussels: each municipality shaded with its care zone's value; the table lists
        the zones (Brussels-City, split between zones, is left unshaded)."""
        if self.latest is None:
            cells = []
        else:
            cells = figures.breakdown(self.user, code, zone=REGION, period=self.filters.period,
                                      period_start=self.latest, by="municipality")[1:]
        zones = {zone.code: zone for zone in CareZone.objects.prefetch_related(
            "municipalities")}
        values, rows = {}, []
        for cell in cells:
            zone = zones.get(cell.zone)
            if zone is None:
                continue
            rows.append((zone.name, [cell.shown]))
            for municipality in zone.municipalities.all():
                values[municipality.nis_code] = self._point(cell, zone.name)
        names = {m.nis_code: m.name for zone in zones.values()
                 for m in zone.municipalities.all()}
        description = _("Residents admitted to a hospital in the latest period, by the care "
                        "zone they live in (each municipality in its zone's shade; "
                        "Brussels-City is split between zones).")
        chart = choropleth(_("Admissions by care zone of residence"),
                           self._at(description), values, names,
                           label_header=_("Care zone"), value_header=str(BY_CODE[code].label))
        chart.rows = sorted(rows)
        return chart

    def flows(self) -> Chart:
        rows = []
        for nis, name in sorted(self.names.items(), key=lambda item: item[1]):
            cells = {cell.key: cell for cell in self._parts("admissions", "hospital_zone", nis)}
            rows.append((name, [self._point(cells.get(key), key, missing="0")
                                for key in ("inside", "outside")]))
        return split_bars(
            _("Where residents are hospitalised"),
            self._at(_("Admissions of each municipality's residents in the latest period: "
                       "in a hospital of the care zone, or outside it.")),
            rows, [_("In the zone"), _("Outside the zone")],
            label_header=_("Municipality"), share_header=_("Share in the zone"))

    def zone_flows(self) -> Chart:
        """Brussels: for each care zone of residence, the share of its residents' stays
        in a hospital of the same zone (the South-East report: most residents prefer a
        hospital of their zone), then Brussels as a whole."""
        found = figures.zone_breakdowns(
            self.user, "admissions", period=self.filters.period, period_start=self.latest,
            by="hospital_zone") if self.latest else {}
        rows = []
        for zone in sorted(CareZone.objects.filter(code__in=found), key=lambda z: z.name):
            rows.append((zone.name, self._inside_outside(found[zone.code])))
        if rows:
            region = self._parts("admissions", "hospital_zone", WHOLE)
            rows.append((_("All of Brussels"), self._inside_outside(region)))
        return split_bars(
            _("Where residents are hospitalised"),
            self._at(_("Admissions of each care zone's residents in the latest period: in "
                       "a hospital of their own care zone, or of another. A share is not "
                       "shown when a count it rests on is not published.")),
            rows, [_("In their zone"), _("In another zone")],
            label_header=_("Care zone of residence"), share_header=_("Share in their zone"))

    def _inside_outside(self, cells) -> list[Point]:
        by_key = {cell.key: cell for cell in cells if cell.dimension == "hospital_zone"}
        return [self._point(by_key.get(key), key, missing="0")
                for key in ("inside", "outside")]

    def coverage(self) -> Chart:
        # The directory is counted once a year (services, not people: never suppressed).
        year = figures.latest_period(self.zone, "year")
        cells = figures.breakdown(self.user, "services", zone=self.zone, period="year",
                                  period_start=year, by="municipality") if year else []
        values = {}
        for cell in cells[1:]:
            nis = cell.municipality
            if nis not in self.names:
                continue
            rate = population.per_10000(_count(cell), [nis])
            shown = formats.number_format(rate, 1, use_l10n=True) if rate is not None \
                else cell.shown
            values[nis] = Point(self.names[nis], rate, shown, suppressed=cell.suppressed)
        description = _("Services of the directory serving each municipality, per 10,000 "
                        "inhabitants (population: Statbel, %(date)s).") % {
            "date": formats.date_format(population.reference_date())}
        if year:
            description = f"{description} ({year.year})"
        return choropleth(_("Services per 10,000 inhabitants"), description, values,
                          self.names, label_header=_("Municipality"),
                          value_header=_("Services per 10,000 inhabitants"))

    # --- questions to figures ----------------------------------------------------------
    # The page reads the zone's published cells once (`figures.table`: one query per
    # indicator) and draws every trend, breakdown, map and flow from them, instead of
    # asking `figures` again for each line and each municipality.

    @cached_property
    def latest(self) -> date | None:
        return figures.latest_period(self.zone, self.filters.period)

    @cached_property
    def periods(self) -> list[date]:
        if self.latest is None:
            return []
        kind, n = self.filters.period, TREND_LENGTH[self.filters.period]
        return [_back(self.latest, kind, steps) for steps in range(n - 1, -1, -1)]

    @cached_property
    def cells(self) -> dict[tuple, list]:
        """(indicator, municipality, period start, breakdown) → its cells."""
        found = defaultdict(list)
        if self.latest is None:
            return found
        for cell in figures.table(self.user, zone=self.zone, period=self.filters.period,
                                  start=self.periods[0], end=self.latest):
            found[(cell.indicator, cell.municipality, cell.period_start,
                   cell.dimension)].append(cell)
        return found

    def _series(self, line: Line) -> tuple[list[date], list[Point]]:
        where = self.filters.municipality or WHOLE
        points = []
        for start in self.periods:
            cell = next((c for c in self.cells[(line.code, where, start, line.dimension)]
                         if c.key == line.key), None)
            # A period without a figure counted nothing (as `figures.series` says); a
            # median of nothing is not zero but no figure.
            missing = "—" if BY_CODE[line.code].is_value else "0"
            points.append(self._point(cell, _period_label(start, self.filters.period),
                                      missing=missing))
        return self.periods, points

    def _parts(self, code: str, by: str, municipality: str) -> list:
        """The latest period's parts of one breakdown (the total is not among them)."""
        if by == "municipality":
            return [cell for (indicator, nis, start, dimension), cells in self.cells.items()
                    if indicator == code and start == self.latest and dimension == ""
                    and nis != WHOLE for cell in cells]
        return list(self.cells[(code, municipality, self.latest, by)])

    def _point(self, cell, label: str, missing: str = "—") -> Point:
        if cell is None:
            return Point(label, 0 if missing == "0" else None, missing)
        return Point(label, _count(cell), cell.shown, suppressed=cell.suppressed)

    def _where(self, description: str) -> str:
        if self.filters.municipality:
            return f"{description} {self.names.get(self.filters.municipality, '')}."
        return description

    def _at(self, description: str) -> str:
        if self.latest is None:
            return description
        return f"{description} ({_period_label(self.latest, self.filters.period)})"


def _count(cell) -> float | None:
    """The number a chart draws: the published value, None when it is suppressed."""
    if cell.suppressed:
        return None
    return cell.value if cell.value is not None else cell.count


def _largest_first(point: Point) -> tuple:
    return (point.value is None, -(point.value or 0), point.label)


def _breakdown_header(by: str) -> str:
    return {"category": _("Service category"), "reason": _("Reason"),
            "priority_group": _("Priority group"), "band": _("Score band")}.get(by, by)


def _period_label(start: date, period: str) -> str:
    if period == "year":
        return str(start.year)
    if period == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return formats.date_format(start, "YEAR_MONTH_FORMAT")


def _short_label(start: date, period: str) -> str:
    """The x axis's label: "03/25", "2025 Q1", "2025" (the table has the long one)."""
    if period == "month":
        return f"{start.month:02d}/{start.year % 100:02d}"
    return _period_label(start, period)


def _back(start: date, period: str, steps: int) -> date:
    months = {"month": 1, "quarter": 3, "year": 12}[period] * steps
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
