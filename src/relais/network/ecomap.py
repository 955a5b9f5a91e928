"""A printable SVG "ecomap" of a person's care network: a picture rather than a list.

The person sits in the centre; the members of their network sit around them in four
sectors (quadrants): informal (family, caregivers), health care, social services and
coordination. The contact point has a double border, a thick line and a "★" before its
name; legal roles carry a badge letter (T, R, L) that the legend explains.

Why it looks like this:

* The SVG is built as text so it can be inlined in a page or a print view: no JavaScript,
  no image files, sharp on A4 at any size (a viewBox and width="100%").
* The Content-Security-Policy (style-src 'self') blocks `style` attributes and <style>
  elements, so only SVG presentation attributes (fill, stroke, font-size...) are used.
* Colour is never the only signal: sectors are named in their corners, the contact point
  has a symbol and a thicker border, legal roles have letters.
* Every value from the data is escaped, and the same input always gives the same string,
  so the map can be cached and compared in tests.

Coordinates: the person is at (0, 0), x grows to the right and y downwards (as in SVG);
the viewBox is placed around that origin.
"""

import hashlib
import html
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.core.cache import cache
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

SECTORS = ("informal", "health", "social", "coordination")
LEGAL_MARKS = ("trusted_person", "representative", "legal_representative")

NODE_WIDTH = 210.0
NODE_HEIGHT = 72.0
# Clear space between two nodes; larger than a badge pokes out of its node.
NODE_GAP = 16.0
CENTRE_RADIUS = 115.0

CENTRE_LINE_CHARS = 22
NODE_NAME_CHARS = 20
NODE_DETAIL_CHARS = 26
TITLE_CHARS = 70

# The map is never smaller than this around the centre, so that the legend (translated
# texts can be long) fits under it and a tiny network does not print as a giant picture.
MIN_HALF_SIZE = 440.0
MAP_MARGIN = 20.0
LABEL_BAND = 40.0  # above and below the map: the sector names
TITLE_BAND = 44.0
LEGEND_ROW = 30.0

INK = "#1d2433"
PAPER = "#ffffff"
FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif"

# Where each sector sits, as the signs of (x, y): informal top left, then clockwise.
QUADRANT_SIGNS = {
    "informal": (-1, -1),
    "health": (1, -1),
    "social": (1, 1),
    "coordination": (-1, 1),
}


@dataclass(frozen=True)
class _Colours:
    stroke: str  # dark enough for text on white (contrast >= 4.5:1)
    tint: str  # the sector's background


# Okabe-Ito hues (safe for the common colour-vision deficiencies), darkened for contrast.
SECTOR_COLOURS = {
    "informal": _Colours(stroke="#9a5700", tint="#fbecd6"),
    "health": _Colours(stroke="#005a8c", tint="#dcebf5"),
    "social": _Colours(stroke="#00704f", tint="#d9f0e6"),
    "coordination": _Colours(stroke="#8e3b6e", tint="#f3e1ec"),
}


@dataclass(frozen=True)
class MapMember:
    name: str  # e.g. "Marie Dubois" or an organisation name
    role_labels: tuple[str, ...]  # already translated, e.g. ("Daughter", "Informal caregiver")
    sector: str  # one of SECTORS
    is_contact_point: bool = False
    legal_marks: tuple[str, ...] = ()  # a subset of LEGAL_MARKS
    phone: str = ""


# --- Translated texts (looked up at render time, in the active language) -------------------


def sector_label(sector: str) -> str:
    return {
        "informal": _("Family and informal care"),
        "health": _("Health care"),
        "social": _("Social services"),
        "coordination": _("Care coordination"),
    }[sector]


def legal_mark_label(mark: str) -> str:
    return {
        "trusted_person": _("Trusted person"),
        "representative": _("Representative"),
        "legal_representative": _("Legal representative or administrator"),
    }[mark]


def legal_mark_letter(mark: str) -> str:
    # A context per letter: translators pick the initial of the word in their language.
    return {
        "trusted_person": pgettext("ecomap badge for a trusted person", "T"),
        "representative": pgettext("ecomap badge for a representative", "R"),
        "legal_representative": pgettext(
            "ecomap badge for a legal representative or administrator", "L"),
    }[mark]


