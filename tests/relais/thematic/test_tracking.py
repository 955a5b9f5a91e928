"""After and around a session (R20, R22): the save-the-date to the zone's organisations,
overdue actions reminded once to their owner, the preparation pack frozen when made,
presentations checked like every upload, the report in Dutch and French, the actions as
CSV, and the two seed reports as demo sessions."""

import csv
import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relais.accounts.demo import load_demo
from relais.accounts.models import Function
from relais.audit.models import AuditEvent
from relais.core import clock
from relais.followup import reviews
from relais.followup.models import ReviewKind
from relais.notifications.models import Notification
from relais.observatory.models import Computation, ComputationStatus, Figure
from relais.thematic import reminders, services
from relais.thematic.demo import load_demo_sessions
from relais.thematic.indicators import catalogue
from relais.thematic.models import ActionStatus, JointAction, ThematicSession
from relais.thematic.notices import ACTION_OVERDUE, SAVE_THE_DATE
from tests.factories import MembershipFactory, UserFactory
from tests.files import pdf

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 9))


# --- save the date -----------------------------------------------------------------------


def test_the_zones_managers_and_coordinators_are_invited_once(
        persona_client, session, world, hospital_manager, coordinator, gp, liaison_nurse,
        home_nurse, analyst, north_manager):
    home_coordinator = UserFactory(language="fr")
    MembershipFactory(user=home_coordinator, organisation=world.home_nursing,
                      function=Function.COORDINATOR)
    client = persona_client("analyst")
    response = client.post(reverse("thematic:session_invite", args=[session.pk]), follow=True)
    told = set(Notification.objects.filter(kind=SAVE_THE_DATE).values_list("recipient",
                                                                            flat=True))
    assert told == {hospital_manager.pk, coordinator.pk, gp.pk, home_coordinator.pk}
    assert "sent to 4 people" in response.content.decode()
    session.refresh_from_db()
    assert session.invited_for == date(2027, 3, 2)
    assert set(session.invited_organisations.all()) == {
        world.hospital, world.coordination_centre, world.gp_practice, world.home_nursing}
    # In the reader's language, from the session's texts and the zone's name.
    french = Notification.objects.get(recipient=home_coordinator)
    assert french.params["theme"] == "Sortie et aidants"
    assert french.params["zone"] == "Sud-Est"
    assert french.params["date"] == "2 mars 2027, 13.00–16.00"
    # Once per date: a second click changes nothing.
    response = client.post(reverse("thematic:session_invite", args=[session.pk]), follow=True)
    assert "already invited for this date" in response.content.decode()
    assert Notification.objects.filter(kind=SAVE_THE_DATE).count() == 4


def test_someone_who_manages_two_of_the_zones_organisations_is_told_once(
        analyst, session, world, coordinator):
    MembershipFactory(user=coordinator, organisation=world.home_nursing,
                      function=Function.MANAGER, is_manager=True)
    assert services.send_invitations(session, actor=analyst) == 1
    assert Notification.objects.filter(recipient=coordinator).count() == 1
    assert set(session.invited_organisations.all()) == {world.coordination_centre,
                                                        world.home_nursing}


def test_no_invitation_without_a_date_ahead(analyst, session):
    ThematicSession.objects.filter(pk=session.pk).update(next_place="")
    session.refresh_from_db()
    with pytest.raises(Exception, match="date and place first"):
        services.send_invitations(session, actor=analyst)
    ThematicSession.objects.filter(pk=session.pk).update(next_place="Ergens",
                                                         next_on=date(2026, 5, 1))
    session.refresh_from_db()
    with pytest.raises(Exception, match="has passed"):
        services.send_invitations(session, actor=analyst)
    assert not Notification.objects.exists()
    assert session.invited_for is None


# --- overdue actions ---------------------------------------------------------------------


def test_an_overdue_action_is_reminded_once_to_the_owners_managers(action, coordinator,
                                                                    world):
    plain_member = UserFactory()
    MembershipFactory(user=plain_member, organisation=world.coordination_centre,
                      function=Function.CASE_MANAGER)
    assert reminders.remind_overdue_actions(at(date(2026, 9, 1))) == 0  # due today
    assert reminders.remind_overdue_actions(at(date(2026, 9, 2))) == 1
    assert reminders.remind_overdue_actions(at(date(2026, 9, 3))) == 0
    notice = Notification.objects.get(kind=ACTION_OVERDUE)
    assert notice.recipient == coordinator
    assert notice.params["organisation"] == "Coordination Test"
    assert "Infofiche voor mantelzorgers" in notice.sentence
    assert AuditEvent.objects.filter(action="thematic.action_overdue_reminded").count() == 1
    # A new due date that passes too: reminded again, once.
    JointAction.objects.filter(pk=action.pk).update(due_on=date(2026, 10, 1))
    assert reminders.remind_overdue_actions(at(date(2026, 10, 5))) == 1
    assert reminders.remind_overdue_actions(at(date(2026, 10, 6))) == 0
    assert Notification.objects.filter(kind=ACTION_OVERDUE).count() == 2


