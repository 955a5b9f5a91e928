"""The zone's dashboard and the observatory's index: who opens them, what they show (each
chart beside its table, small counts as "<10", never a number), filters that refuse
impossible values, the audit trail, and a constant number of queries."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from relais.audit.models import AuditEvent
from relais.observatory import compute
from relais.observatory.dashboard import _back, _period_label, _short_label
from relais.observatory.views import zone_municipalities
from tests.helpers import AUDIT_EVENT_QUERIES

from .conftest import at

DASHBOARD = "/observatory/south-east/"
FIGURES = 17  # charts on the dashboard (four sections)


@pytest.fixture
def figures_of_march(build):
    """South-East: Auderghem 3 admissions (small), Etterbeek 30, Woluwe-Saint-Lambert 40,
    Woluwe-Saint-Pierre 25, in March 2026, and a few referrals."""
    for nis, n in (("21002", 3), ("21005", 30), ("21018", 40), ("21019", 25)):
        for person in build.persons(n, nis=nis):
            build.stay(person, at(2026, 3, 5))
    for person in build.persons(12, nis="21018"):
        build.referral(person, at(2026, 3, 6))
    compute.compute()


def client_of(user, language="en") -> Client:
    user.language = language  # the account's own language decides the page's
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(("persona", "status"), [
    ("analyst", 200), ("hospital_manager", 200), ("coordinator", 200),
    ("platform_admin", 200), ("liaison_nurse", 404), ("home_nurse", 404),
    ("outsider", 404),
])
def test_who_opens_the_dashboard(request, persona, status, figures_of_march):
    user = request.getfixturevalue(persona)
    assert client_of(user).get(DASHBOARD).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_another_zone_and_an_unknown_one_are_the_same_404(analyst, figures_of_march):
    client = client_of(analyst)
    assert client.get("/observatory/north/").status_code == 404
    assert client.get("/observatory/atlantis/").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied",
                                     target_type="core.carezone").count() == 2


def test_the_index_lists_the_zones_the_account_sees(analyst, platform_admin, outsider):
    page = client_of(analyst).get(reverse("observatory:index")).content.decode()
    assert re.findall(r'href="(/observatory/[a-z-]+/)"', page) == [DASHBOARD,
                                                                    "/observatory/brussels/"]

    page = client_of(platform_admin).get(reverse("observatory:index")).content.decode()
    assert len(re.findall(r'href="/observatory/[a-z-]+/"', page)) == 6  # and Brussels

    page = client_of(outsider).get(reverse("observatory:index")).content.decode()
    assert "Your account sees no care zone" in page


def test_every_chart_is_a_named_image_beside_its_table(analyst, figures_of_march):
    page = client_of(analyst).get(DASHBOARD).content.decode()

    assert page.count('role="img"') == FIGURES
    assert page.count("<table>") == FIGURES
    for labelled in re.findall(r'<svg[^>]* aria-labelledby="([^"]+)"', page):
        title, desc = labelled.split()
        assert f'<title id="{title}">' in page and f'<desc id="{desc}">' in page
    assert "Observatory of the South-East care zone" in page


def test_small_counts_are_shown_as_such_never_as_numbers(analyst, figures_of_march):
    page = client_of(analyst).get(DASHBOARD).content.decode()

    # Auderghem's 3 admissions: "<10" in the map's table and tooltip, and not its number.
    assert re.search(r"<th scope=\"row\">Auderghem</th><td class=\"num\">&lt;10</td>", page)
    assert re.search(r'data-nis="21002"><title>Auderghem: &lt;10</title>', page)
    assert '<td class="num">3</td>' not in page and ": 3</title>" not in page
    # The zone's month: 3 + 30 + 40 + 25 = 98, published rounded to 100.
    assert re.search(r"<th scope=\"row\">March 2026</th><td class=\"num\">100</td>", page)


def test_the_filters_choose_the_period_and_a_municipality(analyst, figures_of_march):
    page = client_of(analyst).get(DASHBOARD, {"period": "quarter",
                                              "municipality": "21018"}).content.decode()

    assert '<option value="quarter" selected>' in page
    assert '<option value="21018" selected>' in page
    assert "2026 Q1" in page
    assert page.count('role="img"') == FIGURES


@pytest.mark.parametrize(("query", "message"), [
    ({"period": "week"}, "Choose a month, a quarter or a year."),
    ({"municipality": "21015"}, "That municipality is not in this care zone."),
    ({"municipality": "<script>"}, "That municipality is not in this care zone."),
])
def test_impossible_filters_are_refused_with_a_message(analyst, figures_of_march, query,
                                                       message):
    response = client_of(analyst).get(DASHBOARD, query)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert '<option value="month" selected>' in page  # back to the defaults
    assert "<script>" not in page.split("</header>")[1]


def test_opening_the_dashboard_is_audited(analyst, figures_of_march):
    client_of(analyst).get(DASHBOARD, {"period": "year", "municipality": "21019"})

    event = AuditEvent.objects.get(action="observatory.dashboard_viewed")
    assert event.actor == analyst
    assert (event.target_type, event.target_id) == ("core.carezone", "south-east")
    assert event.detail == {"period": "year", "municipality": "21019"}


def test_the_dashboard_answers_before_any_computation(analyst):
    page = client_of(analyst).get(DASHBOARD).content.decode()
    assert "The figures have not been computed yet." in page
    assert page.count('role="img"') == FIGURES
    assert "No figures for this period yet." in page


def test_the_number_of_queries_does_not_grow_with_the_data(analyst, build,
                                                          django_assert_num_queries):
    client = client_of(analyst)
    for person in build.persons(2, nis="21018"):
        build.stay(person, at(2026, 1, 5))
    compute.compute()
    client.get(DASHBOARD)  # sessions and caches settle
    with django_assert_num_queries(QUERIES):
        client.get(DASHBOARD)
    for nis in ("21002", "21005", "21019"):
        for person in build.persons(15, nis=nis):
            build.stay(person, at(2026, 2, 5))
            build.referral(person, at(2026, 2, 6))
    compute.compute()
    with django_assert_num_queries(QUERIES):
        client.get(DASHBOARD, {"period": "quarter"})


# The session (not saved again within the minute) and user, the zone's checks (the
# postcodes that name a zone read once, then kept: core.models.zoned_postcodes), the run,
# the latest period, one query per indicator for the whole page (figures.table), the
# year's services, the menu's context; the audit event.
QUERIES = 41 + AUDIT_EVENT_QUERIES


def test_the_dashboard_reads_in_dutch_and_french(analyst, figures_of_march):
    nl = client_of(analyst, "nl").get(DASHBOARD).content.decode()
    fr = client_of(analyst, "fr").get(DASHBOARD).content.decode()
    assert "Observatorium" in nl and "Observatoire" in fr
    assert "maart 2026" in nl and "mars 2026" in fr


def test_the_print_layout_and_the_sources_are_on_the_page(analyst, figures_of_march):
    page = client_of(analyst).get(DASHBOARD).content.decode()
    assert "data-print" in page
    assert 'class="filters obs-filters card"' in page  # hidden in print (relais.css)
    assert "Statbel" in page


def test_a_zone_lists_its_municipalities_in_the_readers_language(db):
    from relais.core.models import CareZone

    zone = CareZone.objects.get(code="south-east")
    with translation.override("nl"):
        names = zone_municipalities(zone)
    assert names == {"21002": "Oudergem", "21005": "Etterbeek",
                     "21018": "Sint-Lambrechts-Woluwe", "21019": "Sint-Pieters-Woluwe"}


def test_period_labels():
    from datetime import date

    assert _period_label(date(2026, 4, 1), "quarter") == "2026 Q2"
    assert _period_label(date(2026, 1, 1), "year") == "2026"
    assert _short_label(date(2026, 3, 1), "month") == "03/26"
    assert _back(date(2026, 2, 1), "month", 3) == date(2025, 11, 1)
    assert _back(date(2026, 4, 1), "quarter", 2) == date(2025, 10, 1)


def test_the_csv_export_link_downloads_the_periods_shown(analyst, figures_of_march):
    page = client_of(analyst).get(DASHBOARD, {"period": "quarter"}).content.decode()

    links = re.findall(r'href="(/observatory/south-east/export/\?[^"]+)" download>([^<]+)<',
                       page)
    # One for a spreadsheet, one for scripts, each saying which it is.
    assert [(fmt, label) for url, label in links
            for fmt in re.findall(r"format=(\w+)$", url)] == [
        ("excel", "Download the figures for Excel (CSV with ;)"),
        ("csv", "Download the figures for scripts (CSV with commas)")]
    for url, _label in links:
        url = url.replace("&amp;", "&")
        # The eight quarters the trends show, up to the latest with figures.
        assert re.search(r"\?period=\d{4}-Q\d\.\.\d{4}-Q\d&format=\w+$", url), url
        response = client_of(analyst).get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")


def test_the_whole_of_brussels_for_any_account_that_sees_a_zone(analyst, liaison_nurse,
                                                                figures_of_march):
    assert client_of(liaison_nurse).get("/observatory/brussels/").status_code == 404
    page = client_of(analyst).get("/observatory/brussels/").content.decode()

    assert "Observatory of the Brussels-Capital Region" in page
    # The flows by zone of residence instead of by municipality; no directory coverage
    # (its parts are another zone's), no municipality filter; the map shades each
    # municipality with its zone's figure.
    assert page.count('role="img"') == FIGURES - 1
    assert "Care zone of residence" in page
    assert 'name="municipality"' not in page
    assert re.search(r'<th scope="row">South-East</th><td class="num">100</td>', page)
    assert re.search(r'href="/observatory/brussels/export/\?period=', page)
    event = AuditEvent.objects.get(action="observatory.dashboard_viewed")
    assert event.target_id == "brussels"