def text_list(members: list[MapMember]) -> list[tuple[str, list[MapMember]]]:
    """Members grouped by sector (in SECTORS order) under a translated heading.

    For the text list beside the map (screen readers, people who prefer reading).
    Empty sectors are left out.
    """
    _check_members(members)
    groups = []
    for sector in SECTORS:
        in_sector = [member for member in members if member.sector == sector]
        if in_sector:
            groups.append((sector_label(sector), in_sector))
    return groups


def _check_members(members: list[MapMember]) -> None:
    # Sectors and marks are chosen by code, not typed by people: a wrong one is a bug.
    for member in members:
        if member.sector not in SECTORS:
            raise ValueError(f"Unknown ecomap sector: {member.sector!r}")
        unknown = set(member.legal_marks) - set(LEGAL_MARKS)
        if unknown:
            raise ValueError(f"Unknown legal marks: {sorted(unknown)!r}")


# --- Layout ---------------------------------------------------------------------------------


def layout(members: list[MapMember]) -> list[tuple[MapMember, float, float]]:
    """The centre (x, y) of every member's node, in the order of `members`.

    Each sector's members go on one or more rings in their quadrant, evenly spread; a
    crowded sector gets a compact grid instead, so the map (and its print) stays large.
    Node boxes (NODE_WIDTH x NODE_HEIGHT) never overlap each other, the centre circle or
    another quadrant: they stay at least NODE_GAP apart. Equal input, equal output.
    """
    _check_members(members)
    centres: list[tuple[float, float]] = [(0.0, 0.0)] * len(members)
    for sector in SECTORS:
        indexes = [i for i, member in enumerate(members) if member.sector == sector]
        sign_x, sign_y = QUADRANT_SIGNS[sector]
        for index, (across, down) in zip(indexes, _quadrant_offsets(len(indexes)), strict=True):
            centres[index] = (sign_x * across, sign_y * down)
    return [(member, x, y) for member, (x, y) in zip(members, centres, strict=True)]


# The offsets below are in one quadrant, both positive: `across` away from the vertical
# axis, `down` away from the horizontal one. Angles go from the horizontal axis.

_MAX_RINGS = 8
_FIRST_RING_RADII = (200.0, 225.0, 250.0, 280.0, 315.0)
_RING_STEPS = (85.0, 105.0, 130.0, 160.0, 195.0, 230.0)
# Wide nodes pack badly on rings: past a handful per sector the grid always wins, and
# searching rings for dozens of members would only cost time.
_MAX_ON_RINGS = 16
# How each ring spreads its nodes, repeated ring after ring: "ends" uses both ends of the
# arc, "centred" the middle of equal slices; alternating them staggers neighbouring rings.
_SPREAD_PATTERNS = (("ends", "centred"), ("centred", "ends"), ("ends",))
# Rings read as an ecomap; a plain grid is used only when it is clearly more compact.
_GRID_ONLY_IF_SMALLER_BY = 1.1


@lru_cache(maxsize=128)
def _quadrant_offsets(count: int) -> tuple[tuple[float, float], ...]:
    """The most compact clear arrangement of `count` nodes in one quadrant."""
    if count == 0:
        return ()
    on_rings = _best_on_rings(count) if count <= _MAX_ON_RINGS else None
    grid = _grid_offsets(count)
    # Rings are free while they fit in the smallest map; beyond, a bigger map means
    # smaller print, so the grid wins when it is clearly more compact.
    affordable = max(MIN_HALF_SIZE - MAP_MARGIN, _extent(grid) * _GRID_ONLY_IF_SMALLER_BY)
    return on_rings if on_rings is not None and _extent(on_rings) <= affordable else grid


def _best_on_rings(count: int):
    best = None
    for rings in range(1, min(count, _MAX_RINGS) + 1):
        found = _best_with_rings(count, rings)
        if found is not None and (best is None or _extent(found) < _extent(best)):
            best = found
        elif best is not None:
            break  # one more ring made it no smaller: more rings will not either
    return best


