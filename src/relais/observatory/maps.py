"""A choropleth of Brussels' 19 municipalities, drawn on the server as accessible SVG.

The outlines are Statbel's (data/brussels_municipalities.json, source and licence in
data/SOURCE.md), already projected to a plane. Values are shaded in four classes of one
hue (ColorBrewer "Blues"): the order reads from light to dark for every colour vision
and in grey print. A suppressed value is hatched and labelled, never shaded, so the map
shows nothing the table does not; municipalities outside the zone are pale grey. Each
area carries its name and published value as a tooltip; the table beside the map is the
reference (numbers printed on 1 km² municipalities would overlap at phone size).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from relais.observatory.charts import (
    INK,
    MUTED,
    SUPPRESSED_INK,
    Chart,
    Point,
    _defs,
    _n,
    _nice_max,
    _num,
    _text,
    _uid,
    _values,
)

GEOMETRY = Path(__file__).resolve().parent / "data" / "brussels_municipalities.json"
CLASSES = ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"]  # ColorBrewer Blues, 4 classes
OUTSIDE = "#eceef2"
LEGEND_H = 106
LEGEND_FONT = 17


@cache
def geometry() -> dict:
    """The outlines: {"viewBox": ..., "municipalities": {nis: {"d", "centre"}}}."""
    with GEOMETRY.open(encoding="utf-8") as handle:
        return json.load(handle)


def choropleth(title: str, description: str, values: dict[str, Point],
               names: dict[str, str], *, label_header: str = "",
               value_header: str = "") -> Chart:
    """Shade each municipality in `values` (keyed on NIS code) by its published value.

    `names` gives every municipality's name in the reader's language (for the table and
    the tooltips); municipalities without a value are drawn as outside the zone.
    """
    uid = _uid("map")
    shapes = geometry()["municipalities"]
    _, _, width, height = (float(v) for v in geometry()["viewBox"].split())
    top = _nice_max(_values(values.values()))
    paths = [_area(uid, nis, shape["d"], values.get(nis), names.get(nis, nis), top)
             for nis, shape in sorted(shapes.items())]
    legend = _legend(uid, top, height + 8, width)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-map" role="img" '
           f'viewBox="0 0 {_n(width)} {_n(height + LEGEND_H)}" '
           f'aria-labelledby="{uid}-t {uid}-d" font-family="system-ui, sans-serif">'
           f'<title id="{uid}-t">{escape(title)}</title>'
           f'<desc id="{uid}-d">{escape(description)}</desc>'
           + _defs(uid, 0) + "<g>" + "".join(paths) + "</g>"
           + legend + "</svg>")
    rows = sorted(((names.get(nis, nis), [point.shown]) for nis, point in values.items()),
                  key=lambda row: row[0])
    safe = mark_safe(svg)  # noqa: S308 — names and values are escaped above
    return Chart(title, description, safe, [label_header, value_header], rows, uid)


def _area(uid: str, nis: str, d: str, point: Point | None, name: str, top: float) -> str:
    if point is None:
        fill, stroke, width = OUTSIDE, "#ffffff", "1"
    elif point.value is None:
        fill, stroke, width = f"url(#{uid}-sup)", SUPPRESSED_INK, "1"
    else:
        fill, stroke, width = _shade(point.value, top), INK, "0.8"
    tooltip = f"{name}: {point.shown}" if point else name
    return (f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{width}" '
            f'data-nis="{nis}"><title>{escape(tooltip)}</title></path>')


def _shade(value: float, top: float) -> str:
    if not top:
        return CLASSES[0]
    index = min(int(value / top * len(CLASSES)), len(CLASSES) - 1)
    return CLASSES[index]


def _legend(uid: str, top: float, y: float, width: float) -> str:
    # The map's viewBox is 400 units wide (more than the charts' 320): larger type here
    # reads the same on a phone.
    out = []
    step = top / len(CLASSES) if top else 0
    box = (width - 20) / len(CLASSES)
    for i, colour in enumerate(CLASSES):
        x = 10 + i * box
        out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(box)}" height="16" '
                   f'fill="{colour}" stroke="{INK}" stroke-width="0.5"/>')
        out.append(_text(x, y + 36, _num(i * step), size=LEGEND_FONT, fill=MUTED))
    out.append(_text(width - 10, y + 36, _num(top), size=LEGEND_FONT, fill=MUTED,
                     anchor="end"))
    out.append(f'<rect x="10" y="{_n(y + 50)}" width="26" height="16" '
               f'fill="url(#{uid}-sup)" stroke="{SUPPRESSED_INK}"/>')
    out.append(_text(44, y + 64, gettext("Not published"), size=LEGEND_FONT))
    out.append(f'<rect x="10" y="{_n(y + 76)}" width="26" height="16" fill="{OUTSIDE}" '
               f'stroke="{MUTED}" stroke-width="0.5"/>')
    out.append(_text(44, y + 90, gettext("Outside the zone, or no figure"), size=LEGEND_FONT))
    return '<g aria-hidden="true">' + "".join(out) + "</g>"
