"""The zone's cooperation map (R8, R21): who works with whom, beside the agreements on
paper, drawn as accessible SVG. Reads only the published `Link` rows of the newest run
(`observatory.cooperation` computed them) and the directory's agreements (public).

Every count is printed as published: "<10" (small), "–" (hidden so that a small one
cannot be worked out) or rounded to the nearest 5; an edge's width is the band of its
largest published count, a suppressed edge is thin. No total per organisation is printed
(it would be a sum of hidden counts); organisations are ranked for the map by their
published counts only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from relais.accounts.models import Organisation, OrganisationType
from relais.directory.models import Agreement
from relais.observatory import suppression
from relais.observatory.charts import INK, MUTED, PALETTE, _n, _text, _uid
from relais.observatory.compute import latest_done
from relais.observatory.models import REGION, Computation, Link, LinkKind
from relais.observatory.places import Places
from relais.observatory.suppression import Mark, Options

MAP_SIZE = 30  # organisations drawn; the others are in the table
FORWARD, BACKWARD, BOTH = "ab", "ba", ""
# The table's columns after the two organisations: (kind, direction).
COLUMNS = [(LinkKind.NETWORK, BOTH),
           (LinkKind.REFERRAL_SENT, FORWARD), (LinkKind.REFERRAL_ACCEPTED, FORWARD),
           (LinkKind.REFERRAL_SENT, BACKWARD), (LinkKind.REFERRAL_ACCEPTED, BACKWARD),
           (LinkKind.CONSULTATION, FORWARD), (LinkKind.CONSULTATION, BACKWARD)]
SECTORS = list(OrganisationType.values)
SHAPES = ["circle", "square", "triangle", "diamond"]
WITH_AGREEMENT, WITHOUT_AGREEMENT, AGREEMENT_ONLY = "#0072B2", "#D55E00", "#000000"
OTHER = MUTED  # two partners no agreement binds (two ambulatory services, two hospitals)
BANDS = [(50, 7.0), (25, 4.5), (10, 2.5)]  # published count at or above → stroke width
THIN = 1.2
SIZE, CENTRE, RADIUS = 400, 200, 140


@dataclass(frozen=True)
class Published:
    shown: str  # "0", "<10", "–", "15"
    count: int | None  # the rounded count; None when suppressed
    suppressed: bool

    @property
    def is_flow(self) -> bool:
        return self.suppressed or bool(self.count)


ZERO = Published("0", 0, False)


@dataclass
class Pair:
    """Two organisations (the lower id first) and what the map says about them."""

    a: Organisation
    b: Organisation
    cells: dict[tuple[str, str], Published] = field(default_factory=dict)
    agreements: list[str] = field(default_factory=list)  # the agreements' kinds

    def cell(self, kind: str, direction: str) -> Published:
        return self.cells.get((kind, direction), ZERO)

    @property
    def has_flow(self) -> bool:
        return any(cell.is_flow for cell in self.cells.values())

    @property
    def much_flow(self) -> bool:
        """A published count of at least the threshold (never a suppressed one)."""
        return any(cell.count for cell in self.cells.values())

    @property
    def largest(self) -> int:
        return max((cell.count or 0 for cell in self.cells.values()), default=0)

    @property
    def could_agree(self) -> bool:
        """Agreements bind a hospital and an ambulatory partner (directory.Agreement)."""
        return (self.a.type == OrganisationType.HOSPITAL) != (
            self.b.type == OrganisationType.HOSPITAL)

    def texts(self) -> list[str]:
        return [self.cell(kind, direction).shown for kind, direction in COLUMNS]


@dataclass
class CooperationMap:
    zone: str
    year: date | None
    years: list[date]
    pairs: list[Pair]
    drawn: list[Organisation]  # on the map, in the order of their numbers
    others: list[Organisation]  # only in the table
    svg: SafeString | str = ""
    title: str = ""
    description: str = ""
    dom_id: str = ""

    @property
    def agreements_without_flow(self) -> list[Pair]:
        return [pair for pair in self.pairs if pair.agreements and not pair.has_flow]

    @property
    def flows_without_agreement(self) -> list[Pair]:
        return [pair for pair in self.pairs
                if pair.much_flow and not pair.agreements and pair.could_agree]


# --- reading ----------------------------------------------------------------------------


def years_for(run: Computation | None, zone: str) -> list[date]:
    if run is None:
        return []
    return sorted(Link.objects.filter(computation=run, zone=zone).order_by().values_list(
        "year", flat=True).distinct(), reverse=True)


def cooperation(zone: str, year: int | None = None) -> CooperationMap:
    """The map of `zone` ("" = Brussels) for `year` (default the latest with links)."""
    run = latest_done()
    years = years_for(run, zone)
    chosen = next((y for y in years if y.year == year), years[0] if years else None)
    if chosen is None:
        return _drawn(CooperationMap(zone, None, years, [], [], []))
    opts = Options(run.threshold, run.rounding)
    pairs = _pairs(run, zone, chosen, opts)
    _add_agreements(pairs, zone, chosen)
    ordered = sorted(pairs.values(), key=lambda p: (-p.largest, not p.agreements,
                                                    p.a.name, p.b.name))
    drawn, others = _rank(ordered, opts)
    return _drawn(CooperationMap(zone, chosen, years, ordered, drawn, others))


def _published(link: Link, opts: Options) -> Published:
    mark = Mark(link.mark)
    return Published(suppression.label(link.count, mark, opts),
                     suppression.published(link.count, mark, opts), mark != Mark.SHOWN)


def _pairs(run, zone: str, year: date, opts: Options) -> dict[tuple[int, int], Pair]:
    pairs: dict[tuple[int, int], Pair] = {}
    links = Link.objects.filter(computation=run, zone=zone, year=year).select_related(
        "organisation_a", "organisation_b")
    for link in links:
        a, b = link.organisation_a, link.organisation_b
        forward = a.pk < b.pk
        low, high = (a, b) if forward else (b, a)
        pair = pairs.setdefault((low.pk, high.pk), Pair(low, high))
        direction = BOTH if link.kind == LinkKind.NETWORK else (
            FORWARD if forward else BACKWARD)
        pair.cells[(link.kind, direction)] = _published(link, opts)
    return pairs


def _add_agreements(pairs: dict, zone: str, year: date) -> None:
    """The agreements in force during the year between two organisations of the map, or
    with one party in the zone (all of them for Brussels)."""
    end = year.replace(month=12, day=31)
    agreements = Agreement.objects.filter(starts_on__lte=end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=year)).select_related(
        "hospital", "partner").order_by("kind", "pk")
    places = Places()
    for agreement in agreements:
        hospital, partner = agreement.hospital, agreement.partner
        key = (min(hospital.pk, partner.pk), max(hospital.pk, partner.pk))
        if key not in pairs:
            if zone != REGION and zone not in {_zone_of(places, hospital),
                                               _zone_of(places, partner)}:
                continue
            low, high = (hospital, partner) if hospital.pk < partner.pk else (partner, hospital)
            pairs[key] = Pair(low, high)
        label = str(agreement.get_kind_display())
        if label not in pairs[key].agreements:
            pairs[key].agreements.append(label)


def _zone_of(places: Places, organisation: Organisation) -> str:
    return places.zone_of_municipality(organisation.municipality_id, organisation.postcode)


def _weight(cell: Published, opts: Options) -> int:
    """For ranking only (never printed): a published count, the threshold for a hidden
    one, 1 for a small one."""
    if not cell.suppressed:
        return cell.count or 0
    return opts.threshold if cell.shown == "–" else 1


def _rank(pairs: list[Pair], opts: Options) -> tuple[list, list]:
    activity: dict[int, int] = {}
    organisations: dict[int, Organisation] = {}
    for pair in pairs:
        weight = sum(_weight(cell, opts) for cell in pair.cells.values())
        for organisation in (pair.a, pair.b):
            organisations[organisation.pk] = organisation
            activity[organisation.pk] = activity.get(organisation.pk, 0) + weight
    ranked = sorted(organisations.values(),
                    key=lambda o: (-activity[o.pk], o.name, o.pk))
    drawn = sorted(ranked[:MAP_SIZE], key=lambda o: (_sector(o), o.name, o.pk))
    others = sorted(ranked[MAP_SIZE:], key=lambda o: (o.name, o.pk))
    return drawn, others


def _sector(organisation: Organisation) -> int:
    return SECTORS.index(organisation.type) if organisation.type in SECTORS else len(SECTORS)


# --- the picture --------------------------------------------------------------------------


def _drawn(found: CooperationMap) -> CooperationMap:
    uid = _uid("coop")
    found.dom_id = uid
    found.title = _("Who works with whom")
    found.description = _description(found)
    positions = _positions(found.drawn)
    sectors = _sectors(found.drawn)
    parts = [_sector_arcs(found.drawn, positions, sectors)]
    parts += [_edge(pair, positions) for pair in _drawing_order(found.pairs)
              if pair.a.pk in positions and pair.b.pk in positions]
    parts += [_node(number, organisation, positions[organisation.pk], sectors)
              for number, organisation in enumerate(found.drawn, start=1)]
    legend, height = _legend(sectors, SIZE + 4)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-cooperation" '
            f'role="img" viewBox="0 0 {SIZE} {_n(height)}" '
            f'aria-labelledby="{uid}-t {uid}-d" font-family="system-ui, sans-serif" '
            f'font-size="14"><title id="{uid}-t">{escape(found.title)}</title>'
            f'<desc id="{uid}-d">{escape(found.description)}</desc>')
    found.svg = mark_safe(head + "".join(parts) + legend + "</svg>")  # noqa: S308 — escaped
    return found


def _description(found: CooperationMap) -> str:
    if found.year is None:
        return _("No cooperation has been computed yet.")
    return _("Organisations by sector around a circle, numbered as in the list below; a "
             "line joins two organisations that shared the care of residents, sent each "
             "other referrals or answered each other's consultations in %(year)s, wider "
             "for more: a blue double line where they have an agreement, a dashed orange "
             "line between a hospital and a partner without one, a grey line between "
             "partners no agreement binds; a dotted black line: an agreement but nothing "
             "happened. %(drawn)s organisations drawn, %(others)s more in the table.") % {
        "year": found.year.year, "drawn": len(found.drawn), "others": len(found.others)}


def _positions(drawn: list[Organisation]) -> dict[int, tuple[float, float, float]]:
    """(x, y, angle) per organisation: around the circle by sector, a gap between
    sectors so that each reads as an arc."""
    slots, at, previous = [], 0, None
    for organisation in drawn:
        if previous is not None and organisation.type != previous:
            at += 1
        slots.append(at)
        at += 1
        previous = organisation.type
    total = max(at, 1)
    out = {}
    for organisation, slot in zip(drawn, slots, strict=True):
        angle = -math.pi / 2 + 2 * math.pi * slot / total
        out[organisation.pk] = (CENTRE + RADIUS * math.cos(angle),
                                CENTRE + RADIUS * math.sin(angle), angle)
    return out


def _sectors(drawn: list[Organisation]) -> list[str]:
    found: list[str] = []
    for organisation in drawn:
        if organisation.type not in found:
            found.append(organisation.type)
    return found


def _style(sectors: list[str], sector: str) -> tuple[str, str]:
    index = sectors.index(sector)
    return PALETTE[index % len(PALETTE)], SHAPES[(index // len(PALETTE)) % len(SHAPES)]


def _sector_arcs(drawn, positions, sectors) -> str:
    out = []
    for sector in sectors:
        angles = [positions[o.pk][2] for o in drawn if o.type == sector]
        colour, _shape = _style(sectors, sector)
        first, last = min(angles) - 0.12, max(angles) + 0.12
        r = RADIUS + 14
        x1, y1 = CENTRE + r * math.cos(first), CENTRE + r * math.sin(first)
        x2, y2 = CENTRE + r * math.cos(last), CENTRE + r * math.sin(last)
        large = 1 if last - first > math.pi else 0
        out.append(f'<path d="M{_n(x1)},{_n(y1)} A{r},{r} 0 {large} 1 {_n(x2)},{_n(y2)}" '
                   f'fill="none" stroke="{colour}" stroke-width="4"/>')
    return '<g aria-hidden="true">' + "".join(out) + "</g>"


def _drawing_order(pairs: list[Pair]) -> list[Pair]:
    # Agreements without flow first, the widest last (on top).
    return sorted(pairs, key=lambda p: (p.has_flow, p.largest))


def _edge(pair: Pair, positions) -> str:
    ax, ay, _a = positions[pair.a.pk]
    bx, by, _b = positions[pair.b.pk]
    cx = CENTRE + ((ax + bx) / 2 - CENTRE) * 0.35
    cy = CENTRE + ((ay + by) / 2 - CENTRE) * 0.35
    d = f"M{_n(ax)},{_n(ay)} Q{_n(cx)},{_n(cy)} {_n(bx)},{_n(by)}"
    title = f"<title>{escape(edge_label(pair))}</title>"
    width = next((w for floor, w in BANDS if pair.largest >= floor), THIN)
    if not pair.has_flow:
        return _stroke(d, AGREEMENT_ONLY, 1.5, "2 3", title)
    if pair.agreements:  # a double line: blue edges around a white core
        return (f"<g>{_stroke(d, WITH_AGREEMENT, width + 2.5, '', '')}"
                f"{_stroke(d, '#ffffff', 1, '', '')}{title}</g>")
    if pair.could_agree:
        return _stroke(d, WITHOUT_AGREEMENT, width, "7 4", title)
    return _stroke(d, OTHER, width, "", title)


def _stroke(d: str, colour: str, width: float, dash: str, title: str) -> str:
    return (f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}" '
            f'stroke-linecap="round"' + (f' stroke-dasharray="{dash}"' if dash else "")
            + f">{title}</path>")


def edge_label(pair: Pair) -> str:
    """The edge's published figures in words (its tooltip)."""
    a, b = pair.a.name, pair.b.name
    parts = [_("%(a)s and %(b)s") % {"a": a, "b": b},
             _("shared networks: %(n)s") % {"n": pair.cell(LinkKind.NETWORK, BOTH).shown}]
    for direction, (first, second) in ((FORWARD, (a, b)), (BACKWARD, (b, a))):
        parts.append(_("referrals from %(from)s: %(sent)s sent, %(accepted)s accepted") % {
            "from": first, "sent": pair.cell(LinkKind.REFERRAL_SENT, direction).shown,
            "accepted": pair.cell(LinkKind.REFERRAL_ACCEPTED, direction).shown})
        parts.append(_("consultations of %(from)s answered by %(to)s: %(n)s") % {
            "from": first, "to": second,
            "n": pair.cell(LinkKind.CONSULTATION, direction).shown})
    parts.append(_("agreement: %(kinds)s") % {"kinds": ", ".join(pair.agreements)}
                 if pair.agreements else _("no agreement"))
    return "; ".join(parts)


