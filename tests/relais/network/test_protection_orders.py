"""The justice of the peace's order naming an administrator of the person (law of 17 March
2013): recorded dated, by the court, only when it authorises the administrator to exercise
the person's patient rights; ended when the court ends it. What it opens to the
administrator: tests/relais/notifications/test_disclosures.py and rights/test_export.py."""

import pytest
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.network import legal, services
from relais.network.models import MemberKind, ProtectionOrder, Relation, Role

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
    assert f"Court order for Sophie Lambert dated 01/10/2026 ({COURT})" in page


def test_the_form_asks_for_the_court_and_the_orders_date(client, coordinator, madeleine):
    """The field holds the court (a justice of the peace is its judge), named as the order
    names it; the date is the order's."""
    client.force_login(coordinator)
    form = client.get(add_url(madeleine)).context["form"]
    assert (form["court"].label, form["ordered_on"].label) == ("Court", "Order dated")
    assert "e.g. Vredegerecht van het tweede kanton Brussel / Justice de paix du deuxième" in (
        form["court"].help_text)


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


@pytest.mark.parametrize("persona", ["caregiver", "outsider", "excluded_pro", "analyst"])
def test_who_does_not_change_the_record_ends_no_order(persona_client, coordinator, madeleine,
                                                      daughter, persona):
    order = record_order(madeleine, daughter, coordinator)
    lift = reverse("network:protection_order_lift", args=[madeleine.pk, order.pk])
    assert persona_client(persona).post(lift).status_code == 404
    order.refresh_from_db()
    assert order.lifted_on is None
    assert not AuditEvent.objects.filter(action="protection_order.lift").exists()


def test_each_end_button_names_its_order(client, coordinator, madeleine, daughter, member_of):
    """Several orders in force, one button each: a screen reader hears which order the
    button ends (the administrator's name, visually hidden)."""
    record_order(madeleine, daughter, coordinator)
    son = services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Luc Lambert",
                              relation=Relation.CHILD, roles=[Role.FAMILY], actor=coordinator)
    record_order(madeleine, son, coordinator)
    client.force_login(coordinator)
    page = client.get(reverse("network:person_detail", args=[madeleine.pk])).content.decode()
    for name in ("Sophie Lambert", "Luc Lambert"):
        assert (f'Ended by the court<span class="visually-hidden"> (the order naming {name})'
                '</span></button>') in page


def test_only_someone_close_to_the_person_is_told_to_record_an_order(
        client, coordinator, madeleine, daughter, gp, member_of):
    """The order form names only someone close to the person, and the order opens nothing
    to a professional: a professional called administrator gets no warning that could
    never be cleared; a relative does."""
    gp_member = member_of(user=gp)
    for member in (gp_member, daughter):
        services.update_member(member, roles=[*member.role_codes(), Role.ADMINISTRATOR],
                               actor=coordinator)
    members = list(madeleine.members.active().prefetch_related("roles"))
    assert legal.missing_protection_orders(members) == [daughter]
    client.force_login(coordinator)
    page = client.get(reverse("network:person_detail", args=[madeleine.pk])).content.decode()
    assert page.count("is called administrator but no court order") == 1
    assert "Sophie Lambert is called administrator" in page


def record_order(person, member, actor):
    today = timezone.localdate()
    return services.record_protection_order(
        person, administrator=member, court=COURT, ordered_on=today,
        covers_patient_rights=True, starts_on=today, actor=actor)
