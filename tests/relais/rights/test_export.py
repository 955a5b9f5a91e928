"""The readable export (GDPR art. 15): everything held about the person on one printable
page, for whoever may see "who looked at this record", read through the gate, audited."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import consultations, emergency
from relais.booklet import services as booklet
from relais.followup.models import SignalKind, Watch, WatchSignal
from relais.followup.watch import record_refusal
from relais.network.models import Person
from relais.notifications.models import Notification
from relais.rights import export
from relais.stays import screening, transfer
from relais.stays.models import PatientLink, Referral, ReferralEvent, ReferralStatus
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


# A screening's answers: one says she lives alone, one (restricted) a violence concern.
SOCIAL = {"living": "alone", "caregiver": "yes", "contacts": "weekly", "network": "yes",
          "psychosocial": "no", "cognition": "no", "housing": "ready", "finances": "no",
          "language": "yes", "refusal": "no", "dependants": "no", "priority": "no",
          "violence": "suspected"}


@pytest.fixture
def hospital_record(record, stay, liaison_nurse, coordinator, world):
    """What the hospital adds: a screening, a saved transfer note, its patient number;
    and the network's note for the admission, a printed emergency sheet, a signal."""
    screening.record_screening(stay, "relais-social", SOCIAL, actor=liaison_nurse,
                               organisation=stay.hospital)
    transfer.save_version(stay, actor=liaison_nurse)
    transfer.save_brief(record, "Hard of hearing: speak on her left side", actor=coordinator)
    PatientLink.objects.create(hospital=world.hospital, patient_id="P-4410", person=record)
    emergency.save_sheet(record, {"conditions": "Heart failure", "allergies": "Penicillin"},
                         actor=coordinator)
    emergency.save_sheet(record, {"allergies": "Penicillin, latex"}, actor=coordinator)
    emergency.record_print(record, actor=coordinator)
    WatchSignal.objects.create(watch=Watch.objects.get(person=record), at=timezone.now(),
                               kind=SignalKind.READMISSION)
    return record


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


def test_the_new_sections_show_what_the_reader_may_open_elsewhere(
        client, hospital_record, coordinator):
    login_as(client, coordinator)
    page = client.get(url(hospital_record)).content.decode()
    for held in ["Lives alone", "Hard of hearing: speak on her left side", "version 1, saved",
                 "Heart failure", "Penicillin, latex", "printed on", "Readmitted to hospital",
                 "Social"]:
        assert held in page, held
    # The coordination centre reads the transfer note's social sections, not the medical
    # ones; the hospital's patient numbers and restricted findings are the hospital's.
    assert "Medical" not in page and "P-4410" not in page
    assert "Domestic-violence concern" not in page
    event = AuditEvent.objects.get(action=export.EXPORT)
    assert {name: event.detail[name] for name in [
        "screenings", "transfer_notes", "admission_brief", "patient_links", "sheet",
        "earlier_sheets", "sheet_prints"]} == {
        "screenings": 1, "transfer_notes": 1, "admission_brief": 1, "patient_links": 0,
        "sheet": 1, "earlier_sheets": 1, "sheet_prints": 1}


def test_the_hospital_reads_its_patient_numbers_and_every_section(
        client, hospital_record, liaison_nurse):
    login_as(client, liaison_nurse)
    page = client.get(url(hospital_record)).content.decode()
    for held in ["P-4410", "Medical", "Domestic-violence concern"]:
        assert held in page, held
    assert AuditEvent.objects.get(action=export.EXPORT).detail["patient_links"] == 1


def test_the_reader_sees_only_their_own_notifications(client, record, coordinator, gp):
    Notification.objects.create(recipient=coordinator, kind="booklet.alert", person=record,
                                params={"author": "GP Test"})
    Notification.objects.create(recipient=gp, kind="booklet.alert", person=record,
                                params={"author": "Somebody Else"})
    login_as(client, coordinator)
    client.get(url(record))
    assert AuditEvent.objects.get(action=export.EXPORT).detail["notifications"] == (
        Notification.objects.filter(recipient=coordinator, person=record).count())


