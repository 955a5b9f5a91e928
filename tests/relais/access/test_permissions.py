"""Every persona against every page of the foundation: allowed, 404, or sent to login.

One table, read row by row: a page, then what each persona gets. "login" means a redirect
to the login page; 404 is the same answer for "missing" and "not yours".
"""

import pytest
from django.urls import reverse

from relais.audit import log as audit
from relais.audit.models import AuditEvent
from tests.conftest import PERSONAS
from tests.helpers import without_tokens

ALL_SIGNED_IN = {p: 200 for p in PERSONAS if p != "anonymous"} | {"anonymous": "login"}


def only(*allowed: str, otherwise=404) -> dict:
    expected = {p: (200 if p in allowed else otherwise) for p in PERSONAS}
    expected["anonymous"] = "login"
    return expected


# page name → (url builder, expected per persona)
PAGES = {
    "home": (lambda w, e: reverse("accounts:home"), {p: 200 for p in PERSONAS}),
    "care zones": (lambda w, e: reverse("core:care_zones"), {p: 200 for p in PERSONAS}),
    "profile": (lambda w, e: reverse("accounts:profile"), ALL_SIGNED_IN),
    "security": (lambda w, e: reverse("accounts:security"), ALL_SIGNED_IN),
    "organisation list": (lambda w, e: reverse("accounts:organisation_list"), ALL_SIGNED_IN),
    "hospital page": (lambda w, e: reverse("accounts:organisation_detail", args=[w.hospital.pk]),
                      ALL_SIGNED_IN),
    "missing organisation": (lambda w, e: reverse("accounts:organisation_detail", args=[999999]),
                             only()),
    "edit coordination centre": (
        lambda w, e: reverse("accounts:organisation_edit", args=[w.coordination_centre.pk]),
        only("coordinator", "platform_admin")),
    "edit GP practice": (
        lambda w, e: reverse("accounts:organisation_edit", args=[w.gp_practice.pk]),
        only("gp", "platform_admin")),
    "register organisation": (lambda w, e: reverse("accounts:organisation_create"),
                              only("platform_admin")),
    "add ward": (lambda w, e: reverse("accounts:ward_add", args=[w.hospital.pk]),
                 only("hospital_manager", "platform_admin")),
    "edit ward": (lambda w, e: reverse("accounts:ward_edit", args=[w.ward.pk]),
                  only("hospital_manager", "platform_admin")),
    "add colleague": (lambda w, e: reverse("accounts:member_add", args=[w.hospital.pk]),
                      only("hospital_manager", "platform_admin")),
    "audit log": (lambda w, e: reverse("access:audit_log"), ALL_SIGNED_IN),
    "coordinator's audit event": (lambda w, e: reverse("access:audit_event", args=[e.pk]),
                                  only("coordinator", "platform_admin")),
}

CASES = [(page, persona) for page in PAGES for persona in PERSONAS]


@pytest.fixture
def everyone(request):
    return {name: request.getfixturevalue(name) for name in PERSONAS if name != "anonymous"}


@pytest.fixture
def coordinator_event(everyone, world):
    return audit.record("organisation.change", actor=everyone["coordinator"],
                        organisation=world.coordination_centre, target=world.coordination_centre)


@pytest.mark.parametrize(("page", "persona"), CASES, ids=[f"{p}-{u}" for p, u in CASES])
def test_persona_gets_what_the_rules_say(page, persona, world, everyone, coordinator_event,
                                         persona_client):
    url_for, expected = PAGES[page]
    url = url_for(world, coordinator_event)
    response = persona_client(persona).get(url)
    if expected[persona] == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected[persona]


def test_a_forbidden_attempt_is_audited_and_looks_missing(world, home_nurse, persona_client):
    url = reverse("accounts:organisation_edit", args=[world.coordination_centre.pk])
    missing_url = reverse("accounts:organisation_edit", args=[999999])
    forbidden = persona_client("home_nurse").get(url)
    missing = persona_client("home_nurse").get(missing_url)
    assert forbidden.status_code == missing.status_code == 404
    assert (without_tokens(forbidden).replace(url, "<path>")
            == without_tokens(missing).replace(missing_url, "<path>"))
    denial = AuditEvent.objects.filter(action="access.denied").order_by("pk")
    assert [(e.actor, e.target_id, e.outcome) for e in denial] == [
        (home_nurse, str(world.coordination_centre.pk), "denied"),
        (home_nurse, "999999", "denied"),
    ]
    assert denial[0].detail == {"action": "change", "exists_for_user": True}


def test_platform_admin_needs_the_relais_login_for_the_admin(persona_client):
    assert persona_client("platform_admin").get("/admin/").status_code == 200
    anonymous = persona_client("anonymous").get("/admin/", follow=True)
    assert anonymous.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert persona_client("home_nurse").get("/admin/", follow=True).status_code == 403


def test_ending_a_membership_is_for_managers_only(world, hospital_manager, liaison_nurse,
                                                  persona_client):
    membership = liaison_nurse.memberships.get()
    url = reverse("accounts:member_end", args=[membership.pk])
    assert persona_client("coordinator").post(url).status_code == 404
    assert persona_client("liaison_nurse").post(url).status_code == 404
    membership.refresh_from_db()
    assert membership.ended_on is None
    assert persona_client("hospital_manager").post(url).status_code == 302
    membership.refresh_from_db()
    assert membership.ended_on is not None


def test_audit_log_shows_each_user_only_what_they_may_see(world, everyone, coordinator_event,
                                                          persona_client):
    other = audit.record("organisation.change", actor=everyone["gp"],
                         organisation=world.gp_practice)
    seen = {name: {e.pk for e in persona_client(name).get(reverse("access:audit_log"))
                   .context["page"].object_list}
            for name in ("coordinator", "gp", "home_nurse", "platform_admin")}
    assert coordinator_event.pk in seen["coordinator"] and other.pk not in seen["coordinator"]
    assert other.pk in seen["gp"] and coordinator_event.pk not in seen["gp"]
    assert not {coordinator_event.pk, other.pk} & seen["home_nurse"]
    assert {coordinator_event.pk, other.pk} <= seen["platform_admin"]
