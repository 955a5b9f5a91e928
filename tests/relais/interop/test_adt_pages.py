"""The pages where a hospital's liaison staff match waiting ADT messages to a person."""

from datetime import date

import pytest
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.interop import adt
from relais.network.demo import niss_for
from relais.network.models import Person
from relais.network.services import create_person
from relais.stays.models import AdtMessage, AdtSource, AdtStatus, PatientLink, Stay
from tests.factories import HospitalFactory
from tests.helpers import SIGNED_IN_QUERIES
from tests.relais.interop.test_adt import adt_message, connect_hospital

UNKNOWN_NISS = niss_for(date(1938, 6, 14), "M", 5)


@pytest.fixture
def pending(world):
    """The hospital admitted Jan Peeters, whom Relais does not know yet."""
    connect_hospital(world)
    adt.deliver(adt_message("A01", niss=UNKNOWN_NISS, patient_id="P0042", family="Peeters",
                           given="Jan"))
    return AdtMessage.objects.get(status=AdtStatus.PENDING_MATCH)


@pytest.fixture
def hidden_person(world, coordinator):
    """Kept by the coordination centre, not shared with the hospital."""
    return create_person({"first_name": "Jan", "last_name": "Peeters", "niss": UNKNOWN_NISS,
                          "birth_date": date(1938, 6, 14), "sex": "M"},
                         actor=coordinator, organisation=world.coordination_centre)


def urls(message) -> dict[str, str]:
    return {name: reverse(f"interop:{name}", args=[message.pk])
            for name in ("adt_message", "adt_link", "adt_create_person")}


def nothing_changed(message):
    message.refresh_from_db()
    assert message.status == AdtStatus.PENDING_MATCH
    assert not Stay.objects.exists() and not PatientLink.objects.exists()


# --- who may come in -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, pending):
    for url in [reverse("interop:adt_pending"), *urls(pending).values()]:
        response = client.post(url) if url.endswith(("link/", "person/")) else client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    nothing_changed(pending)


@pytest.mark.parametrize("persona", ["coordinator", "gp", "home_nurse", "outsider"])
def test_users_outside_the_hospital_get_404_and_change_nothing(persona_client, pending,
                                                              persona):
    client = persona_client(persona)
    person_count = Person.objects.count()

    assert client.get(reverse("interop:adt_pending")).status_code == 404
    assert client.get(urls(pending)["adt_message"]).status_code == 404
    assert client.post(urls(pending)["adt_create_person"]).status_code == 404
    assert client.post(urls(pending)["adt_link"], {"person": 1}).status_code == 404
    nothing_changed(pending)
    assert Person.objects.count() == person_count
    assert AuditEvent.objects.filter(action="access.denied",
                                     target_type="stays.adtmessage").count() == 3


def test_the_liaison_nurse_of_another_hospital_gets_404(persona_client, pending, liaison_nurse):
    other = HospitalFactory(name="Other Hospital")
    AdtSource.objects.create(sending_facility="OTHER", hospital=other)
    adt.deliver(adt_message("A01", facility="OTHER", control_id="X1", niss=UNKNOWN_NISS))
    theirs = AdtMessage.objects.get(hospital=other)
    client = persona_client("liaison_nurse")

    assert client.get(urls(theirs)["adt_message"]).status_code == 404
    assert client.post(urls(theirs)["adt_create_person"]).status_code == 404
    assert AdtMessage.objects.get(pk=theirs.pk).status == AdtStatus.PENDING_MATCH


def test_a_message_already_applied_is_not_offered_again(persona_client, pending,
                                                        liaison_nurse):
    adt.create_person_from(pending, liaison_nurse)

    response = persona_client("liaison_nurse").post(urls(pending)["adt_create_person"])

    assert response.status_code == 404
    assert Person.objects.filter(niss=UNKNOWN_NISS).count() == 1


# --- the liaison nurse's work ----------------------------------------------------------


def test_the_list_shows_the_waiting_messages_of_the_nurses_hospital(persona_client, pending,
                                                                    django_assert_num_queries):
    client = persona_client("liaison_nurse")
    client.get(reverse("interop:adt_pending"))  # the session is warm

    # + merges waiting, + what the feed could not apply (the nurse's hospitals come with
    # the request's memberships)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 4):
        response = client.get(reverse("interop:adt_pending"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "PEETERS Jan" in page and "P0042" in page and "Admission" in page
    assert "38.06.14-" in page  # the national number, formatted
    assert urls(pending)["adt_message"] in page


def test_the_search_finds_a_person_the_nurse_may_see_and_links_them(persona_client, pending,
                                                                    liaison_nurse):
    person = create_person({"first_name": "Jan", "last_name": "Peeters", "sex": "M",
                            "niss": UNKNOWN_NISS}, actor=liaison_nurse,
                           organisation=pending.hospital)
    client = persona_client("liaison_nurse")

    page = client.get(urls(pending)["adt_message"]).content.decode()
    assert "Link to this person" in page and f'value="{person.pk}"' in page

    response = client.post(urls(pending)["adt_link"], {"person": person.pk})

    stay = Stay.objects.get(person=person)
    assert response.status_code == 302 and response.url == reverse("stays:stay_detail",
                                                                   args=[stay.pk])
    pending.refresh_from_db()
    assert (pending.status, pending.stay, pending.resolved_by) == (AdtStatus.APPLIED, stay,
                                                                   liaison_nurse)
    assert PatientLink.objects.get(patient_id="P0042").person == person


def test_a_person_the_nurse_may_not_see_is_neither_shown_nor_linkable(persona_client, pending,
                                                                      hidden_person):
    client = persona_client("liaison_nurse")

    page = client.get(urls(pending)["adt_message"]).content.decode()
    assert "Nobody you may see has this national number." in page
    assert f'value="{hidden_person.pk}"' not in page

    response = client.post(urls(pending)["adt_link"], {"person": hidden_person.pk})
    assert response.status_code == 404
    nothing_changed(pending)


def test_the_nurse_creates_the_person_from_the_message(persona_client, pending, liaison_nurse):
    response = persona_client("liaison_nurse").post(urls(pending)["adt_create_person"])

    person = Person.objects.get(niss=UNKNOWN_NISS)
    assert (person.first_name, person.last_name, person.owner_organisation) == (
        "Jan", "Peeters", pending.hospital)
    assert person.created_by == liaison_nurse
    stay = Stay.objects.get(person=person)
    assert response.url == reverse("stays:stay_detail", args=[stay.pk])


def test_creating_a_person_opened_since_links_to_them(persona_client, pending, hidden_person):
    # The coordination centre opened the record after the message came; the nurse cannot
    # find it, and the feed would now match it by national number: so does this button.
    response = persona_client("liaison_nurse").post(urls(pending)["adt_create_person"])

    assert Person.objects.filter(niss=UNKNOWN_NISS).count() == 1
    stay = Stay.objects.get(person=hidden_person)
    assert response.url == reverse("stays:stay_detail", args=[stay.pk])
    assert PatientLink.objects.get(patient_id="P0042").person == hidden_person
