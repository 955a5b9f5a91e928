"""The access matrix for persons: every persona × every page and action of the network.

Rows read: page, then what each persona gets. A former member, an excluded member,
revoked consent and break-the-glass each have their own column or test.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from relais.access.models import Consent
from relais.audit.models import AuditEvent
from relais.network.models import NetworkMember
from relais.notifications.models import Notification
from tests.relais.network.conftest import NETWORK_PERSONAS

pytestmark = pytest.mark.django_db

IN_NETWORK = {"coordinator", "gp", "home_nurse"}


def expect(allowed, *, anonymous="login"):
    return {p: 200 if p in allowed else 404 for p in NETWORK_PERSONAS} | {"anonymous": anonymous}


def person_url(name):
    return lambda person, members: reverse(f"network:{name}", args=[person.pk])


def member_url(name):
    return lambda person, members: reverse(f"network:{name}", args=[members["daughter"].pk])


PAGES = {
    "person list": (lambda p, m: reverse("network:person_list"),
                    expect(set(NETWORK_PERSONAS) - {"anonymous"})),
    "person page": (person_url("person_detail"), expect(IN_NETWORK | {"caregiver"})),
    "network map": (person_url("network_map"), expect(IN_NETWORK | {"caregiver"})),
    "edit person": (person_url("person_edit"), expect(IN_NETWORK)),
    "add member": (person_url("member_add"), expect(IN_NETWORK)),
    "edit member": (member_url("member_edit"), expect(IN_NETWORK)),
    "consent": (person_url("consent"), expect(IN_NETWORK)),
    "who looked": (person_url("access_log"), expect(IN_NETWORK)),
    # The readable export (relais.rights): whoever may see who looked, nobody else.
    "everything held": (lambda p, m: reverse("rights:person_export", args=[p.pk]),
                        expect(IN_NETWORK)),
    "emergency access": (person_url("break_glass"),
                         expect({"liaison_nurse", "analyst", "former_member"})),
    "role guide": (lambda p, m: reverse("network:role_guide"),
                   {p: 200 for p in NETWORK_PERSONAS}),
}

CASES = [(page, persona) for page in PAGES for persona in NETWORK_PERSONAS]


@pytest.fixture
def members(madeleine, member_of):
    return {"daughter": member_of(name="Sophie Lambert")}


@pytest.mark.parametrize(("page", "persona"), CASES, ids=[f"{p}-{u}" for p, u in CASES])
def test_persona_gets_what_the_rules_say(page, persona, madeleine, members, persona_client):
    url_for, expected = PAGES[page]
    response = persona_client(persona).get(url_for(madeleine, members))
    if expected[persona] == "login":
        assert response.status_code == 302 and "/accounts/login/" in response.url
    else:
        assert response.status_code == expected[persona]


ACTIONS = ["member_contact_point", "member_exclude", "member_end"]


@pytest.mark.parametrize("persona", sorted(set(NETWORK_PERSONAS) - IN_NETWORK - {"anonymous"}))
@pytest.mark.parametrize("action", ACTIONS)
def test_only_network_professionals_change_the_network(action, persona, madeleine, members,
                                                       persona_client):
    daughter = members["daughter"]
    response = persona_client(persona).post(reverse(f"network:{action}", args=[daughter.pk]))
    assert response.status_code == 404
    daughter.refresh_from_db()
    assert (daughter.is_contact_point, daughter.never_inform, daughter.ended_on) == (
        False, False, None)


def test_the_person_list_shows_only_visible_persons(madeleine, persona_client):
    for persona in NETWORK_PERSONAS[:-1]:
        page = persona_client(persona).get(reverse("network:person_list")).context["page"]
        names = [p.full_name for p in page.object_list]
        expected = ["Madeleine Lambert"] if persona in IN_NETWORK | {"caregiver"} else []
        assert names == expected, persona


def test_revoking_consent_takes_effect_on_the_next_request(madeleine, coordinator,
                                                           persona_client):
    gp = persona_client("gp")
    url = reverse("network:person_detail", args=[madeleine.pk])
    assert gp.get(url).status_code == 200
    consent = Consent.objects.in_force().get(person=madeleine)
    persona_client("coordinator").post(
        reverse("network:consent_revoke", args=[madeleine.pk, consent.pk]))
    assert gp.get(url).status_code == 404
    # The organisation that keeps the record still sees it, to ask consent again.
    assert persona_client("coordinator").get(url).status_code == 200


def test_every_read_of_the_record_is_audited_with_the_person(madeleine, gp, persona_client):
    persona_client("gp").get(reverse("network:person_detail", args=[madeleine.pk]))
    event = AuditEvent.objects.filter(action="person.read").latest("pk")
    assert (event.actor, event.person_id, event.outcome) == (gp, madeleine.pk, "success")


def test_a_denied_read_is_audited_with_the_person(madeleine, analyst, persona_client):
    persona_client("analyst").get(reverse("network:person_detail", args=[madeleine.pk]))
    event = AuditEvent.objects.filter(action="access.denied").latest("pk")
    assert (event.actor, event.target_type, event.target_id) == (
        analyst, "network.person", str(madeleine.pk))


def test_break_the_glass_needs_a_reason_is_audited_and_tells_the_contact_point(
    madeleine, members, liaison_nurse, caregiver, persona_client
):
    NetworkMember.objects.filter(person=madeleine, is_contact_point=True).update(
        is_contact_point=False)
    NetworkMember.objects.filter(pk=members["daughter"].pk).update(is_contact_point=True)
    client = persona_client("liaison_nurse")
    url = reverse("network:break_glass", args=[madeleine.pk])
    short = client.post(url, {"reason": "urgent"})
    assert short.status_code == 200 and not AuditEvent.objects.filter(break_glass=True).exists()
    reason = "Unconscious at the emergency department, need her GP and contact point"
    assert client.post(url, {"reason": reason}).status_code == 302
    event = AuditEvent.objects.get(break_glass=True)
    assert (event.actor, event.person_id, event.purpose) == (liaison_nurse, madeleine.pk, reason)
    assert client.get(reverse("network:person_detail", args=[madeleine.pk])).status_code == 200
    [told] = Notification.objects.filter(recipient=caregiver, kind="network.break_glass")
    assert told.params == {"who": str(liaison_nurse)}
    with translation.override("en"):
        assert told.sentence == (f"{liaison_nurse} opened the record of Madeleine Lambert in "
                                 "an emergency.")
    log = persona_client("caregiver")
    # The contact point sees who looked, with the reason.
    page = log.get(reverse("network:access_log", args=[madeleine.pk]))
    assert page.status_code == 200 and reason in page.content.decode()


def test_an_excluded_professional_cannot_break_the_glass(madeleine, persona_client):
    url = reverse("network:break_glass", args=[madeleine.pk])
    reason = "I insist, this is an emergency for the patient"
    assert persona_client("excluded_pro").post(url, {"reason": reason}).status_code == 404
    assert not AuditEvent.objects.filter(break_glass=True).exists()


def test_an_exact_national_number_offers_emergency_access_only(madeleine, persona_client):
    response = persona_client("liaison_nurse").get(reverse("network:person_list"),
                                                   {"q": "41.03.02-002.44"})
    assert response.context["page"].paginator.count == 0
    assert response.context["hidden_match"] == madeleine
    other = persona_client("liaison_nurse").get(reverse("network:person_list"),
                                                {"q": "Lambert"})
    assert other.context["hidden_match"] is None and other.context["page"].paginator.count == 0