def _best_with_rings(count: int, rings: int):
    best = None
    for first_radius in _FIRST_RING_RADII:
        for step in _RING_STEPS:
            radii = [first_radius + ring * step for ring in range(rings)]
            for pattern in _SPREAD_PATTERNS:
                offsets = _ring_offsets(count, radii, pattern)
                if offsets is None or not _is_clear(offsets):
                    continue
                if best is None or _extent(offsets) < _extent(best):
                    best = offsets
    return best


def _ring_offsets(count, radii, pattern):
    arcs = [_usable_arc(radius) for radius in radii]
    if None in arcs:
        return None
    lengths = [radius * (end - start) for radius, (start, end) in zip(radii, arcs, strict=True)]
    shares = _share_out(count, lengths)
    if 0 in shares:
        return None  # an empty ring is the same as one ring fewer
    offsets = []
    for ring, (radius, arc, share) in enumerate(zip(radii, arcs, shares, strict=True)):
        for angle in _spread(arc, share, pattern[ring % len(pattern)]):
            offsets.append((radius * math.cos(angle), radius * math.sin(angle)))
    return tuple(offsets)


def _usable_arc(radius: float) -> tuple[float, float] | None:
    """The angles at which a node on this ring stays inside its quadrant, or None."""
    min_across = NODE_WIDTH / 2 + NODE_GAP / 2
    min_down = NODE_HEIGHT / 2 + NODE_GAP / 2
    if max(min_across, min_down) >= radius:
        return None
    start, end = math.asin(min_down / radius), math.acos(min_across / radius)
    return (start, end) if start < end else None