@pytest.mark.parametrize("change", [{"status": ActionStatus.DONE},
                                    {"status": ActionStatus.DROPPED}, {"owner": None},
                                    {"due_on": None}])
def test_closed_unowned_or_undated_actions_are_not_reminded(action, coordinator, change):
    JointAction.objects.filter(pk=action.pk).update(**change)
    assert reminders.remind_overdue_actions(at(date(2026, 12, 1))) == 0
    assert not Notification.objects.exists()


def test_the_reminder_is_a_registered_clock_job():
    assert clock.JOBS["thematic.remind_overdue_actions"].run is \
        reminders.remind_overdue_actions


# --- the preparation pack ----------------------------------------------------------------


def test_the_pack_freezes_the_zones_reviews_on_the_sessions_themes(
        persona_client, session, world, coordinator, north_team, analyst):
    def review(situation, themes, organisation=world.coordination_centre, actor=coordinator):
        return reviews.write_review(kind=ReviewKind.REFUSAL, themes=themes,
                                    situation=situation, actor=actor,
                                    organisation=organisation, month=date(2026, 3, 1))

    review("Alleenstaande man weigert hulp.", ["isolation", "refusal_of_help"])
    review("Mantelzorger uitgeput.", ["caregiver_exhaustion"])  # not the session's theme
    client = persona_client("analyst")
    assert client.post(reverse("thematic:session_pack", args=[session.pk])).status_code == 302
    pack = session.packs.get()
    assert [r["situation"] for r in pack.reviews] == ["Alleenstaande man weigert hulp."]
    assert pack.reviews[0]["team"] == "Coordination Test"
    review("Een tweede geïsoleerde persoon.", ["isolation"])
    pack.refresh_from_db()
    assert len(pack.reviews) == 1  # frozen: a later review is not in it
    page = client.get(reverse("thematic:session_pack", args=[session.pk])).content.decode()
    assert "Alleenstaande man weigert hulp." in page
    assert "Refusal" in page and "Isolation" in page
    assert AuditEvent.objects.filter(action="thematic.pack_generated").count() == 1
    assert AuditEvent.objects.filter(action="thematic.pack_read").count() == 1


# --- presentations -----------------------------------------------------------------------


def test_a_presentation_file_is_checked_kept_and_served_through_the_gate(
        persona_client, session, request):
    client = persona_client("analyst")
    response = client.post(reverse("thematic:presentation_new", args=[session.pk]), {
        "title": "Cijfers", "document": SimpleUploadedFile("cijfers.pdf", pdf(),
                                                           "application/pdf")})
    assert response.status_code == 302
    presentation = session.presentations.get()
    assert (presentation.document_type, presentation.document_name) == ("application/pdf",
                                                                        "cijfers.pdf")
    url = reverse("thematic:presentation_file", args=[session.pk, presentation.pk])
    download = persona_client("gp").get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf()
    assert 'filename="cijfers.pdf"' in download["Content-Disposition"]
    north = request.getfixturevalue("north_manager")
    outsider = persona_client("home_nurse")
    assert outsider.get(url).status_code == 404
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(north)
    assert other.get(url).status_code == 404


