"""Every page of the thematic consultations × every persona (R20): the zone's support
team runs its sessions, other zones' teams and the zone's managers read them, everyone
else gets the same 404 as for nothing; each read is audited."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.thematic.models import ThematicSession
from tests.helpers import SIGNED_IN_QUERIES

pytestmark = pytest.mark.django_db

RUN, READ, NONE = "run", "read", "none"
# persona → what it may do with a South-East session
ROLES = {
    "analyst": RUN,             # South-East's support team
    "north_analyst": READ,      # another zone's support team: reports are public
    "hospital_manager": READ,   # managers of the zone's organisations
    "coordinator": READ,
    "gp": READ,
    "platform_admin": READ,
    "decision_maker": READ,     # read-only, at an organisation of the zone
    "north_manager": NONE,      # a manager in another zone
    "liaison_nurse": NONE,      # not a manager
    "home_nurse": NONE,
    "outsider": NONE,
}

READ_PAGES = ["thematic:session_detail", "thematic:session_report_nl",
              "thematic:session_report_fr", "thematic:actions_csv", "thematic:action_detail"]
RUN_PAGES = ["thematic:session_edit", "thematic:session_participation",
             "thematic:finding_new", "thematic:action_new", "thematic:presentation_new",
             "thematic:session_pack", "thematic:action_edit"]


def url_of(name, session, action):
    if name.startswith("thematic:session_report_"):
        return reverse("thematic:session_report", args=[session.pk, name[-2:]])
    if name.startswith("thematic:action_") and name != "thematic:action_new":
        return reverse(name, args=[action.pk])
    return reverse(name, args=[session.pk])


def client_for(request, persona) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(request.getfixturevalue(persona))
    return client


@pytest.mark.parametrize("persona", sorted(ROLES))
@pytest.mark.parametrize("name", READ_PAGES + RUN_PAGES)
def test_who_opens_which_page(persona, name, session, action, request):
    role = ROLES[persona]
    allowed = role == RUN or (role == READ and name in READ_PAGES)
    response = client_for(request, persona).get(url_of(name, session, action))
    assert response.status_code == (200 if allowed else 404)


@pytest.mark.parametrize("persona", sorted(ROLES))
def test_the_list_shows_the_sessions_the_persona_reads(persona, session, request):
    response = client_for(request, persona).get(reverse("thematic:session_list"))
    if persona in ("liaison_nurse", "home_nurse", "outsider"):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    shown = reverse("thematic:session_detail", args=[session.pk]) in response.content.decode()
    assert shown == (ROLES[persona] != NONE)


def test_anonymous_visitors_are_sent_to_sign_in(session, client):
    for url in [reverse("thematic:session_list"),
                reverse("thematic:session_detail", args=[session.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_only_a_support_team_starts_a_session(persona_client, request):
    assert persona_client("analyst").get(reverse("thematic:session_new")).status_code == 200
    assert client_for(request, "north_analyst").get(
        reverse("thematic:session_new")).status_code == 200
    for persona in ("hospital_manager", "coordinator", "platform_admin", "home_nurse"):
        assert persona_client(persona).get(
            reverse("thematic:session_new")).status_code == 404


def test_reads_are_audited(persona_client, session, action, hospital_manager):
    client = persona_client("hospital_manager")
    client.get(reverse("thematic:session_detail", args=[session.pk]))
    client.get(reverse("thematic:session_report", args=[session.pk, "fr"]))
    client.get(reverse("thematic:actions_csv", args=[session.pk]))
    client.get(reverse("thematic:action_detail", args=[action.pk]))
    client.get(reverse("thematic:session_list"))
    actions = list(AuditEvent.objects.filter(actor=hospital_manager).exclude(action="auth.login")
                   .order_by("pk").values_list("action", "target_type", "actor"))
    manager = hospital_manager.pk
    # A request's reads are written as it ends, after what the view recorded itself:
    # the events, not their order within a request, are the point.
    assert sorted(actions) == sorted([
        ("thematicsession.read", "thematic.thematicsession", manager),
        ("thematicsession.read", "thematic.thematicsession", manager),
        ("thematic.report_read", "thematic.thematicsession", manager),
        ("thematicsession.read", "thematic.thematicsession", manager),
        ("thematic.actions_exported", "thematic.thematicsession", manager),
        ("jointaction.read", "thematic.jointaction", manager),
        ("thematic.session_list_read", "", manager)])


def test_form_pages_are_audited_too(persona_client, session):
    persona_client("analyst").get(reverse("thematic:session_edit", args=[session.pk]))
    event = AuditEvent.objects.get(action="thematicsession.read")
    assert (event.target_id, event.detail) == (str(session.pk), {"for": "change"})


def test_a_denied_read_is_audited_as_denied(persona_client, session):
    # A manager of the zone reads the session but may not change it.
    response = persona_client("hospital_manager").get(
        reverse("thematic:session_edit", args=[session.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="thematic.report_read").exists()
    assert AuditEvent.objects.filter(action="access.denied",
                                     target_id=str(session.pk)).count() == 1


def test_an_unknown_report_language_is_not_found(persona_client, session):
    response = persona_client("analyst").get(
        reverse("thematic:session_report", args=[session.pk, "de"]))
    assert response.status_code == 404


def test_the_list_shows_the_readers_own_zone_first(request, session, north_team):
    north = ThematicSession.objects.create(care_zone=north_team.municipality.care_zone,
                                           theme_nl="Noord", held_on=date(2026, 11, 2))
    for persona, first in (("analyst", session), ("north_analyst", north)):
        page = client_for(request, persona).get(reverse("thematic:session_list"))
        shown = [s.pk for s in page.context["sessions"]]
        assert shown[0] == first.pk and set(shown) == {session.pk, north.pk}


def test_the_list_costs_the_same_for_one_or_many_sessions(persona_client, session):
    client = persona_client("hospital_manager")
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("thematic:session_list")).status_code == 200
    for day in (1, 2, 3):
        ThematicSession.objects.create(care_zone=session.care_zone, theme_nl=f"Thema {day}",
                                       held_on=session.held_on.replace(day=day))
    with CaptureQueriesContext(connection) as four:
        page = client.get(reverse("thematic:session_list")).content.decode()
    assert "Thema 3" in page
    assert len(four) == len(one)
    # signed in + the user's zones + the sessions + the audit event
    assert len(one) <= SIGNED_IN_QUERIES + 2 + 5


def test_the_detail_page_costs_a_fixed_number_of_queries(persona_client, session):
    client = persona_client("analyst")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("thematic:session_detail",
                                  args=[session.pk])).status_code == 200
    assert len(queries) <= SIGNED_IN_QUERIES + 16
