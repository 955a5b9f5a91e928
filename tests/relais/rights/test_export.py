"""The readable export (GDPR art. 15): everything held about the person on one printable
page, for whoever may see "who looked at this record", read through the gate, audited."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.followup.watch import record_refusal
from relais.rights import export
from relais.stays.models import Referral
from tests.conftest import login_as
from tests.relais.network import conftest as network_fixtures
from tests.relais.stays import conftest as stay_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay
nursing_service = stay_fixtures.nursing_service


@pytest.fixture
def record(madeleine, stay, coordinator, gp, nursing_service):
    booklet.write(madeleine, author=coordinator, body="Madeleine fell on the stairs")
    Referral.objects.create(
        person=madeleine, stay=stay, service=nursing_service,
        organisation=nursing_service.organisation, sender=coordinator,
        sender_organisation=coordinator.memberships.first().organisation,
        respond_by=timezone.now() + timedelta(days=1), **stay_fixtures.NEEDS)
    record_refusal(madeleine, offered="Meals on wheels", reasons=["cost"], capacity="yes",
                   own_words="Too expensive for me", actor=gp)
    return madeleine


def url(person) -> str:
    return reverse("rights:person_export", args=[person.pk])


def test_the_export_shows_every_kind_of_data_and_is_audited(client, record, stay, coordinator):
    login_as(client, coordinator)
    response = client.get(url(record))
    assert response.status_code == 200
    page = response.content.decode()
    for held in ["Madeleine Lambert", "41.03.02", "Sophie Lambert", "+32 470 00 00 01",
                 "Madeleine fell on the stairs", "Daily wound care and help with washing",
                 "Leg ulcer; lives alone", "Meals on wheels", "Too expensive for me",
                 "Watch since", str(stay.hospital)]:
        assert held in page, held
    event = AuditEvent.objects.get(action=export.EXPORT)
    assert event.person_id == record.pk and event.actor_id == coordinator.pk
    assert event.detail["entries"] == 1 and event.detail["referrals"] == 1
    assert event.detail["stays"] == 1 and event.detail["refusals"] == 1


@pytest.mark.parametrize("name", ["outsider", "analyst", "excluded_pro"])
def test_those_who_may_not_see_the_access_log_get_404_and_nothing_is_recorded(
        client, record, request, name):
    login_as(client, request.getfixturevalue(name))
    assert client.get(url(record)).status_code == 404
    assert not AuditEvent.objects.filter(action=export.EXPORT).exists()


def test_anonymous_is_sent_to_login(client, record):
    response = client.get(url(record))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_access_log_links_to_it(client, record, coordinator):
    login_as(client, coordinator)
    page = client.get(reverse("network:access_log", args=[record.pk])).content.decode()
    assert url(record) in page


def test_its_query_count_does_not_grow_with_the_booklet(client, record, coordinator):
    login_as(client, coordinator)
    client.get(url(record))
    with CaptureQueriesContext(connection) as few:
        client.get(url(record))
    for n in range(5):
        booklet.write(record, author=coordinator, body=f"Note {n}")
    with CaptureQueriesContext(connection) as more:
        page = client.get(url(record)).content.decode()
    assert "Note 4" in page
    assert len(more) == len(few)