@pytest.mark.parametrize("data, message", [
    ({"title": "Virus", "document": SimpleUploadedFile("slides.pdf", b"MZ\x90\x00 not a pdf",
                                                       "application/pdf")},
     "Only PDF, JPEG or PNG files are accepted."),
    ({"title": "Niets"}, "Attach a file or give its public address, not both."),
    ({"title": "Beide", "url": "https://example.org/slides.pdf",
      "document": SimpleUploadedFile("s.pdf", pdf(), "application/pdf")},
     "Attach a file or give its public address, not both."),
])
def test_a_bad_presentation_is_refused_and_nothing_is_kept(persona_client, session, data,
                                                           message):
    response = persona_client("analyst").post(
        reverse("thematic:presentation_new", args=[session.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not session.presentations.exists()


# --- the report and the CSV --------------------------------------------------------------


def test_the_report_follows_the_seeds_structure_in_dutch_and_french(persona_client,
                                                                     session):
    client = persona_client("gp")
    dutch = client.get(reverse("thematic:session_report", args=[session.pk, "nl"]))
    page = dutch.content.decode()
    assert '<html lang="en">' in page and 'class="thematic-report" lang="nl"' in page
    headings = ["Monitoring van de behoeften van de bevolking",
                "Bevindingen en aanpassingen van het aanbod en de samenwerking",
                "Gezamenlijk uit te voeren acties en vooruitzichten", "Save the date"]
    positions = [page.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert "8 deelnemers uit de welzijns- en gezondheidssector." in page
    french = client.get(reverse("thematic:session_report", args=[session.pk, "fr"]))
    page = french.content.decode()
    assert "Suivi des besoins de la population" in page
    assert "Les aidants manquent d&#x27;information." in page
    # The offer's finding has no French text: shown in Dutch, and said to be.
    assert '<span lang="nl">Weinig samenwerking.</span>' in page


def test_the_actions_csv(persona_client, session, action):
    JointAction.objects.create(session=session, position=2, title_nl="=HYPERLINK(\"x\")")
    response = persona_client("hospital_manager").get(
        reverse("thematic:actions_csv", args=[session.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["session_date", "care_zone", "theme", "number", "action_nl",
                           "action_fr"]
    assert rows[1] == ["2026-04-22", "south-east", "Ontslag en mantelzorg", "1",
                       "Infofiche voor mantelzorgers", "Fiche d'information pour les aidants",
                       "Coordination Test", "Hôpital Test", "2026-09-01", "in_progress", "yes",
                       "", "", ""]
    assert rows[2][4] == "'=HYPERLINK(\"x\")"  # never run as a formula


def test_the_actions_csv_for_a_spreadsheet_and_for_scripts(persona_client, session, action):
    """`excel` opens in a Belgian spreadsheet (`;`, byte-order mark); `csv` (the default)
    is the scripts' (comma, no byte-order mark): the same rows."""
    client = persona_client("hospital_manager")
    url = reverse("thematic:actions_csv", args=[session.pk])

    excel = client.get(url, {"format": "excel"}).content
    scripts = client.get(url, {"format": "csv"}).content

    assert excel.startswith(b"\xef\xbb\xbfsession_date;care_zone;theme;")
    assert scripts.startswith(b"session_date,care_zone,theme,")
    assert client.get(url).content == scripts
    from_excel = list(csv.reader(io.StringIO(excel.decode("utf-8-sig"), newline=""),
                                 delimiter=";"))
    from_scripts = list(csv.reader(io.StringIO(scripts.decode("utf-8"), newline="")))
    assert from_excel == from_scripts
    assert from_excel[1][4:7] == ["Infofiche voor mantelzorgers",
                                  "Fiche d'information pour les aidants", "Coordination Test"]
    formats = AuditEvent.objects.filter(action="thematic.actions_exported").values_list(
        "detail__format", flat=True)
    assert sorted(formats) == ["csv", "csv", "excel"]
    page = client.get(reverse("thematic:session_detail", args=[session.pk])).content.decode()
    assert f'href="{url}?format=excel" download>Actions for Excel (CSV with ;)<' in page
    assert f'href="{url}?format=csv" download>Actions for scripts (CSV with commas)<' in page


# --- the demo ----------------------------------------------------------------------------


def test_the_seed_reports_load_as_demo_sessions_once(db):
    load_demo()
    assert load_demo_sessions() == 2
    assert load_demo_sessions() == 0
    south_east, north = (ThematicSession.objects.get(care_zone__code=code)
                         for code in ("south-east", "north"))
    assert (south_east.held_on, north.held_on.strftime("%Y-%m")) == (date(2025, 4, 22),
                                                                      "2025-12")
    assert sum(south_east.sectors.values_list("participants", flat=True)) == 23
    assert sum(north.sectors.values_list("participants", flat=True)) == 18
    assert north.findings.filter(section="needs").count() == 5
    assert north.findings.filter(section="offer").count() == 6
    assert north.actions.count() == 6
    for finding in [*south_east.findings.all(), *north.findings.all()]:
        assert finding.text_nl and finding.text_fr
    owned = south_east.actions.get()
    assert owned.owner.type == "coordination_centre" and owned.is_overdue
    # Every indicator the demo names is one the observatory computes.
    named = {code for session in (south_east, north) for finding in session.findings.all()
             for code in finding.indicators}
    named |= {a.indicator for a in JointAction.objects.exclude(indicator="")}
    assert named and named <= set(catalogue())


def test_the_pack_freezes_the_observatorys_published_figures(persona_client, session):
    """Figures for the indicators the session names, as the observatory publishes them
    (a count under the threshold is never a number), frozen when the pack is made."""
    finding = session.findings.get(section="offer")
    finding.indicators = ["readmissions_30d"]
    finding.save()
    run = Computation.objects.create(started_at=timezone.now(), finished_at=timezone.now(),
                                     status=ComputationStatus.DONE)
    # As the computation stores them: the true count and its mark under the defaults.
    for start, count, mark in ((date(2026, 4, 1), 3, "small"),
                               (date(2026, 7, 1), 42, "shown")):
        Figure.objects.create(computation=run, indicator="readmissions_30d",
                              zone="south-east", period="quarter", period_start=start,
                              count=count, mark=mark)
    client = persona_client("analyst")
    client.post(reverse("thematic:session_pack", args=[session.pk]))
    pack = session.packs.get()
    assert pack.figures_computed_at == run.finished_at
    (figure,) = pack.figures
    assert figure["indicator"] == "readmissions_30d"
    last_two = [(cell["period_start"], cell["shown"]) for cell in figure["cells"][-2:]]
    assert last_two == [("2026-04-01", "<10"), ("2026-07-01", "40")]
    assert all(cell["count"] != 3 for cell in figure["cells"])
    Figure.objects.filter(computation=run, count=42).update(count=57)
    page = client.get(reverse("thematic:session_pack", args=[session.pk])).content.decode()
    assert "Unplanned readmissions within 30 days" in page
    assert "<td>40</td>" in page and "&lt;10" in page  # as generated, not recomputed
