"""Brussels' page: where each care zone's residents are hospitalised — in a hospital of
their own zone or of another — as 100 % bars beside their table, under the publication
rule (a share is not shown when a count it rests on is suppressed)."""

import re
from datetime import date

import pytest
from django.test import Client

from relais.observatory import compute, figures

from .conftest import at

BRUSSELS_PAGE = "/observatory/brussels/"
TITLE = "Where residents are hospitalised"


def stays(build, hospitals, at_home_in_south: int) -> None:
    """The world's hospital is in South-East (Woluwe-Saint-Lambert), the second one in
    South (Uccle). South-East: 40 stays in its zone, 20 in South. South: some in its zone,
    30 in South-East. North-East: 25 and 15 stays, none in its own zone."""
    world_hospital, south_hospital = hospitals
    plan = [("21018", 40, world_hospital), ("21005", 20, south_hospital),
            ("21016", at_home_in_south, south_hospital), ("21016", 30, world_hospital),
            ("21015", 25, world_hospital), ("21015", 15, south_hospital)]
    for nis, n, hospital in plan:
        for person in build.persons(n, nis=nis):
            build.stay(person, at(2025, 3, 5), hospital=hospital)
    compute.compute()


@pytest.fixture
def stays_of_march(build, world, second_hospital):
    stays(build, (world.hospital, second_hospital), at_home_in_south=15)


@pytest.fixture
def few_at_home_in_south(build, world, second_hospital):
    stays(build, (world.hospital, second_hospital), at_home_in_south=3)


def page_of(user, language="en") -> str:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    response = client.get(BRUSSELS_PAGE)
    assert response.status_code == 200
    return response.content.decode()


def flows_figure(page: str, title: str = TITLE) -> str:
    start = page.index(f">{title}</h3>")
    return page[start:page.index("</figure>", start)]


def table_rows(figure: str) -> dict[str, list[str]]:
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', figure)
    return {label: re.findall(r'<td class="num">([^<]*)</td>', cells) for label, cells in rows}


def test_each_zone_of_residence_with_its_share_in_its_own_zone(analyst, stays_of_march):
    figure = flows_figure(page_of(analyst))

    assert re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', figure) == [
        "Care zone of residence", "In their zone", "In another zone", "Share in their zone"]
    assert table_rows(figure) == {
        "North-East": ["0", "40", "0 %"], "South": ["15", "30", "33 %"],
        "South-East": ["40", "20", "67 %"], "All of Brussels": ["55", "90", "38 %"]}
    # The picture is a named image.
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="(obs-split-\d+)-t \1-d"',
                     figure)


def test_no_share_rests_on_a_suppressed_count(analyst, few_at_home_in_south):
    figure = flows_figure(page_of(analyst))
    rows = table_rows(figure)

    # South's stays in its zone are too few: "<10", and no share for South.
    assert rows["South"][0] == "&lt;10"
    assert "%" not in rows["South"][2]
    for label, (inside, outside, share) in rows.items():
        if not (inside.isdigit() and outside.isdigit()):  # a count not published
            assert "%" not in share, label
        assert not [n for n in (inside, outside) if n.isdigit() and 1 <= int(n) < 10]
    assert "-sup)" in figure  # the unpublished rows are hatched


def test_the_figures_are_the_published_cells_of_each_zone(analyst, few_at_home_in_south):
    cells = figures.zone_breakdowns(analyst, "admissions", period="month",
                                    period_start=date(2025, 3, 1), by="hospital_zone")

    assert sorted(cells) == ["north-east", "south", "south-east"]  # not Brussels itself
    assert [(c.key, c.shown) for c in cells["north-east"]] == [("", "40"),
                                                               ("outside", "40")]
    south = {c.key: c for c in cells["south"]}
    assert (south["inside"].shown, south["inside"].count) == ("<10", None)


def test_in_dutch_and_french(analyst, stays_of_march):
    dutch = flows_figure(page_of(analyst, "nl"), "Waar inwoners opgenomen worden")
    assert "Aandeel in hun eigen zone" in dutch and "Heel Brussel" in dutch
    french = flows_figure(page_of(analyst, "fr"), "Où les habitants sont hospitalisés")
    assert "Part dans leur bassin" in french and "Tout Bruxelles" in french


def test_before_any_computation_the_figure_says_so(analyst, db):
    figure = flows_figure(page_of(analyst))
    assert "No figures for this period yet." in figure


def test_an_account_without_a_zone_does_not_see_it(liaison_nurse, stays_of_march):
    client = Client()
    client.force_login(liaison_nurse)
    assert client.get(BRUSSELS_PAGE).status_code == 404


def test_a_zone_page_keeps_its_municipalities_flows(analyst, stays_of_march):
    client = Client()
    client.force_login(analyst)
    page = client.get("/observatory/south-east/").content.decode()
    rows = table_rows(flows_figure(page))
    assert rows["Woluwe-Saint-Lambert"] == ["40", "0", "100 %"]
    assert rows["Etterbeek"] == ["0", "20", "0 %"]
