"""The server-side charts: accessible SVG, suppressed values drawn as such, never a number."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from relais.observatory.charts import Point, Series, bar_chart, line_chart, split_bars

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart):
    return ET.fromstring(str(chart.svg))


def months(values):
    return [Point(f"2025-{i + 1:02d}", value, "<10" if value is None else str(value),
                  suppressed=value is None) for i, value in enumerate(values)]


def test_a_chart_is_an_image_named_by_its_title_and_description():
    chart = line_chart("Admissions & discharges", "Per month, <b>2025</b>",
                       [Series("Admissions", months([20, 30, 25]))], label_header="Month")

    svg = parse(chart)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Admissions & discharges"
    assert desc.text == "Per month, <b>2025</b>"  # escaped in the markup, not interpreted
    # Sized by its viewBox only: it fills a 360 px phone and a printed column alike.
    assert svg.get("viewBox").startswith("0 0 320 ")
    assert svg.get("width") is None and svg.get("height") is None
    assert "style=" not in str(chart.svg)  # the CSP forbids inline styles


def test_two_charts_on_one_page_never_share_an_id():
    first = line_chart("A", "a", [Series("x", months([1, 2]))])
    second = bar_chart("B", "b", months([3, 4]))
    ids = re.findall(r'id="([^"]+)"', str(first.svg) + str(second.svg))
    assert len(ids) == len(set(ids))


def test_the_table_beside_the_chart_holds_the_published_texts():
    chart = line_chart("Trend", "d", [Series("Admissions", months([20, None, 25])),
                                      Series("Discharges", months([15, 12, None]))],
                       label_header="Month")

    assert chart.columns == ["Month", "Admissions", "Discharges"]
    assert chart.rows == [("2025-01", ["20", "15"]), ("2025-02", ["<10", "12"]),
                          ("2025-03", ["25", "<10"])]


def test_a_suppressed_month_breaks_the_line_and_is_hatched_not_drawn_as_a_value():
    chart = line_chart("Trend", "d", [Series("Admissions", months([20, None, 25]))])
    svg = str(chart.svg)

    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert len(lines) == 2  # January alone, then March: no segment through February
    assert all(len(points.split()) == 1 for points in lines)
    assert svg.count('fill="url(#obs-line-') == 1  # the hatched mark on February's place


def test_a_suppressed_bar_has_no_length_and_shows_its_text():
    chart = bar_chart("Referrals by category", "d",
                      [Point("Home nursing", 120, "120"), Point("Mental health", None, "<10",
                                                                suppressed=True)],
                      label_header="Category", value_header="Referrals")
    svg = parse(chart)

    bars = [rect for rect in svg.iter(f"{SVG}rect") if "-p0)" in (rect.get("fill") or "")]
    assert len(bars) == 1  # only the published value has a length
    hatched = [r for r in svg.iter(f"{SVG}rect") if (r.get("fill") or "").endswith("-sup)")]
    assert [r.get("width") for r in hatched] == ["18"]  # the same small box for any hidden value
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "<10" in texts and "120" in texts
    assert chart.rows == [("Home nursing", ["120"]), ("Mental health", ["<10"])]


def test_bars_are_scaled_to_a_round_axis():
    chart = bar_chart("B", "d", [Point("a", 120, "120"), Point("b", 60, "60")])
    widths = [float(r.get("width")) for r in parse(chart).iter(f"{SVG}rect")
              if "-p0)" in (r.get("fill") or "")]
    # The axis ends at 200 (the next round number): 120 is 60 % of the plot, 60 is 30 %.
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2)
    assert widths[0] == pytest.approx(0.6 * (320 - 56 - 4), abs=0.2)


def test_split_bars_draw_shares_and_hide_a_row_with_a_suppressed_part():
    chart = split_bars("Where residents are hospitalised", "d",
                       [("Anderlecht", [Point("in", 75, "75"), Point("out", 25, "25")]),
                        ("Koekelberg", [Point("in", None, "<10", True), Point("out", 15, "15")])],
                       ["Inside the zone", "Outside the zone"], label_header="Municipality",
                       share_header="Inside the zone (%)")

    assert chart.columns == ["Municipality", "Inside the zone", "Outside the zone",
                             "Inside the zone (%)"]
    assert chart.rows == [("Anderlecht", ["75", "25", "75 %"]),
                          ("Koekelberg", ["<10", "15", "<10"])]
    svg = str(chart.svg)
    assert "75 %" in svg
    # Koekelberg's 15 outside would reveal its share: the row is one hatched box.
    assert len(re.findall(r'fill="url\(#obs-split-\d+-p[01]\)" stroke="#ffffff"', svg)) == 2


def test_colour_is_never_the_only_cue():
    chart = line_chart("T", "d", [Series("a", months([1, 2])), Series("b", months([2, 3]))])
    svg = str(chart.svg)
    assert 'stroke-dasharray="6 3"' in svg  # the second line is dashed
    assert "<rect" in svg and "<circle" in svg  # and has its own marker shape
    bars = split_bars("S", "d", [("x", [Point("i", 1, "1"), Point("o", 1, "1")])], ["i", "o"])
    assert "<path d=\"M0,8 L8,0\"" in str(bars.svg)  # the second part is hatched


def test_axis_numbers_follow_the_reader_language():
    with translation.override("fr"):
        chart = bar_chart("B", "d", [Point("a", 12000, "12 000")])
    assert "12\u202f000" in str(chart.svg) or "12 000" in str(chart.svg) \
        or "12\xa0000" in str(chart.svg)


def test_an_empty_chart_still_renders():
    chart = line_chart("Nothing yet", "No figures", [Series("a", [])])
    assert parse(chart).get("role") == "img"
    assert chart.rows == []


def test_a_trend_of_zeros_and_hidden_values_keeps_a_plain_axis():
    chart = line_chart("T", "d", [Series("a", months([0, 0, None]))])
    ticks = [t.text for t in parse(chart).iter(f"{SVG}text")]
    assert ticks[:5] == ["0", "1", "2", "3", "4"]  # not a scale fitted to a hidden value
