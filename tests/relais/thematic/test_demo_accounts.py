"""The demo's decision-maker reads the zone's published observatory and reports and
changes nothing; the demo's North support team runs the North seed session."""

import pytest
from django.test import Client
from django.urls import reverse

from relais.accounts import demo
from relais.accounts.models import User
from relais.network.demo import load_demo_persons
from relais.network.models import Person
from relais.thematic.demo import load_demo_sessions
from relais.thematic.models import ActionStatus, Finding, JointAction, ThematicSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_zone():
    demo.load_demo()
    load_demo_persons()
    load_demo_sessions()
    return {code: ThematicSession.objects.get(care_zone__code=code)
            for code in ("south-east", "north")}


def signed_in(local_part: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("accounts:login"),
                           {"username": f"{local_part}@{demo.DEMO_DOMAIN}",
                            "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def demo_user(local_part: str) -> User:
    return User.objects.get(email=f"{local_part}@{demo.DEMO_DOMAIN}")


def test_the_decision_maker_reads_the_zones_dashboards_and_reports(demo_zone):
    client = signed_in("decision-maker")
    south_east = demo_zone["south-east"]

    for url in ["/observatory/", "/observatory/south-east/", "/observatory/brussels/",
                reverse("thematic:session_list"),
                reverse("thematic:session_detail", args=[south_east.pk]),
                reverse("thematic:session_report", args=[south_east.pk, "fr"]),
                reverse("thematic:actions_csv", args=[south_east.pk]),
                reverse("thematic:action_detail", args=[south_east.actions.get().pk])]:
        assert client.get(url).status_code == 200, url
    # Another zone's observatory and session are not theirs; no person is.
    assert client.get("/observatory/north/").status_code == 404
    assert client.get(reverse("thematic:session_detail",
                              args=[demo_zone["north"].pk])).status_code == 404
    assert Person.objects.count() > 0
    assert not Person.objects.visible_to(demo_user("decision-maker")).exists()


def test_the_decision_maker_runs_and_changes_nothing(demo_zone):
    client = signed_in("decision-maker")
    session = demo_zone["south-east"]
    action = session.actions.get()
    before = (session.version, session.theme_nl, action.version, action.status,
              Finding.objects.count(), JointAction.objects.count(), action.notes.count())

    for name in ("session_edit", "session_participation", "finding_new", "action_new",
                 "presentation_new", "session_pack"):
        url = reverse(f"thematic:{name}", args=[session.pk])
        assert client.get(url).status_code == 404, name
    posts = [
        (reverse("thematic:session_edit", args=[session.pk]),
         {"theme_nl": "Overgenomen", "held_on": "2025-04-22", "version": session.version}),
        (reverse("thematic:session_invite", args=[session.pk]), {}),
        (reverse("thematic:finding_new", args=[session.pk]),
         {"section": "needs", "text_nl": "Nee"}),
        (reverse("thematic:action_new", args=[session.pk]), {"title_nl": "Nee"}),
        (reverse("thematic:session_pack", args=[session.pk]), {}),
        (reverse("thematic:action_edit", args=[action.pk]),
         {"title_nl": "Nee", "version": action.version}),
        (reverse("thematic:action_progress", args=[action.pk]),
         {"text": "Klaar", "status": ActionStatus.DONE, "version": action.version}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("thematic:session_new")).status_code == 404

    session.refresh_from_db()
    action.refresh_from_db()
    assert (session.version, session.theme_nl, action.version, action.status,
            Finding.objects.count(), JointAction.objects.count(),
            action.notes.count()) == before


def test_the_north_team_runs_the_north_session_only(demo_zone):
    client = signed_in("north-team")
    north, south_east = demo_zone["north"], demo_zone["south-east"]

    assert client.get(reverse("thematic:session_edit", args=[north.pk])).status_code == 200
    assert client.get(reverse("thematic:action_new", args=[north.pk])).status_code == 200
    # Support teams read each other's reports, and run only their own zone's sessions.
    assert client.get(reverse("thematic:session_detail",
                              args=[south_east.pk])).status_code == 200
    assert client.get(reverse("thematic:session_edit",
                              args=[south_east.pk])).status_code == 404
    assert client.get("/observatory/north/").status_code == 200
    assert client.get("/observatory/south-east/").status_code == 404