def _share_out(count: int, weights: list[float]) -> list[int]:
    """Split `count` in proportion to `weights` (largest remainder; ties go inwards)."""
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    exact = [count * weight / total for weight in weights]
    shares = [math.floor(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: count - sum(shares)]:
        shares[i] += 1
    return shares


def _spread(arc: tuple[float, float], count: int, how: str) -> list[float]:
    start, end = arc
    if how == "ends" and count > 1:
        return [start + i * (end - start) / (count - 1) for i in range(count)]
    return [start + (i + 0.5) * (end - start) / count for i in range(count)]


def _grid_offsets(count: int) -> tuple[tuple[float, float], ...]:
    """A plain grid, filled so that it reaches as little as possible: always clear."""
    cells = [(_grid_cell(column, row), row, column)
             for row in range(count + 2) for column in range(count)]
    clear = [cell for cell in cells if _clear_of_centre(*cell[0])]
    clear.sort(key=lambda cell: (_extent([cell[0]]), cell[1], cell[2]))
    return tuple(offset for offset, _row, _column in clear[:count])


def _grid_cell(column: int, row: int) -> tuple[float, float]:
    return (NODE_WIDTH / 2 + NODE_GAP / 2 + column * (NODE_WIDTH + NODE_GAP),
            NODE_HEIGHT / 2 + NODE_GAP / 2 + row * (NODE_HEIGHT + NODE_GAP))


_TOLERANCE = 1e-6


def _is_clear(offsets) -> bool:
    if not all(_clear_of_centre(across, down) for across, down in offsets):
        return False
    return all(
        _boxes_apart(offsets[i], offsets[j])
        for i in range(len(offsets)) for j in range(i + 1, len(offsets))
    )


def _clear_of_centre(across: float, down: float) -> bool:
    nearest_across = max(across - NODE_WIDTH / 2, 0.0)
    nearest_down = max(down - NODE_HEIGHT / 2, 0.0)
    return math.hypot(nearest_across, nearest_down) >= CENTRE_RADIUS + NODE_GAP - _TOLERANCE


def _boxes_apart(first, second) -> bool:
    return (abs(first[0] - second[0]) >= NODE_WIDTH + NODE_GAP - _TOLERANCE
            or abs(first[1] - second[1]) >= NODE_HEIGHT + NODE_GAP - _TOLERANCE)


def _extent(offsets) -> float:
    """How far the nodes reach from the centre, horizontally or vertically."""
    return max(max(across + NODE_WIDTH / 2, down + NODE_HEIGHT / 2) for across, down in offsets)


def _half_size(placed: list[tuple[MapMember, float, float]]) -> float:
    reach = [max(abs(x) + NODE_WIDTH / 2, abs(y) + NODE_HEIGHT / 2) for _m, x, y in placed]
    return max(MIN_HALF_SIZE, max(reach, default=0.0) + MAP_MARGIN)


# --- Text helpers ---------------------------------------------------------------------------


# What XML 1.0 cannot hold: control characters (Unicode's Cc), lone surrogates (Cs) and
# the two non-characters; one pattern, not a category lookup per character (a map has
# three hundred texts: that took half of drawing it).
_NOT_XML = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    """One line of XML-safe characters: control characters cannot appear in XML 1.0."""
    return _NOT_XML.sub(" ", str(text)).strip()


def _escape(text: str) -> str:
    return html.escape(_clean(text), quote=True)


def _truncate(text: str, limit: int) -> str:
    text = _clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _two_lines(text: str, limit: int) -> list[str]:
    """Wrap at spaces onto at most two lines; a too-long word or rest is truncated."""
    words = _clean(text).split()
    first = ""
    while words and len(f"{first} {words[0]}".strip()) <= limit:
        first = f"{first} {words.pop(0)}".strip()
    if not first and words:  # a single word longer than a line: cut it
        first, words[0] = words[0][:limit], words[0][limit:]
    rest = " ".join(words)
    return [first, _truncate(rest, limit)] if rest else [first]


def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attributes(**values) -> str:
    """SVG attributes from keyword arguments: stroke_width becomes stroke-width."""
    parts = []
    for key, value in values.items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = _number(value)  # digits: nothing to escape
        else:
            value = _escape(str(value))
        parts.append(f'{key.rstrip("_").replace("_", "-")}="{value}"')
    return " ".join(parts)


def _element(tag: str, **values) -> str:
    return f"<{tag} {_attributes(**values)}/>"


def _text(content: str, **values) -> str:
    values.setdefault("fill", INK)
    return f"<text {_attributes(**values)}>{_escape(content)}</text>"


# --- Rendering ------------------------------------------------------------------------------


def render_ecomap(centre_label: str, members: list[MapMember], *, title: str = "") -> str:
    """The ecomap as SVG markup; every text from the data is escaped (safe to mark_safe)."""
    placed = layout(members)
    half = _half_size(placed)
    title = title or _("Care network of %(name)s") % {"name": centre_label}
    ids = _element_ids(centre_label, members, title)
    top = -half - LABEL_BAND - TITLE_BAND
    legend_top = half + LABEL_BAND + 20
    bottom = legend_top + _legend_height()
    view_box = " ".join(_number(v) for v in (-half, top, 2 * half, bottom - top))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'{_attributes(viewBox=view_box, width="100%", role="img", class_="ecomap")} '
        f'aria-labelledby="{ids}-title {ids}-desc" '
        f'{_attributes(font_family=FONT_FAMILY)}>',
        f'<title id="{ids}-title">{_escape(title)}</title>',
        f'<desc id="{ids}-desc">{_escape(_description(centre_label, members))}</desc>',
        _render_sectors(half),
        _text(_truncate(title, TITLE_CHARS), x=0, y=-half - LABEL_BAND - 14,
              text_anchor="middle", font_size=24, font_weight="bold"),
        _render_links(placed),
        _render_centre(centre_label),
    ]
    if not members:
        parts.append(_render_empty_message())
    parts.extend(_render_node(member, x, y) for member, x, y in placed)
    parts.append(_render_legend(half, legend_top))
    parts.append("</svg>")
    return "\n".join(parts)


# A new drawing code gives new keys: a shared cache (Redis) never serves an old drawing.
DRAWING_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
CACHE_SECONDS = 24 * 60 * 60


def cached_ecomap(centre_label: str, members: list[MapMember], *, title: str = "") -> str:
    """render_ecomap, kept in Django's cache under a digest of everything it is drawn from.

    The key is the network's version as this viewer sees it: the members they may see
    (names, roles, phones, marks), the language, the title and this module's code. When
    the network changes, or another viewer sees other members, the key differs, so one
    viewer's map is never served to a viewer who may see less; two viewers who see the
    same members get the same picture, drawn once."""
    digest = hashlib.sha256(repr((DRAWING_VERSION, get_language(), centre_label, title,
                                  members)).encode()).hexdigest()
    key = f"ecomap:{digest}"
    svg = cache.get(key)
    if svg is None:
        svg = render_ecomap(centre_label, members, title=title)
        cache.set(key, svg, CACHE_SECONDS)
    return svg


