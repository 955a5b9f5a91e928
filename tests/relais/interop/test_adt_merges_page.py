"""The merges the feed applied, for the hospital's liaison staff: the list, and undoing one
with a confirmation step (docs/adt.md, "Merges"). Nobody else sees them, and a denied
request changes nothing."""

import html

import pytest
from django.urls import reverse

from relais.accounts.models import Function
from relais.audit.models import AuditEvent
from relais.interop.adt.merge import merge_links
from relais.network.services import create_person
from relais.stays.models import PatientLink
from tests.factories import HospitalFactory, MembershipFactory, UserFactory
from tests.helpers import AUDIT_EVENT_QUERIES, SIGNED_IN_QUERIES
from tests.relais.interop.test_adt import admitted_person


@pytest.fixture
def madeleine(world, liaison_nurse):
    return admitted_person(world, liaison_nurse)


def merged(hospital, person, retired="P0001", surviving="P0009", actor=None) -> PatientLink:
    """What an A40 applied: the retired id's link closed into the surviving id."""
    old = PatientLink.objects.create(hospital=hospital, patient_id=retired, person=person)
    merge_links(hospital, old, surviving, person.pk, actor=actor, how="feed")
    old.refresh_from_db()
    return old


@pytest.fixture
def link(world, madeleine):
    return merged(world.hospital, madeleine)


def undo_url(link) -> str:
    return reverse("interop:adt_merge_undo", args=[link.pk])


def nothing_changed(link):
    link.refresh_from_db()
    assert link.merged_into == "P0009"
    assert PatientLink.objects.filter(patient_id="P0009").exists()
    assert not AuditEvent.objects.filter(action="patient_link.unmerge").exists()


# --- the liaison nurse's work ----------------------------------------------------------


def test_the_list_shows_the_merges_of_the_nurses_hospital(persona_client, link, world,
                                                          liaison_nurse):
    merged(world.hospital, link.person, retired="P0100", surviving="P0101", actor=liaison_nurse)

    page = persona_client("liaison_nurse").get(reverse("interop:adt_merges")).content.decode()

    assert page.index("P0100") < page.index("P0001")  # the latest merge first
    assert "LAMBERT Madeleine" in page and "by the feed" in page
    assert f"confirmed by {liaison_nurse.email}" in page
    assert undo_url(link) in page


def test_the_list_read_is_audited_with_the_persons_it_named(persona_client, link,
                                                            liaison_nurse):
    persona_client("liaison_nurse").get(reverse("interop:adt_merges"))

    event = AuditEvent.objects.get(action="patient_link.list")
    assert event.actor == liaison_nurse


def test_the_list_costs_the_same_whatever_the_merges(persona_client, link, world,
                                                     django_assert_num_queries):
    for n in range(10):
        merged(world.hospital, link.person, retired=f"R{n}", surviving=f"S{n}")
    client = persona_client("liaison_nurse")
    client.get(reverse("interop:adt_merges"))  # the session is warm

    # + the page and its count, the persons shown, the read's audit event (the hospitals
    # come with the request's memberships)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 3 + AUDIT_EVENT_QUERIES):
        response = client.get(reverse("interop:adt_merges"))

    assert response.status_code == 200 and "R9" in response.content.decode()


def test_the_nurse_confirms_then_the_merge_is_undone(persona_client, link, liaison_nurse):
    client = persona_client("liaison_nurse")

    page = client.get(undo_url(link)).content.decode()
    assert "Patient id P0001 merged into P0009" in page and "LAMBERT Madeleine" in page
    assert 'name="csrfmiddlewaretoken"' in page
    nothing_changed(link)  # the confirmation page changes nothing

    response = client.post(undo_url(link), follow=True)

    link.refresh_from_db()
    assert (link.merged_into, link.person) == ("", link.person)
    assert not PatientLink.objects.filter(patient_id="P0009").exists()
    undo = AuditEvent.objects.get(action="patient_link.unmerge")
    assert (undo.actor, undo.person_id) == (liaison_nurse, link.person_id)
    assert response.redirect_chain == [(reverse("interop:adt_merges"), 302)]
    assert ("The merge is undone: the hospital's patient ids P0001 and P0009 are linked as "
            "they were before it.") in html.unescape(response.content.decode())


def test_the_confirmation_page_read_is_audited_with_the_person(persona_client, link,
                                                               liaison_nurse):
    persona_client("liaison_nurse").get(undo_url(link))

    read = AuditEvent.objects.get(action="patientlink.read")
    assert (read.actor, read.person_id) == (liaison_nurse, link.person_id)


def test_a_merge_already_undone_is_not_offered_again(persona_client, link):
    client = persona_client("liaison_nurse")
    client.post(undo_url(link))

    assert client.get(undo_url(link)).status_code == 404
    assert client.post(undo_url(link)).status_code == 404


def test_a_person_the_nurse_may_not_see_is_not_named(persona_client, world, coordinator):
    hidden = create_person({"first_name": "Jan", "last_name": "Peeters"}, actor=coordinator,
                           organisation=world.coordination_centre)
    link = merged(world.hospital, hidden)
    client = persona_client("liaison_nurse")

    listing = client.get(reverse("interop:adt_merges")).content.decode()
    confirm = client.get(undo_url(link)).content.decode()

    for page in (listing, confirm):
        assert "Peeters" not in page and "A record you may not see" in page


# --- who may come in -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, link):
    for response in (client.get(reverse("interop:adt_merges")), client.get(undo_url(link)),
                     client.post(undo_url(link))):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    nothing_changed(link)


@pytest.mark.parametrize("persona", ["coordinator", "gp", "home_nurse", "analyst",
                                     "platform_admin", "outsider"])
def test_anyone_outside_the_hospital_gets_404_and_changes_nothing(persona_client, link,
                                                                  persona):
    client = persona_client(persona)

    assert client.get(reverse("interop:adt_merges")).status_code == 404
    assert client.get(undo_url(link)).status_code == 404
    assert client.post(undo_url(link)).status_code == 404
    nothing_changed(link)
    denied = AuditEvent.objects.filter(action="access.denied")
    assert denied.filter(target_type="stays.patientlink").count() == 3


def test_the_liaison_nurse_of_another_hospital_gets_404_and_changes_nothing(client, link):
    other = HospitalFactory(name="Other Hospital")
    theirs = UserFactory(email="other@test.relais.example")
    MembershipFactory(user=theirs, organisation=other, function=Function.LIAISON_NURSE)
    client.force_login(theirs)

    listing = client.get(reverse("interop:adt_merges"))

    assert listing.status_code == 200 and "P0001" not in listing.content.decode()
    assert client.get(undo_url(link)).status_code == 404
    assert client.post(undo_url(link)).status_code == 404
    nothing_changed(link)
