"""Accessible charts drawn on the server as SVG (trend lines, bars, flows).

Why hand-drawn and not a charting library: the issue asked for a maintained library
(e.g. vl-convert-python for Vega-Lite) unless shown worse; measured on this machine it is
(docs/observatory.md, "Charts"): an 84 MB wheel, a JavaScript runtime started in every
web process (~1 s and ~80 MB RSS), 70–110 ms per chart after that against well under
1 ms here, and SVG that still needs rewriting to be accessible (fixed width, no
<title>/<desc>, no patterns). pygal draws its styles in an inline <style>, which the
site's Content-Security-Policy (style-src 'self') blocks.

Every chart here:
- is an `<svg role="img">` named by its own `<title>` and `<desc>` (aria-labelledby),
  sized by its viewBox only, so it fills its column from 360 px to print;
- uses the Okabe–Ito palette, which colour-blind readers can tell apart, and adds a
  second cue to colour: a pattern per bar series, a dash and a marker shape per line;
- draws a suppressed value (a `Point` with `suppressed=True`) as a hatched, empty mark
  labelled with its published text ("<10"), never as a length or a height, so no
  number can be read off the picture that the table does not show;
- returns its data as a table (`Chart.columns`, `Chart.rows`) that the page shows
  beside the picture; the table is the reference, the picture the overview.

Colours and fonts are presentation attributes, not inline styles: the CSP allows them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import count
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
DASHES = ["", "6 3", "2 3", "8 3 2 3"]
MARKERS = ["circle", "square", "triangle", "diamond"]
PATTERNS = ["solid", "hatch", "dots", "cross"]
INK = "#1d2433"
MUTED = "#566074"
GRID = "#d6dbe4"
SUPPRESSED_INK = "#566074"

WIDTH = 320  # viewBox units; the page scales it (360 px phones to a printed A4 column)
FONT = 14
SMALL = 13  # about 11 px on a 360 px phone, where the chart is ~290 px wide

# The axis end when nothing published is above zero (zeros, or only hidden values): a
# plain 0–4 scale, so the picture keeps its shape and shows no hidden value's size.
EMPTY_AXIS = 4

_ids = count(1)


@dataclass(frozen=True)
class Point:
    """One value as published: `value` is None when it is suppressed or not available."""

    label: str
    value: float | None
    shown: str  # the published text: "125", "12.5 %", "<10"
    suppressed: bool = False


@dataclass(frozen=True)
class Series:
    name: str
    points: list[Point]


@dataclass
class Chart:
    """An SVG and the same data as a table (columns: the header row; rows: label + cells)."""

    title: str
    description: str
    svg: SafeString
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str, list[str]]] = field(default_factory=list)
    dom_id: str = ""


# --- public chart kinds -----------------------------------------------------------------


def line_chart(title: str, description: str, series: list[Series], *,
               label_header: str = "", axis_labels: list[str] | None = None) -> Chart:
    """A trend: one line per series over shared x labels (periods, oldest first).

    A suppressed or missing point breaks the line; a suppressed one is marked on the axis
    with a hatched box. `axis_labels` are shorter labels for the x axis ("03/25"); the
    table keeps the points' own labels.
    """
    uid = _uid("line")
    labels = [p.label for p in series[0].points] if series else []
    top = _nice_max(v for s in series for v in _values(s.points)) or EMPTY_AXIS
    legend_h = _legend_height(len(series))
    plot = _Plot(left=40, right=WIDTH - 8, top=14 + legend_h, bottom=14 + legend_h + 150)
    parts = [_defs(uid, 1), _y_axis(plot, top)]
    step = (plot.right - plot.left) / max(len(labels) - 1, 1)
    xs = [plot.left + i * step if len(labels) > 1 else (plot.left + plot.right) / 2
          for i in range(len(labels))]
    parts.append(_x_labels(xs, axis_labels or labels, plot.bottom))
    for index, one in enumerate(series):
        parts.append(_line(uid, index, one, xs, plot, top))
    parts.append(_legend(uid, [s.name for s in series], kind="line"))
    svg = _svg(uid, title, description, plot.bottom + 26, parts)
    columns = [label_header, *[s.name for s in series]]
    rows = [(label, [s.points[i].shown for s in series]) for i, label in enumerate(labels)]
    return Chart(title, description, svg, columns, rows, uid)


def bar_chart(title: str, description: str, points: list[Point], *, label_header: str = "",
              value_header: str = "") -> Chart:
    """Horizontal bars by category (long category names read well on a phone)."""
    uid = _uid("bars")
    top = _nice_max(_values(points)) or EMPTY_AXIS
    row_h = 38
    plot = _Plot(left=4, right=WIDTH - 56, top=24, bottom=24 + row_h * len(points))
    parts = [_defs(uid, 1), _x_grid(plot, top)]
    for i, point in enumerate(points):
        y = plot.top + i * row_h
        parts.append(_text(plot.left, y + 13, point.label, size=SMALL, fill=INK))
        parts.append(_bar(uid, 0, point, plot.left, y + 18, plot.right - plot.left, 15, top))
    svg = _svg(uid, title, description, plot.bottom + 8, parts)
    rows = [(p.label, [p.shown]) for p in points]
    return Chart(title, description, svg, [label_header, value_header], rows, uid)


def split_bars(title: str, description: str, rows: list[tuple[str, list[Point]]],
               parts_names: list[str], *, label_header: str = "",
               share_header: str = "") -> Chart:
    """One 100 % bar per row split into parts (e.g. hospitalised inside / outside the zone).

    Shares are drawn, not counts, so a small municipality reads as well as a large one;
    a row with any suppressed part is drawn hatched and empty with its text, because
    its shares cannot be published. The table's last column is the first part's share
    (`share_header` names it).
    """
    uid = _uid("split")
    legend_h = _legend_height(len(parts_names))
    row_h = 38
    plot = _Plot(left=4, right=WIDTH - 4, top=14 + legend_h,
                 bottom=14 + legend_h + row_h * len(rows))
    body = [_defs(uid, len(parts_names)), _legend(uid, parts_names, kind="bar")]
    for i, (label, points) in enumerate(rows):
        y = plot.top + i * row_h
        body.append(_text(plot.left, y + 13, label, size=SMALL, fill=INK))
        body.append(_split_row(uid, points, plot, y + 18))
    svg = _svg(uid, title, description, plot.bottom + 8, body)
    table_rows = [(label, [p.shown for p in points] + [_share_text(points)])
                  for label, points in rows]
    return Chart(title, description, svg, [label_header, *parts_names, share_header],
                 table_rows, uid)


# --- drawing helpers --------------------------------------------------------------------


@dataclass(frozen=True)
class _Plot:
    left: float
    right: float
    top: float
    bottom: float


def _uid(kind: str) -> str:
    # Unique within a page: several charts share one document and their ids must not clash.
    return f"obs-{kind}-{next(_ids)}"


def _svg(uid: str, title: str, description: str, height: float, parts: list[str]) -> SafeString:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {WIDTH} {_n(height)}" aria-labelledby="{uid}-t {uid}-d" '
            f'font-family="system-ui, sans-serif" font-size="{FONT}">'
            f'<title id="{uid}-t">{escape(title)}</title>'
            f'<desc id="{uid}-d">{escape(description)}</desc>')
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308 — every text is escaped


def _defs(uid: str, n: int) -> str:
    """The fill patterns of the series, and the hatching of suppressed values."""
    patterns = [_pattern(f"{uid}-p{i}", PATTERNS[i % len(PATTERNS)],
                         PALETTE[i % len(PALETTE)]) for i in range(n)]
    suppressed = (f'<pattern id="{uid}-sup" width="6" height="6" '
                  f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
                  f'<rect width="6" height="6" fill="#ffffff"/>'
                  f'<line x1="0" y1="0" x2="0" y2="6" stroke="{SUPPRESSED_INK}" '
                  f'stroke-width="1.5"/></pattern>')
    return "<defs>" + "".join(patterns) + suppressed + "</defs>"


def _pattern(pid: str, kind: str, colour: str) -> str:
    if kind == "solid":
        return (f'<pattern id="{pid}" width="4" height="4" patternUnits="userSpaceOnUse">'
                f'<rect width="4" height="4" fill="{colour}"/></pattern>')
    shapes = {
        "hatch": '<path d="M0,8 L8,0" stroke="#ffffff" stroke-width="2"/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#ffffff"/>',
        "cross": ('<path d="M0,4 H8 M4,0 V8" stroke="#ffffff" stroke-width="1.5"/>'),
    }
    return (f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{shapes[kind]}</pattern>')


def _y_axis(plot: _Plot, top: float) -> str:
    out = []
    for tick in _ticks(top):
        y = plot.bottom - (tick / top) * (plot.bottom - plot.top) if top else plot.bottom
        out.append(f'<line x1="{_n(plot.left)}" x2="{_n(plot.right)}" y1="{_n(y)}" '
                   f'y2="{_n(y)}" stroke="{GRID}"/>')
        out.append(_text(plot.left - 4, y + 4, _num(tick), size=SMALL, fill=MUTED,
                         anchor="end"))
    return '<g aria-hidden="true">' + "".join(out) + "</g>"


def _x_grid(plot: _Plot, top: float) -> str:
    out = []
    for tick in _ticks(top):
        x = plot.left + (tick / top) * (plot.right - plot.left) if top else plot.left
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(plot.top)}" '
                   f'y2="{_n(plot.bottom)}" stroke="{GRID}"/>')
        out.append(_text(x, plot.top - 6, _num(tick), size=SMALL, fill=MUTED,
                         anchor="middle"))
    return '<g aria-hidden="true">' + "".join(out) + "</g>"


def _x_labels(xs: list[float], labels: list[str], y: float) -> str:
    # Four short labels fit 320 units: evenly spread, always the first and the last.
    shown = min(len(labels), 4)
    keep = {round(i * (len(labels) - 1) / (shown - 1)) for i in range(shown)} if shown > 1 \
        else set(range(len(labels)))
    out = []
    for i, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if i in keep:
            anchor = "start" if i == 0 and shown > 1 else (
                "end" if i == len(labels) - 1 and shown > 1 else "middle")
            out.append(_text(x, y + 16, label, size=SMALL, fill=MUTED, anchor=anchor))
    axis = (f'<line x1="{_n(xs[0] if xs else 0)}" x2="{_n(xs[-1] if xs else 0)}" '
            f'y1="{_n(y)}" y2="{_n(y)}" stroke="{MUTED}"/>')
    return '<g aria-hidden="true">' + axis + "".join(out) + "</g>"


def _line(uid: str, index: int, one: Series, xs: list[float], plot: _Plot, top: float) -> str:
    colour = PALETTE[index % len(PALETTE)]
    dash = DASHES[index % len(DASHES)]
    height = plot.bottom - plot.top
    segments, current, marks = [], [], []
    for x, point in zip(xs, one.points, strict=True):
        if point.value is None:
            if current:
                segments.append(current)
            current = []
            if point.suppressed:
                marks.append(_suppressed_mark(uid, x - 9, plot.bottom - 14, 18, 12))
            continue
        y = plot.bottom - (point.value / top) * height if top else plot.bottom
        current.append((x, y))
        marks.append(_marker(MARKERS[index % len(MARKERS)], x, y, colour))
    if current:
        segments.append(current)
    paths = [f'<polyline points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in seg)}" fill="none" '
             f'stroke="{colour}" stroke-width="2.5"'
             + (f' stroke-dasharray="{dash}"' if dash else "") + "/>" for seg in segments]
    return '<g aria-hidden="true">' + "".join(paths) + "".join(marks) + "</g>"


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7" fill="{colour}"/>'
    if shape == "triangle":
        return (f'<path d="M{_n(x)},{_n(y - 4.5)} L{_n(x + 4.5)},{_n(y + 3.5)} '
                f'L{_n(x - 4.5)},{_n(y + 3.5)} Z" fill="{colour}"/>')
    return (f'<path d="M{_n(x)},{_n(y - 5)} L{_n(x + 5)},{_n(y)} L{_n(x)},{_n(y + 5)} '
            f'L{_n(x - 5)},{_n(y)} Z" fill="{colour}"/>')


def _bar(uid: str, index: int, point: Point, x: float, y: float, full: float, h: float,
         top: float) -> str:
    if point.value is None:
        mark = _suppressed_mark(uid, x, y, 18, h) if point.suppressed else ""
        return mark + _text(x + (22 if point.suppressed else 0), y + h - 3, point.shown,
                            size=SMALL, fill=MUTED)
    width = (point.value / top) * full if top else 0
    return (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(h)}" '
            f'fill="url(#{uid}-p{index})" stroke="{PALETTE[index % len(PALETTE)]}"/>'
            + _text(x + width + 4, y + h - 3, point.shown, size=SMALL, fill=INK))


def _split_row(uid: str, points: list[Point], plot: _Plot, y: float) -> str:
    full = plot.right - plot.left
    total = sum(p.value for p in points if p.value is not None)
    if any(p.value is None for p in points) or not total:
        shown = next((p.shown for p in points if p.suppressed), "—")
        return (_suppressed_mark(uid, plot.left, y, full, 15)
                + _text(plot.left + 4, y + 12, shown, size=SMALL, fill=INK))
    out, x = [], plot.left
    for i, point in enumerate(points):
        width = point.value / total * full
        out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="15" '
                   f'fill="url(#{uid}-p{i})" stroke="#ffffff" stroke-width="0.5"/>')
        x += width
    share = _percent(points[0].value / total * 100)
    out.append(_text(plot.right, y - 4, share, size=SMALL, fill=INK, anchor="end"))
    return "".join(out)


def _suppressed_mark(uid: str, x: float, y: float, w: float, h: float) -> str:
    return (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
            f'fill="url(#{uid}-sup)" stroke="{SUPPRESSED_INK}" stroke-dasharray="3 2"/>')


def _legend(uid: str, names: list[str], *, kind: str) -> str:
    """One row per series (long names in any language fit); none for a single series,
    which the title names."""
    if len(names) < 2:
        return ""
    out = []
    for i, name in enumerate(names):
        x, y = 4, 10 + i * 19
        colour = PALETTE[i % len(PALETTE)]
        if kind == "line":
            dash = DASHES[i % len(DASHES)]
            out.append(f'<line x1="{_n(x)}" x2="{_n(x + 24)}" y1="{_n(y)}" y2="{_n(y)}" '
                       f'stroke="{colour}" stroke-width="2.5"'
                       + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
            out.append(_marker(MARKERS[i % len(MARKERS)], x + 12, y, colour))
        else:
            out.append(f'<rect x="{_n(x)}" y="{_n(y - 7)}" width="24" height="14" '
                       f'fill="url(#{uid}-p{i})" stroke="{colour}"/>')
        out.append(_text(x + 30, y + 5, name, size=SMALL, fill=INK))
    return '<g aria-hidden="true">' + "".join(out) + "</g>"


def _legend_height(n: int) -> float:
    return 19 * n if n > 1 else 0


def _text(x: float, y: float, text: str, *, size: int = FONT, fill: str = INK,
          anchor: str = "start") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" fill="{fill}"'
            + (f' text-anchor="{anchor}"' if anchor != "start" else "")
            + f">{escape(str(text))}</text>")


# --- numbers ----------------------------------------------------------------------------


def _values(points) -> list[float]:
    return [p.value for p in points if p.value is not None]


def _nice_max(values) -> float:
    """The axis end: the smallest 1, 2, 2.5 or 5 × 10^k at or above the largest value."""
    largest = max(values, default=0)
    if largest <= 0:
        return 0
    magnitude = 10 ** math.floor(math.log10(largest))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= largest)


def _ticks(top: float) -> list[float]:
    return [top * i / 4 for i in range(5)] if top else [0]


def _num(value: float) -> str:
    rounded = round(value, 1)
    shown = int(rounded) if rounded == int(rounded) else rounded
    return formats.number_format(shown, use_l10n=True, force_grouping=True)


def _percent(value: float) -> str:
    return f"{formats.number_format(round(value), use_l10n=True)} %"


def _share_text(points: list[Point]) -> str:
    if any(p.value is None for p in points):
        return next((p.shown for p in points if p.suppressed), "—")
    total = sum(p.value for p in points)
    return _percent(points[0].value / total * 100) if total else "—"


def _n(value: float) -> str:
    """Coordinates with one decimal at most: smaller SVG, same picture."""
    return f"{value:.1f}".rstrip("0").rstrip(".")