def _element_ids(centre_label: str, members: list[MapMember], title: str) -> str:
    # Derived from the content, not random: unique enough on a page, and deterministic.
    digest = hashlib.sha256(repr((centre_label, members, title)).encode()).hexdigest()
    return f"ecomap-{digest[:10]}"


def _description(centre_label: str, members: list[MapMember]) -> str:
    """The whole map in words, for screen readers (<desc>)."""
    if not members:
        return _("No one in the network yet")
    sentences = [ngettext(
        "%(name)s is in the centre, with %(count)s member of their care network around them.",
        "%(name)s is in the centre, with %(count)s members of their care network around them.",
        len(members),
    ) % {"name": centre_label, "count": len(members)}]
    for heading, in_sector in text_list(members):
        described = ", ".join(_describe_member(member) for member in in_sector)
        sentences.append(_("%(sector)s: %(members)s.") % {"sector": heading,
                                                          "members": described})
    return " ".join(sentences)


def _describe_member(member: MapMember) -> str:
    details = list(member.role_labels)
    if member.is_contact_point:
        details.insert(0, _("Contact point"))
    details.extend(legal_mark_label(mark) for mark in _ordered_marks(member))
    return f"{member.name} ({'; '.join(details)})" if details else member.name


def _ordered_marks(member: MapMember) -> list[str]:
    return [mark for mark in LEGAL_MARKS if mark in member.legal_marks]


def _render_sectors(half: float) -> str:
    parts = ['<g class="ecomap-sectors">']
    for sector in SECTORS:
        sign_x, sign_y = QUADRANT_SIGNS[sector]
        colours = SECTOR_COLOURS[sector]
        height = half + LABEL_BAND
        parts.append(_element("rect", x=min(0, sign_x * half), y=min(0, sign_y * height),
                              width=half, height=height, fill=colours.tint))
        label_y = -half - LABEL_BAND + 27 if sign_y < 0 else half + LABEL_BAND - 13
        parts.append(_text(sector_label(sector), x=sign_x * (half - 14), y=label_y,
                           text_anchor="start" if sign_x < 0 else "end", font_size=18,
                           font_weight="bold", fill=colours.stroke))
    parts.append("</g>")
    return "\n".join(parts)


def _render_links(placed) -> str:
    parts = ['<g class="ecomap-links" stroke-linecap="round">']
    for member, x, y in placed:
        parts.append(_element("line", x1=0, y1=0, x2=x, y2=y,
                              stroke=SECTOR_COLOURS[member.sector].stroke,
                              stroke_width=5 if member.is_contact_point else 1.5))
    parts.append("</g>")
    return "\n".join(parts)


def _render_centre(centre_label: str) -> str:
    lines = _two_lines(centre_label, CENTRE_LINE_CHARS)
    first_baseline = 7 - 11 * (len(lines) - 1)  # 22 between lines, centred on the circle
    parts = ['<g class="ecomap-centre">',
             _element("circle", cx=0, cy=0, r=CENTRE_RADIUS, fill=PAPER, stroke=INK,
                      stroke_width=4)]
    for number, line in enumerate(lines):
        parts.append(_text(line, x=0, y=first_baseline + 22 * number, text_anchor="middle",
                           font_size=17, font_weight="bold"))
    parts.append("</g>")
    return "\n".join(parts)


def _render_empty_message() -> str:
    message = _("No one in the network yet")
    # On white: the message sits where two differently tinted sectors meet.
    width = max(260.0, 9.5 * len(message) + 32)
    return "\n".join([
        '<g class="ecomap-empty">',
        _element("rect", x=-width / 2, y=CENTRE_RADIUS + 20, width=width, height=40, rx=8,
                 fill=PAPER),
        _text(message, x=0, y=CENTRE_RADIUS + 46, text_anchor="middle", font_size=18,
              font_style="italic"),
        "</g>",
    ])


