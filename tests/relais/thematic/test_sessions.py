"""Running a session (R20): creating and editing it, who took part, findings, joint
actions and their progress; bad input is refused with a message and changes nothing."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from relais.audit.models import AuditEvent
from relais.thematic import services
from relais.thematic.models import (
    ActionStatus,
    Finding,
    JointAction,
    ProgressNote,
    Section,
    ThematicSession,
)

pytestmark = pytest.mark.django_db


def snapshot(session) -> tuple:
    session.refresh_from_db()
    return (session.version, session.theme_nl, session.held_on,
            list(session.sectors.values_list("sector", "participants")),
            list(session.findings.values_list("pk", "text_nl")),
            list(session.actions.values_list("pk", "status", "version")))


# --- creating and editing a session ------------------------------------------------------


def test_the_support_team_creates_a_session_that_opens_with_the_previous_one(
        persona_client, session, south_east):
    response = persona_client("analyst").post(reverse("thematic:session_new"), {
        "care_zone": south_east.pk, "language": "fr", "theme_fr": "Sortie et aidants #2",
        "held_on": "2026-11-20", "place": "Rue Tomberg 1"})
    created = ThematicSession.objects.get(theme_fr="Sortie et aidants #2")
    assert response.status_code == 302
    assert response["Location"] == reverse("thematic:session_detail", args=[created.pk])
    assert (created.care_zone, created.language, created.previous) == (south_east, "fr",
                                                                       session)
    assert AuditEvent.objects.filter(action="thematic.session_created",
                                     target_id=str(created.pk)).count() == 1
    page = persona_client("analyst").get(response["Location"]).content.decode()
    previous = page[page.index('<h2 id="previous">'):page.index('id="section-needs"')]
    assert "The previous session's joint actions" in previous
    assert "Infofiche voor mantelzorgers" in previous  # in Dutch: no English title


@pytest.mark.parametrize("data, field, message", [
    ({"language": "nl", "theme_fr": "Seulement en français"}, "theme_nl",
     "Write this text in the report's language"),
    ({"language": "nl", "theme_nl": "Thema", "held_on": "1999-05-01"}, "held_on",
     "Enter a date between"),
    ({"language": "nl", "theme_nl": "Thema", "next_on": "2026-01-01"}, None,
     "Constraint"),
    ({"language": "nl", "theme_nl": "Thema", "review_themes": ["astrology"]},
     "review_themes", "Select a valid choice"),
    ({"language": "nl", "theme_nl": "x" * 201}, "theme_nl", "at most 200 characters"),
])
def test_a_bad_session_is_refused_and_nothing_is_saved(persona_client, south_east, data,
                                                        field, message):
    before = ThematicSession.objects.count()
    response = persona_client("analyst").post(reverse("thematic:session_new"), {
        "care_zone": south_east.pk, "held_on": "2026-06-01", **data})
    assert response.status_code == 200
    errors = response.context["form"].errors
    text = " ".join(str(e) for errs in errors.values() for e in errs)
    assert message.lower() in text.lower() or (field is None and errors)
    if field:
        assert field in errors
    assert ThematicSession.objects.count() == before


def test_the_service_refuses_a_session_for_another_zone(analyst, north_team):
    zone = north_team.municipality.care_zone
    with pytest.raises(PermissionDenied):
        services.create_session(care_zone=zone, data={"theme_nl": "X",
                                                      "held_on": date(2026, 5, 1)},
                                actor=analyst)
    assert not ThematicSession.objects.exists()


def test_an_edit_from_a_stale_form_is_a_conflict(persona_client, session):
    client = persona_client("analyst")
    url = reverse("thematic:session_edit", args=[session.pk])
    form = {"language": "nl", "theme_nl": "Nieuw thema", "held_on": "2026-04-22",
            "version": session.version}
    assert client.post(url, form).status_code == 302
    form["theme_nl"] = "Nog een ander thema"
    response = client.post(url, form)
    session.refresh_from_db()
    assert (response.status_code, session.theme_nl, session.version) == (409, "Nieuw thema",
                                                                         2)


def test_a_manager_posting_an_edit_gets_404_and_nothing_changes(persona_client, session):
    before = snapshot(session)
    for name, data in [("thematic:session_edit", {"theme_nl": "Gekaapt", "language": "nl",
                                                  "held_on": "2026-04-22", "version": 1}),
                       ("thematic:finding_new", {"section": "needs", "text_nl": "X"}),
                       ("thematic:action_new", {"title_nl": "X"}),
                       ("thematic:session_participation", {"people_hospital": "99"}),
                       ("thematic:session_invite", {}),
                       ("thematic:session_pack", {})]:
        response = persona_client("hospital_manager").post(reverse(name, args=[session.pk]),
                                                           data)
        assert response.status_code == 404, name
    assert snapshot(session) == before
    assert not session.packs.exists()


def test_the_team_edits_an_action_and_its_partners(persona_client, action, world):
    response = persona_client("analyst").post(
        reverse("thematic:action_edit", args=[action.pk]),
        {"title_nl": "Infofiche, tweede versie", "owner": world.hospital.pk,
         "partners": [world.coordination_centre.pk], "due_on": "2027-02-01",
         "version": action.version})
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.title_nl, action.owner, action.due_on, action.version) == (
        "Infofiche, tweede versie", world.hospital, date(2027, 2, 1), 2)
    assert list(action.partners.all()) == [world.coordination_centre]


def test_the_previous_session_can_be_chosen_and_must_be_earlier(analyst, session,
                                                                south_east):
    earlier = ThematicSession.objects.create(care_zone=south_east, theme_nl="Eerder",
                                             held_on=date(2026, 1, 15))
    later = ThematicSession.objects.create(care_zone=south_east, theme_nl="Later",
                                           held_on=date(2026, 6, 1))
    services.update_session(session, {"previous": earlier}, actor=analyst,
                            expected_version=session.version)
    session.refresh_from_db()
    assert session.previous == earlier
    with pytest.raises(ValidationError, match="earlier session of the same care zone"):
        services.update_session(session, {"previous": later}, actor=analyst,
                                expected_version=session.version)
    session.refresh_from_db()
    assert session.previous == earlier


# --- who took part -----------------------------------------------------------------------


def test_participation_is_counted_by_sector(persona_client, session):
    response = persona_client("analyst").post(
        reverse("thematic:session_participation", args=[session.pk]),
        {"orgs_hospital": "3", "people_hospital": "7", "orgs_ocmw_cpas": "1",
         "people_ocmw_cpas": "2"})
    assert response.status_code == 302
    assert list(session.sectors.order_by("sector").values_list(
        "sector", "organisations", "participants")) == [("hospital", 3, 7),
                                                        ("ocmw_cpas", 1, 2)]
    page = persona_client("gp").get(reverse("thematic:session_detail", args=[session.pk]))
    assert "9 participants from the welfare and health sector." in page.content.decode()


def test_negative_counts_are_refused(persona_client, session):
    before = snapshot(session)
    response = persona_client("analyst").post(
        reverse("thematic:session_participation", args=[session.pk]),
        {"people_hospital": "-4"})
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
    assert snapshot(session) == before


# --- findings ----------------------------------------------------------------------------


def test_a_finding_names_requirements_and_indicators(persona_client, session):
    response = persona_client("analyst").post(
        reverse("thematic:finding_new", args=[session.pk]),
        {"section": "offer", "text_nl": "Geen dringende thuishulp.",
         "requirements": "r13, R8", "indicators": ["readmissions_30d"]})
    assert response.status_code == 302
    finding = session.findings.get(text_nl="Geen dringende thuishulp.")
    assert (finding.section, finding.position, finding.requirements,
            finding.indicators) == ("offer", 2, ["R8", "R13"], ["readmissions_30d"])


@pytest.mark.parametrize("data, message", [
    ({"section": "offer", "text_nl": "X", "requirements": "R23"}, "Unknown requirement: R23"),
    ({"section": "offer", "text_nl": "X", "indicators": ["admissions", "happiness"]},
     "Select a valid choice. happiness is not one of the available choices."),
    ({"section": "gossip", "text_nl": "X"}, "Select a valid choice"),
    ({"section": "offer", "text_fr": "Seulement la traduction"},
     "Write this text in the report&#x27;s language"),
])
def test_a_bad_finding_is_refused(persona_client, session, data, message):
    before = snapshot(session)
    response = persona_client("analyst").post(
        reverse("thematic:finding_new", args=[session.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(session) == before


def test_a_finding_is_edited_and_removed(persona_client, session):
    finding = session.findings.get(section=Section.OFFER)
    client = persona_client("analyst")
    client.post(reverse("thematic:finding_edit", args=[session.pk, finding.pk]),
                {"section": "offer", "text_nl": "Weinig echte samenwerking.",
                 "text_fr": "Peu de collaboration réelle."})
    finding.refresh_from_db()
    assert (finding.text_nl, finding.text_fr) == ("Weinig echte samenwerking.",
                                                  "Peu de collaboration réelle.")
    client.post(reverse("thematic:finding_delete", args=[session.pk, finding.pk]))
    assert not Finding.objects.filter(pk=finding.pk).exists()
    assert AuditEvent.objects.filter(action="thematic.finding_deleted").count() == 1


def test_a_finding_of_another_session_is_not_found(persona_client, session, south_east):
    other = ThematicSession.objects.create(care_zone=south_east, theme_nl="Ander",
                                           held_on=date(2026, 2, 1))
    finding = session.findings.first()
    response = persona_client("analyst").get(
        reverse("thematic:finding_edit", args=[other.pk, finding.pk]))
    assert response.status_code == 404


# --- joint actions -----------------------------------------------------------------------


def test_the_team_adds_an_action_with_owner_partners_and_indicator(persona_client, session,
                                                                   world):
    response = persona_client("analyst").post(
        reverse("thematic:action_new", args=[session.pk]),
        {"title_nl": "Gedeeld protocol", "owner": world.hospital.pk,
         "partners": [world.gp_practice.pk, world.home_nursing.pk], "due_on": "2027-01-31",
         "indicator": "watches"})
    action = session.actions.get(title_nl="Gedeeld protocol")
    assert response["Location"] == reverse("thematic:action_detail", args=[action.pk])
    assert (action.owner, action.position, action.status, action.indicator) == (
        world.hospital, 2, ActionStatus.PROPOSED, "watches")
    assert set(action.partners.all()) == {world.gp_practice, world.home_nursing}


def test_an_owner_outside_the_zone_is_refused(persona_client, session, north_manager,
                                              analyst):
    north_org = north_manager.memberships.get().organisation
    before = snapshot(session)
    response = persona_client("analyst").post(
        reverse("thematic:action_new", args=[session.pk]),
        {"title_nl": "X", "partners": [north_org.pk]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(ValidationError, match="organisations of the care zone"):
        services.add_action(session, {"title_nl": "X"}, partners=[north_org],
                            actor=analyst)
    assert snapshot(session) == before


def test_the_owners_manager_writes_progress_and_moves_the_status(persona_client, action):
    response = persona_client("coordinator").post(
        reverse("thematic:action_progress", args=[action.pk]),
        {"text": "Fiche klaar, wordt getest.", "status": "done", "version": action.version})
    assert response.status_code == 302
    action.refresh_from_db()
    note = action.notes.get()
    assert (action.status, note.status, note.text) == (ActionStatus.DONE, "done",
                                                      "Fiche klaar, wordt getest.")
    assert note.organisation.name == "Coordination Test"


@pytest.mark.parametrize("persona", ["hospital_manager", "gp"])
def test_a_reader_who_is_not_the_owner_writes_no_progress(persona_client, action, persona):
    response = persona_client(persona).post(
        reverse("thematic:action_progress", args=[action.pk]),
        {"text": "Ik doe ook iets.", "version": action.version})
    assert response.status_code == 404
    assert not ProgressNote.objects.exists()


def test_a_status_change_that_is_not_allowed_is_refused(action, coordinator):
    action.status = ActionStatus.DONE
    action.save()
    with pytest.raises(ValidationError, match="cannot become"):
        services.write_progress(action, text="Toch gestopt", status=ActionStatus.DROPPED,
                                actor=coordinator, expected_version=action.version)
    action.refresh_from_db()
    assert (action.status, action.notes.count()) == (ActionStatus.DONE, 0)


def test_progress_from_a_stale_page_is_a_conflict(persona_client, action):
    client = persona_client("analyst")
    url = reverse("thematic:action_progress", args=[action.pk])
    assert client.post(url, {"text": "Eerste", "status": "done",
                             "version": action.version}).status_code == 302
    response = client.post(url, {"text": "Tweede", "status": "",
                                 "version": action.version})
    assert response.status_code == 409
    assert list(action.notes.values_list("text", flat=True)) == ["Eerste"]


def test_an_empty_progress_note_is_refused(persona_client, action):
    response = persona_client("analyst").post(
        reverse("thematic:action_progress", args=[action.pk]),
        {"text": "   ", "version": action.version}, follow=True)
    assert "Write what was done or what blocks" in response.content.decode()
    assert not ProgressNote.objects.exists()


def test_the_action_page_shows_the_title_in_the_readers_language(persona_client, action,
                                                                  coordinator):
    coordinator.language = "fr"
    coordinator.save()
    page = persona_client("coordinator").get(
        reverse("thematic:action_detail", args=[action.pk])).content.decode()
    assert "Fiche d&#x27;information pour les aidants" in page
    JointAction.objects.filter(pk=action.pk).update(title_fr="")
    page = persona_client("coordinator").get(
        reverse("thematic:action_detail", args=[action.pk])).content.decode()
    assert '<span lang="nl">Infofiche voor mantelzorgers</span>' in page


def test_the_service_refuses_an_indicator_the_observatory_does_not_know(session, analyst):
    translation.activate("en")
    with pytest.raises(ValidationError, match="Unknown indicator: happiness"):
        services.add_finding(session, {"section": "offer", "text_nl": "X",
                                       "indicators": ["admissions", "happiness"]},
                             actor=analyst)
    with pytest.raises(ValidationError, match="Unknown indicator: DROP TABLE"):
        services.add_action(session, {"title_nl": "X", "indicator": "DROP TABLE"},
                            actor=analyst)
    assert (session.findings.count(), session.actions.count()) == (3, 1)


def test_findings_show_the_names_of_their_indicators(persona_client, session):
    finding = session.findings.get(section=Section.OFFER)
    finding.indicators = ["readmissions_30d"]
    finding.save()
    page = persona_client("gp").get(reverse("thematic:session_detail", args=[session.pk]))
    assert "Indicators: Unplanned readmissions within 30 days" in page.content.decode()


def test_refusals_read_in_the_users_language(persona_client, session, analyst):
    analyst.language = "fr"
    analyst.save()
    response = persona_client("analyst").post(
        reverse("thematic:finding_new", args=[session.pk]),
        {"section": "offer", "text_nl": "X", "requirements": "R23"})
    page = response.content.decode()
    assert "Exigence inconnue : R23. Les exigences vont de R1 à R22." in page
    assert "Veuillez corriger les champs signalés ci-dessous. Rien n'a été enregistré." in page
    assert session.findings.count() == 3
