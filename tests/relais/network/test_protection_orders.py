"""The justice of the peace's order naming an administrator of the person (law of 17 March
2013): recorded dated, by the court, only when it authorises the administrator to exercise
the person's patient rights; ended when the court ends it. What it opens to the
administrator: tests/relais/notifications/test_disclosures.py and rights/test_export.py."""

import pytest
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.network import services
from relais.network.models import ProtectionOrder, Role

pytestmark = pytest.mark.django_db

COURT = "Justice of the peace, 2nd canton of Brussels"


@pytest.fixture
def daughter(member_of):
    return member_of(name="Sophie Lambert")


def order_form(member, **changes):
    data = {"administrator": member.pk, "court": COURT, "ordered_on": "2026-10-01",
            "covers_patient_rights": "on", "starts_on": "2026-10-01", "ends_on": ""}
    return {k: v for k, v in (data | changes).items() if v is not None}


def add_url(person) -> str:
    return reverse("network:protection_order_add", args=[person.pk])


def test_an_order_is_recorded_and_the_member_becomes_administrator(client, coordinator,
                                                                   madeleine, daughter):
    client.force_login(coordinator)
    assert client.post(add_url(madeleine), order_form(daughter)).status_code == 302
    order = ProtectionOrder.objects.get()
    assert (order.administrator, order.court, order.in_force) == (daughter, COURT, True)
    assert Role.ADMINISTRATOR in daughter.role_codes()
    assert AuditEvent.objects.filter(action="protection_order.create",
                                     person_id=madeleine.pk).exists()
    page = client.get(reverse("network:person_detail", args=[madeleine.pk])).content.decode()
    assert f"Court order for Sophie Lambert of 01/10/2026 ({COURT})" in page


@pytest.mark.parametrize(("changes", "message"), [
    ({"covers_patient_rights": None}, "Record only an order that authorises the administrator"),
    ({"court": ""}, "This field is required"),
    ({"starts_on": "2026-09-01"}, "cannot be in force before it was given"),
    ({"ends_on": "2026-10-31", "starts_on": "2026-11-01"}, "cannot end before it is in force"),
])
def test_an_incomplete_order_is_refused(client, coordinator, madeleine, daughter, changes,
                                        message):
    client.force_login(coordinator)
    response = client.post(add_url(madeleine), order_form(daughter, **changes))
    assert response.status_code == 200 and message in response.content.decode()
    assert not ProtectionOrder.objects.exists()


def test_only_someone_close_to_the_person_can_be_named(client, coordinator, madeleine, gp,
                                                       member_of):
    client.force_login(coordinator)
    response = client.post(add_url(madeleine), order_form(member_of(user=gp)))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ProtectionOrder.objects.exists()


@pytest.mark.parametrize("persona", ["caregiver", "outsider", "excluded_pro", "analyst"])
def test_who_does_not_change_the_record_records_no_order(persona_client, madeleine, daughter,
                                                         persona):
    response = persona_client(persona).post(add_url(madeleine), order_form(daughter))
    assert response.status_code == 404
    assert not ProtectionOrder.objects.exists()


def test_the_person_page_asks_for_the_order_and_ends_it(client, coordinator, madeleine,
                                                        daughter):
    services.update_member(daughter, roles=[Role.ADMINISTRATOR], actor=coordinator)
    client.force_login(coordinator)
    person_page = reverse("network:person_detail", args=[madeleine.pk])
    missing = "Sophie Lambert is called administrator but no court order authorising"
    assert missing in client.get(person_page).content.decode()
    today = timezone.localdate()
    order = services.record_protection_order(
        madeleine, administrator=daughter, court=COURT, ordered_on=today,
        covers_patient_rights=True, starts_on=today, actor=coordinator)
    assert missing not in client.get(person_page).content.decode()
    lift = reverse("network:protection_order_lift", args=[madeleine.pk, order.pk])
    assert client.post(lift).status_code == 302
    order.refresh_from_db()
    assert order.lifted_on == today and not order.in_force
    assert missing in client.get(person_page).content.decode()
    assert client.post(lift).status_code == 404  # ended once
    assert AuditEvent.objects.filter(action="protection_order.lift").count() == 1