def _node(number: int, organisation: Organisation, position, sectors) -> str:
    x, y, angle = position
    colour, shape = _style(sectors, organisation.type)
    lx = CENTRE + (RADIUS + 30) * math.cos(angle)
    ly = CENTRE + (RADIUS + 30) * math.sin(angle) + 5
    name = f"{number}. {organisation.name} ({organisation.get_type_display()})"
    return (f"<g>{_shape(shape, x, y, 7, colour)}"
            + _text(lx, ly, str(number), size=14, fill=INK, anchor="middle")
            + f"<title>{escape(name)}</title></g>")


def _shape(shape: str, x: float, y: float, r: float, colour: str) -> str:
    outline = f'fill="{colour}" stroke="#ffffff" stroke-width="1.5"'
    if shape == "square":
        return f'<rect x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" ' \
               f'height="{_n(2 * r)}" {outline}/>'
    if shape == "triangle":
        return (f'<path d="M{_n(x)},{_n(y - r)} L{_n(x + r)},{_n(y + r)} '
                f'L{_n(x - r)},{_n(y + r)} Z" {outline}/>')
    if shape == "diamond":
        return (f'<path d="M{_n(x)},{_n(y - r)} L{_n(x + r)},{_n(y)} L{_n(x)},{_n(y + r)} '
                f'L{_n(x - r)},{_n(y)} Z" {outline}/>')
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" {outline}/>'


