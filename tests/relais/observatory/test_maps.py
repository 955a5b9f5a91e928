"""The map of the 19 municipalities and the public data files it and the rates rely on."""

import re
import xml.etree.ElementTree as ET

from relais.core.models import Municipality
from relais.observatory import population
from relais.observatory.charts import Point
from relais.observatory.maps import CLASSES, OUTSIDE, choropleth, geometry

SVG = "{http://www.w3.org/2000/svg}"


def test_the_outlines_cover_the_nineteen_municipalities_of_core(db):
    assert set(geometry()["municipalities"]) == set(
        Municipality.objects.values_list("nis_code", flat=True))
    assert len(geometry()["municipalities"]) == 19


def test_the_population_file_matches_the_municipalities(db):
    codes = set(Municipality.objects.values_list("nis_code", flat=True))
    assert set(population.populations()) == codes
    # Statbel's total for the Brussels-Capital Region on 1 January 2020.
    assert sum(p.residents for p in population.populations().values()) == 1218255
    assert population.residents("21015") == 132799
    assert population.residents("99999") is None
    assert population.reference_date().isoformat() == "2020-01-01"


def test_a_rate_per_ten_thousand_residents():
    assert population.per_10000(133, ["21015"]) == 133 * 10000 / 132799
    assert population.per_10000(None, ["21015"]) is None  # a suppressed count has no rate
    assert population.per_10000(5, ["99999"]) is None
    assert population.per_10000(5, []) is None


def names():
    return {nis: f"M{nis}" for nis in geometry()["municipalities"]}


def test_the_map_shades_values_hatches_suppressed_and_greys_the_rest():
    values = {"21001": Point("", 10, "10"), "21015": Point("", 200, "200"),
              "21011": Point("", None, "<10", suppressed=True)}
    chart = choropleth("Admissions by municipality", "Residents admitted", values, names(),
                       label_header="Municipality", value_header="Admissions")
    svg = ET.fromstring(str(chart.svg))

    fills = {path.get("data-nis"): path.get("fill") for path in svg.iter(f"{SVG}path")
             if path.get("data-nis")}
    assert len(fills) == 19
    assert fills["21001"] == CLASSES[0] and fills["21015"] == CLASSES[-1]
    assert fills["21011"].endswith("-sup)")
    assert fills["21004"] == OUTSIDE
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Admissions by municipality"
    # Tooltips carry the published text; the table beside the map is the reference.
    tips = {p.get("data-nis"): p.find(f"{SVG}title").text for p in svg.iter(f"{SVG}path")
            if p.get("data-nis")}
    assert tips["21011"] == "M21011: <10"
    assert chart.rows == [("M21001", ["10"]), ("M21011", ["<10"]), ("M21015", ["200"])]


def test_the_map_scales_with_its_column():
    chart = choropleth("Map", "d", {}, names())
    assert re.search(r'viewBox="0 0 400 [\d.]+"', str(chart.svg))
    assert 'width="' not in str(chart.svg).split(">")[0]
