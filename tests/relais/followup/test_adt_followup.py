"""Through the ADT feed: A01 then A03 for a person starts the follow-up, its contacts owned
by the GP (the relay when nobody at the hospital owns the plan)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from relais.access.models import ConsentScope
from relais.followup.models import Channel, ContactStatus, FollowUp
from relais.interop import adt
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from tests.conftest import login_as
from tests.relais.interop.test_adt import admitted_person, adt_message, connect_hospital, msa

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 12, 14, 9, 0, tzinfo=BRUSSELS),
                             tick=False) as traveller:
        yield traveller


@pytest.fixture
def person(world, liaison_nurse, gp):
    connect_hospital(world)
    person = admitted_person(world, liaison_nurse)
    network_services.record_consent(person, scope=ConsentScope.NETWORK, given_by="herself",
                                    given_on=date(2026, 11, 1), actor=liaison_nurse)
    network_services.add_member(person, kind=MemberKind.PROFESSIONAL, user=gp,
                                roles=[Role.GP], actor=liaison_nurse)
    return person


def admit_and_discharge(clock):
    adt.handle(adt_message("A01", admitted="20261214083000", event_time="20261214083500"))
    clock.move_to(datetime(2026, 12, 18, 14, 5, tzinfo=BRUSSELS))
    return adt.handle(adt_message("A03", control_id="MSG0002", admitted="20261214083000",
                                  discharged="20261218140000", event_time="20261218140500",
                                  disposition="01"))


def test_a01_then_a03_starts_the_followup_owned_by_the_gp(person, clock, gp, world):
    answer = admit_and_discharge(clock)

    assert msa(answer)[0] == "AA"
    followup = FollowUp.objects.get(person=person)
    assert (followup.stay.hospital, followup.started_on) == (world.hospital, date(2026, 12, 18))
    planned = list(followup.contacts.order_by("due_on"))
    assert [(c.due_on, c.channel, c.owner, c.status) for c in planned] == [
        (date(2026, 12, 22), Channel.PHONE, gp, ContactStatus.PLANNED),
        (date(2026, 12, 25), Channel.VISIT, gp, ContactStatus.PLANNED),
        (date(2027, 1, 17), Channel.PHONE, gp, ContactStatus.PLANNED)]


def test_the_gp_finds_it_on_the_persons_page(person, clock, gp):
    admit_and_discharge(clock)
    contact = FollowUp.objects.get(person=person).contacts.order_by("due_on").first()

    page = login_as(_client(), gp).get(reverse("network:person_detail", args=[person.pk]))

    assert reverse("followup:contact_record", args=[contact.pk]) in page.content.decode()


def test_a_repeated_discharge_keeps_one_followup(person, clock):
    admit_and_discharge(clock)
    adt.handle(adt_message("A13", control_id="MSG0003", event_time="20261218150000"))
    adt.handle(adt_message("A03", control_id="MSG0004", admitted="20261214083000",
                           discharged="20261218160000", event_time="20261218160500",
                           disposition="01"))

    followup = FollowUp.objects.get(person=person)
    assert followup.contacts.count() == 3


def _client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_without_an_owner_the_hospital_keeping_the_record_sees_it(world, liaison_nurse, clock):
    connect_hospital(world)
    person = admitted_person(world, liaison_nurse)  # no network, no consent to share
    admit_and_discharge(clock)

    followup = FollowUp.objects.get(person=person)
    assert {(c.owner, c.owner_organisation) for c in followup.contacts.all()} == {(None, None)}
    page = login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), liaison_nurse).get(
        reverse("followup:followup_detail", args=[followup.pk]))
    assert page.content.decode().count("No owner: the hospital should choose one") == 3
