"""The read API, who sees which zone, exports and the command line."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404
from django.utils import translation

from relais.accounts.models import Function, OrganisationType
from relais.audit.models import AuditEvent
from relais.observatory import compute, exports, figures, nightly
from relais.observatory.models import Computation
from relais.observatory.suppression import Options
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

from .conftest import at

MARCH = date(2025, 3, 1)


@pytest.fixture
def figures_of_march(build):
    """South-East (the world's organisations are in Woluwe-Saint-Lambert): Auderghem 3
    admissions, Etterbeek 30, Woluwe-Saint-Lambert 40, Woluwe-Saint-Pierre 25."""
    for nis, n in (("21002", 3), ("21005", 30), ("21018", 40), ("21019", 25)):
        for person in build.persons(n, nis=nis):
            build.stay(person, at(2025, 3, 5))
    compute.compute()


@pytest.fixture
def decision_maker(db):
    office = OrganisationFactory(name="Schepen van Welzijn", type=OrganisationType.OTHER)
    user = UserFactory(email="alderman@test.relais.example")
    MembershipFactory(user=user, organisation=office, function=Function.DECISION_MAKER)
    return user


# --- who sees which zone ---------------------------------------------------------------


@pytest.mark.parametrize(("persona", "sees"), [
    ("analyst", True), ("hospital_manager", True), ("coordinator", True),
    ("decision_maker", True), ("platform_admin", True), ("liaison_nurse", False),
    ("home_nurse", False), ("outsider", False), ("caregiver", False),
])
def test_who_sees_the_zone(request, persona, sees, figures_of_march):
    user = request.getfixturevalue(persona)

    def read():
        return figures.breakdown(user, "admissions", zone="south-east", period="month",
                                 period_start=MARCH, by="municipality")
    if sees:
        assert read()[0].shown == "100"
        assert figures.series(user, "admissions", zone="", period="year")[-1].shown == "100"
    else:
        with pytest.raises(Http404):
            read()
        assert AuditEvent.objects.filter(action="access.denied",
                                         target_type="core.carezone").exists()
        with pytest.raises(Http404):
            figures.series(user, "admissions", zone="", period="year")


def test_an_unknown_zone_is_the_same_404(analyst, figures_of_march):
    with pytest.raises(Http404):
        figures.series(analyst, "admissions", zone="atlantis")
    with pytest.raises(Http404):
        figures.series(analyst, "admissions", zone="north")  # another zone


# --- what is read ----------------------------------------------------------------------


def test_the_map_hides_the_small_municipality_and_a_second_one(analyst, figures_of_march):
    cells = figures.breakdown(analyst, "admissions", zone="south-east", period="month",
                              period_start=MARCH, by="municipality")

    shown = {cell.municipality: cell.shown for cell in cells}
    assert shown == {"": "100", "21002": "<10", "21005": "30", "21018": "40", "21019": "–"}
    assert [cell.count for cell in cells] == [100, None, 30, 40, None]
    # The zone minus the municipalities shown leaves 30 for two hidden ones: any of 0..9.


def test_a_series_fills_periods_without_figures(analyst, figures_of_march):
    cells = figures.series(analyst, "admissions", zone="south-east", period="month",
                           start=date(2025, 1, 1), end=MARCH)

    assert [(cell.period_start, cell.shown) for cell in cells] == [
        (date(2025, 1, 1), "0"), (date(2025, 2, 1), "0"), (MARCH, "100")]


def test_another_threshold_is_computed_over_the_whole_indicator(analyst, figures_of_march):
    cells = figures.breakdown(analyst, "admissions", zone="south-east", period="month",
                              period_start=MARCH, by="municipality", opts=Options(30, 5))

    assert [cell.shown for cell in cells] == ["100", "<30", "–", "–", "<30"]


def test_a_rate_needs_both_counts_shown(analyst, figures_of_march):
    total, small, shown, *_ = figures.breakdown(
        analyst, "admissions", zone="south-east", period="month", period_start=MARCH,
        by="municipality")
    assert figures.rate(shown, total) == 30.0
    assert figures.rate(small, total) is None


@pytest.mark.parametrize(("call", "message"), [
    (lambda user: figures.series(user, "admissions", zone="south-east", period="week"),
     "Une période est un mois, un trimestre ou une année."),
    (lambda user: figures.series(user, "nothing", zone="south-east"),
     "Il n’y a pas d’indicateur « nothing »."),
    (lambda user: figures.breakdown(user, "admissions", zone="south-east", period="month",
                                    period_start=MARCH, by="colour"),
     "« colour » n’est pas une ventilation de cet indicateur."),
    (lambda user: figures.series(user, "admissions", zone="south-east",
                                 start=date(2025, 5, 1), end=MARCH),
     "La période commence après sa fin."),
])
def test_bad_questions_are_refused_in_the_readers_language(analyst, figures_of_march, call,
                                                           message):
    with translation.override("fr"):
        with pytest.raises(ValidationError) as refused:
            call(analyst)
        assert refused.value.messages == [message]


# --- exports ---------------------------------------------------------------------------


def test_the_command_line_exports_published_figures_whole(tmp_path, figures_of_march):
    target = tmp_path / "south-east.json"

    call_command("observatory", "export", "--zone", "south-east", "--period", "2025-03",
                 "--format", "json", "--output", str(target))

    document = json.loads(target.read_text())
    assert document["threshold"] == 10
    admissions = {row["municipality"]: row["shown"] for row in document["figures"]
                  if row["indicator"] == "admissions" and row["dimension"] == ""}
    assert admissions == {"": "100", "21002": "<10", "21005": "30", "21018": "40",
                          "21019": "–"}
    counts = [row["count"] for row in document["figures"] if row["count"] is not None]
    assert not [n for n in counts if 1 <= n < 10]
    assert AuditEvent.objects.filter(action="observatory.exported",
                                     target_id="south-east").count() == 1
    assert list(tmp_path.iterdir()) == [target]


def test_csv_to_standard_output(capsys, figures_of_march):
    call_command("observatory", "export", "--zone", "brussels", "--period", "2025",
                 "--format", "csv")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(exports.FIELDS)
    assert "admissions,,,year,2025-01-01,,,100,100," in lines


@pytest.mark.parametrize(("arguments", "message"), [
    (["--zone", "atlantis", "--period", "2025"], "Il n’y a pas de zone de soins « atlantis »."),
    (["--zone", "south", "--period", "2025-13"], "« 2025-13 » n’est pas une période"),
    (["--zone", "south", "--period", "2025", "--threshold", "4"],
     "Le seuil des petits nombres ne peut pas être inférieur à 5."),
    (["--zone", "south", "--period", "2025-06..2025-01"], "La période commence après sa fin."),
])
def test_bad_export_input_is_refused_and_writes_nothing(tmp_path, figures_of_march, arguments,
                                                        message):
    target = tmp_path / "out.csv"
    with translation.override("fr"), pytest.raises(CommandError) as refused:
        call_command("observatory", "export", *arguments, "--output", str(target))
    assert message in str(refused.value)
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action="observatory.exported").exists()


def test_an_export_that_fails_half_way_leaves_the_earlier_file(tmp_path):
    target = tmp_path / "figures.csv"
    target.write_text("the earlier export\n")

    def chunks():
        yield "indicator,zone\n"
        raise OSError("disk full")

    with pytest.raises(OSError):
        exports.write_file(target, chunks())
    assert target.read_text() == "the earlier export\n"
    assert list(tmp_path.iterdir()) == [target]


def test_compute_from_the_command_line_refuses_an_unknown_zone(db):
    with translation.override("en"), pytest.raises(CommandError, match="no care zone"):
        call_command("observatory", "compute", "--zone", "atlantis")
    assert not Computation.objects.exists()


# --- the nightly job -------------------------------------------------------------------


def test_the_worker_computes_once_a_night(build):
    build.stay(build.person(), at(2025, 3, 5))
    brussels = ZoneInfo("Europe/Brussels")

    assert nightly.compute_if_due(datetime(2025, 4, 2, 1, 0, tzinfo=brussels)) == 0
    assert nightly.compute_if_due(datetime(2025, 4, 2, 3, 0, tzinfo=brussels)) > 0
    assert Computation.objects.count() == 1


# --- the web's export ------------------------------------------------------------------


def test_the_web_export_streams_published_figures_and_is_audited(client, analyst,
                                                                  figures_of_march):
    client.force_login(analyst)

    response = client.get("/observatory/south-east/export/?period=2025-03&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    assert "admissions,south-east,21002,month,2025-03-01,,,<10,," in text
    assert "admissions,south-east,21019,month,2025-03-01,,,–,," in text
    assert AuditEvent.objects.filter(action="observatory.exported", actor=analyst).count() == 1


def test_the_web_export_refuses_a_low_threshold_and_hides_other_zones(client, analyst,
                                                                      figures_of_march):
    analyst.language = "nl"  # a signed-in user reads in their own language
    analyst.save(update_fields=["language"])
    client.force_login(analyst)

    low = client.get("/observatory/south-east/export/?threshold=3")
    other = client.get("/observatory/north/export/")

    assert low.status_code == 400
    assert "De drempel voor kleine aantallen kan niet lager zijn dan 5." in low.content.decode()
    assert other.status_code == 404
    assert not AuditEvent.objects.filter(action="observatory.exported").exists()