def add_one_of_each(record, stay, *, coordinator, liaison_nurse, gp, n):
    """A row of every kind the page lists, and of each kind its rows list."""
    booklet.write(record, author=coordinator, body=f"Note {n}")
    screening.record_external(stay, f"ISAR {n}", "3", date(2026, 11, 20),
                              actor=liaison_nurse, organisation=stay.hospital)
    transfer.save_version(stay, actor=liaison_nurse)
    emergency.save_sheet(record, {"conditions": f"Condition {n}"}, actor=coordinator)
    emergency.record_print(record, actor=coordinator)
    PatientLink.objects.create(hospital=stay.hospital, patient_id=f"P-{n}", person=record)
    ReferralEvent.objects.create(referral=Referral.objects.get(person=record),
                                 status=ReferralStatus.SENT)
    WatchSignal.objects.create(watch=Watch.objects.get(person=record), at=timezone.now(),
                               kind=SignalKind.BOOKLET_ALERT)
    Notification.objects.create(recipient=coordinator, kind="booklet.alert", person=record)
    asked = consultations.ask(record, question=f"Question {n}?", choices=["Yes", "No"],
                              deadline=timezone.now() + timedelta(days=2),
                              members=[record.members.get(user=gp)], actor=coordinator,
                              organisation=coordinator.memberships.first().organisation)
    consultations.answer(asked.invitations.get(), choice="Yes", answered_as="GP Test",
                         actor=gp)


@pytest.mark.parametrize("reader", ["coordinator", "liaison_nurse"])
def test_its_query_count_does_not_grow_with_the_record(
        client, record, stay, coordinator, liaison_nurse, gp, request, reader):
    people = {"coordinator": coordinator, "liaison_nurse": liaison_nurse, "gp": gp}
    add_one_of_each(record, stay, n=0, **people)
    login_as(client, request.getfixturevalue(reader))
    client.get(url(record))
    with CaptureQueriesContext(connection) as few:
        client.get(url(record))
    for n in range(1, 4):
        add_one_of_each(record, stay, n=n, **people)
    with CaptureQueriesContext(connection) as more:
        page = client.get(url(record)).content.decode()
    # The hospital reads its patient numbers; the network, the consultations.
    shown = {"coordinator": "Question 3?", "liaison_nurse": "P-3"}[reader]
    assert "Note 3" in page and "ISAR 3" in page and shown in page
    assert len(more) == len(few)


# --- every kind of data has a decision ---------------------------------------------------


def about_a_person() -> set[str]:
    """Every concrete model whose rows point at a person: a foreign key to the person, or
    to a model that does (a check-in → its watch → the person), at any depth."""
    found = {Person}
    models_ = [m for m in apps.get_models() if not (m._meta.abstract or m._meta.proxy)]
    grew = True
    while grew:
        grew = False
        for model in models_:
            if model not in found and any(
                    isinstance(field, models.ForeignKey) and field.related_model in found
                    for field in model._meta.concrete_fields):
                found.add(model)
                grew = True
    return {model._meta.label_lower for model in found - {Person}}


def test_every_model_about_a_person_is_shown_or_left_out_for_a_reason():
    held = about_a_person()
    assert "stays.screening" in held and "followup.escalation" in held  # the walk works
    undecided = held - export.SHOWN_IN.keys() - export.NOT_SHOWN.keys()
    assert not undecided, (
        f"{sorted(undecided)}: show them in rights/export.py gather() (SHOWN_IN), or say "
        "in NOT_SHOWN why the person's copy of their data leaves them out")
    assert not export.SHOWN_IN.keys() & export.NOT_SHOWN.keys()
    assert (export.SHOWN_IN.keys() | export.NOT_SHOWN.keys()) <= held, "a stale entry"
    assert all(reason for reason in export.NOT_SHOWN.values())


def test_each_shown_model_names_a_section_of_the_page(db, madeleine, coordinator):
    sections = export.gather(coordinator, madeleine)
    assert set(export.SHOWN_IN.values()) <= sections.keys()