def _render_node(member: MapMember, x: float, y: float) -> str:
    colour = SECTOR_COLOURS[member.sector].stroke
    left, top = x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2
    kind = "ecomap-node ecomap-contact-point" if member.is_contact_point else "ecomap-node"
    parts = [f'<g {_attributes(class_=kind, data_sector=member.sector)}>',
             f"<title>{_escape(_node_tooltip(member))}</title>"]
    if member.is_contact_point:  # a second, outer border: visible without colour
        parts.append(_element("rect", x=left - 5, y=top - 5, width=NODE_WIDTH + 10,
                              height=NODE_HEIGHT + 10, rx=14, fill="none", stroke=colour,
                              stroke_width=3))
    parts.append(_element("rect", x=left, y=top, width=NODE_WIDTH, height=NODE_HEIGHT, rx=10,
                          fill=PAPER, stroke=colour,
                          stroke_width=4 if member.is_contact_point else 2))
    parts.extend(_node_lines(member, x, y))
    for position, mark in enumerate(_ordered_marks(member)):
        parts.append(_badge(mark, x + NODE_WIDTH / 2 - 16 - 26 * position, top))
    parts.append("</g>")
    return "\n".join(parts)


def _node_tooltip(member: MapMember) -> str:
    return " · ".join(part for part in (_describe_member(member), member.phone) if part)


def _node_lines(member: MapMember, x: float, y: float) -> list[str]:
    name = _truncate(member.name, NODE_NAME_CHARS)
    lines = [(f"★ {name}" if member.is_contact_point else name, 15, "bold")]
    if member.role_labels:
        lines.append((_truncate(member.role_labels[0], NODE_DETAIL_CHARS), 13, "normal"))
    if member.phone:
        lines.append((_truncate(member.phone, NODE_DETAIL_CHARS), 13, "normal"))
    # Lines are 19 apart; a baseline sits about a third of the font size below the middle.
    baseline = y - 19 * (len(lines) - 1) / 2 + 5
    return [_text(content, x=x, y=baseline + 19 * number, text_anchor="middle",
                  font_size=size, font_weight=weight)
            for number, (content, size, weight) in enumerate(lines)]


def _badge(mark: str, x: float, y: float) -> str:
    return "\n".join([
        _element("circle", cx=x, cy=y, r=11, fill=PAPER, stroke=INK, stroke_width=1.5),
        _text(legal_mark_letter(mark), x=x, y=y + 4.5, text_anchor="middle", font_size=13,
              font_weight="bold"),
    ])


def _legend_height() -> float:
    return 40 + 4 * LEGEND_ROW


def _render_legend(half: float, top: float) -> str:
    """Sectors on the left; contact point and legal badges on the right."""
    left_x, right_x = -half + 20, 20.0
    parts = ['<g class="ecomap-legend">',
             _text(_("Legend"), x=left_x, y=top + 20, font_size=17, font_weight="bold")]
    for row, sector in enumerate(SECTORS):
        row_y = top + 40 + row * LEGEND_ROW
        colours = SECTOR_COLOURS[sector]
        parts.append(_element("rect", x=left_x, y=row_y, width=30, height=20, rx=4,
                              fill=colours.tint, stroke=colours.stroke, stroke_width=2))
        parts.append(_text(sector_label(sector), x=left_x + 40, y=row_y + 15, font_size=15))
    contact_y = top + 40
    parts.append(_element("rect", x=right_x - 4, y=contact_y - 4, width=38, height=28, rx=7,
                          fill="none", stroke=INK, stroke_width=2))
    parts.append(_element("rect", x=right_x, y=contact_y, width=30, height=20, rx=4,
                          fill=PAPER, stroke=INK, stroke_width=3))
    parts.append(_text("★", x=right_x + 15, y=contact_y + 15, text_anchor="middle",
                       font_size=13))
    parts.append(_text(_("Contact point"), x=right_x + 40, y=contact_y + 15, font_size=15))
    for row, mark in enumerate(LEGAL_MARKS, start=1):
        row_y = top + 40 + row * LEGEND_ROW
        parts.append(_badge(mark, right_x + 15, row_y + 10))
        parts.append(_text(legal_mark_label(mark), x=right_x + 40, y=row_y + 15, font_size=15))
    parts.append("</g>")
    return "\n".join(parts)