def _legend(sectors: list[str], top: float) -> tuple[str, float]:
    row = 22
    lines = [(WITH_AGREEMENT, 4, "", _("Cooperation with an agreement")),
             (WITHOUT_AGREEMENT, 3, "7 4", _("Cooperation without an agreement")),
             (OTHER, 3, "", _("Other cooperation (no agreement binds them)")),
             (AGREEMENT_ONLY, 1.5, "2 3", _("Agreement, nothing happened"))]
    out, y = [], top
    for colour, width, dash, label in lines:
        out.append(f'<line x1="10" x2="46" y1="{_n(y)}" y2="{_n(y)}" stroke="{colour}" '
                   f'stroke-width="{width}"' + (f' stroke-dasharray="{dash}"' if dash else "")
                   + "/>")
        if colour == WITH_AGREEMENT:
            out.append(f'<line x1="10" x2="46" y1="{_n(y)}" y2="{_n(y)}" stroke="#ffffff" '
                       f'stroke-width="1"/>')
        out.append(_text(54, y + 5, label, size=14, fill=INK))
        y += row
    for i, (label, width) in enumerate(
            (("<10", THIN), ("10–20", BANDS[2][1]), ("25–45", BANDS[1][1]),
             ("50+", BANDS[0][1]))):
        x = 10 + i * 92
        out.append(f'<line x1="{x}" x2="{x + 30}" y1="{_n(y)}" y2="{_n(y)}" stroke="{OTHER}" '
                   f'stroke-width="{width}"/>')
        out.append(_text(x + 36, y + 5, label, size=14, fill=INK))
    y += row + 4
    for sector in sectors:
        colour, shape = _style(sectors, sector)
        out.append(_shape(shape, 28, y, 7, colour))
        name = str(OrganisationType(sector).label) if sector in SECTORS else sector
        for number, line in enumerate(_wrapped(name)):
            out.append(_text(54, y + 5 + number * 18, line, size=14, fill=INK))
            y += 18 if number else 0
        y += row
    return '<g aria-hidden="true">' + "".join(out) + "</g>", y


def _wrapped(text: str, width: int = 40) -> list[str]:
    """A sector's name on one line, or two when it is long (the legend is 400 units)."""
    if len(text) <= width or " " not in text[:width]:
        return [text]
    cut = text.rindex(" ", 0, width)
    return [text[:cut], text[cut + 1:]]


# --- the table and the export ---------------------------------------------------------------


def column_headers() -> list[str]:
    return [_("Organisation A"), _("Organisation B"), _("Shared networks (persons)"),
            _("Referrals A → B"), _("Accepted A → B"), _("Referrals B → A"),
            _("Accepted B → A"), _("Consultations A → B"), _("Consultations B → A"),
            _("Agreement")]


CSV_FIELDS = ["zone", "year", "organisation", "sector", "with_organisation", "with_sector",
              "shared_networks", "referrals_sent", "referrals_accepted",
              "referrals_sent_back", "referrals_accepted_back", "consultations_answered",
              "consultations_answered_back", "agreement"]


def csv_rows(found: CooperationMap, zone_name: str) -> list[list[str]]:
    """One row per pair, the published texts only (as on the page)."""
    year = str(found.year.year) if found.year else ""
    return [[zone_name, year, pair.a.name, pair.a.type, pair.b.name, pair.b.type,
             *pair.texts(), "; ".join(pair.agreements)] for pair in found.pairs]
