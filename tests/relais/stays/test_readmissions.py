"""Readmissions (issue 13): an admission within 30 days of a discharge, in any hospital,
is linked to it and marked planned or unplanned; a cancelled stay never counts."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from relais.accounts.models import Function
from relais.audit.models import AuditEvent
from relais.followup import contacts, watch
from relais.followup.models import FollowUp, Watch
from relais.interop import adt
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from relais.notifications.models import Notification
from relais.stays import services
from relais.stays.models import AdmissionType, Stay
from tests.conftest import login_as
from tests.factories import HospitalFactory, MembershipFactory, UserFactory
from tests.helpers import SIGNED_IN_QUERIES, statements_planned_each_time, without_tokens
from tests.relais.interop.test_adt import admitted_person, adt_message, connect_hospital

BRUSSELS = ZoneInfo("Europe/Brussels")
DISCHARGED = datetime(2026, 11, 2, 11, 0, tzinfo=BRUSSELS)


@pytest.fixture
def discharged(madeleine, world, liaison_nurse, hospital_consent):
    """Madeleine left the test hospital on 2 November 2026."""
    with time_machine.travel(DISCHARGED - timedelta(days=6), tick=False):
        stay = services.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)
    with time_machine.travel(DISCHARGED, tick=False):
        return services.discharge(stay, actor=liaison_nurse, reason="test")


def admit(person, hospital, actor, *, days, admission_type=""):
    admitted_at = DISCHARGED + timedelta(days=days)
    with time_machine.travel(admitted_at, tick=False):
        return services.open_stay(person, hospital=hospital, actor=actor,
                                  admission_type=admission_type)


def test_an_emergency_admission_12_days_after_discharge_is_an_unplanned_readmission(
        discharged, madeleine, liaison_nurse):
    other = HospitalFactory(name="Clinique Autre")

    stay = admit(madeleine, other, liaison_nurse, days=12,
                 admission_type=AdmissionType.EMERGENCY)

    stay.refresh_from_db()
    assert stay.previous_stay == discharged
    assert stay.readmission_planned is False
    assert stay.readmission_after == discharged
    assert stay.days_after_discharge == 12
    assert list(discharged.readmissions.all()) == [stay]


def test_an_elective_admission_is_a_planned_readmission(discharged, madeleine, world,
                                                        liaison_nurse):
    stay = admit(madeleine, world.hospital, liaison_nurse, days=12,
                 admission_type=AdmissionType.ELECTIVE)

    stay.refresh_from_db()
    assert (stay.previous_stay_id, stay.readmission_planned) == (discharged.pk, True)


def test_31_days_after_discharge_is_not_a_readmission(discharged, madeleine, world,
                                                       liaison_nurse):
    stay = admit(madeleine, world.hospital, liaison_nurse, days=31)

    stay.refresh_from_db()
    assert stay.previous_stay is None
    assert stay.readmission_planned is None
    assert stay.days_after_discharge is None


def test_the_window_is_a_setting(discharged, madeleine, world, liaison_nurse, settings):
    settings.RELAIS_READMISSION_DAYS = 10

    stay = admit(madeleine, world.hospital, liaison_nurse, days=12)

    assert Stay.objects.get(pk=stay.pk).previous_stay is None


def test_a_cancelled_previous_stay_does_not_count(discharged, madeleine, world,
                                                  liaison_nurse):
    services.cancel_admission(discharged, actor=liaison_nurse)

    stay = admit(madeleine, world.hospital, liaison_nurse, days=12)

    assert Stay.objects.get(pk=stay.pk).previous_stay is None


def test_a_cancelled_readmission_no_longer_counts(discharged, madeleine, world, liaison_nurse):
    stay = admit(madeleine, world.hospital, liaison_nurse, days=12)

    services.cancel_admission(stay, actor=liaison_nurse)

    stay.refresh_from_db()
    assert stay.readmission_after is None
    assert not discharged.readmissions.filter(cancelled_at__isnull=True).exists()


def test_hl7_admission_types():
    from relais.stays.readmissions import admission_type_from_hl7

    assert [admission_type_from_hl7(code) for code in ("E", "A", "u", "C", "R", "L", "N",
                                                       "", "Z")] == [
        "emergency", "emergency", "emergency", "elective", "elective", "maternity",
        "maternity", "", ""]


def test_through_the_adt_feed_the_work_list_shows_the_readmission(world, liaison_nurse,
                                                                  client):
    connect_hospital(world)
    person = admitted_person(world, liaison_nurse)
    with time_machine.travel(datetime(2026, 11, 20, 12, 0, tzinfo=BRUSSELS), tick=False):
        adt.deliver(adt_message("A01", admitted="20261101083000"))
        adt.deliver(adt_message("A03", control_id="MSG0002", discharged="20261108140000"))
        readmission = adt_message("A01", control_id="MSG0003", visit="V0002",
                                  admitted="20261120083000")
        # PV1-4 (admission type): E, an emergency.
        adt.deliver(readmission.replace(b"PV1|1|I|GER^101^1|", b"PV1|1|I|GER^101^1|E"))
    client.force_login(liaison_nurse)
    page = client.get(reverse("stays:worklist"), HTTP_ACCEPT_LANGUAGE="en")

    first, second = Stay.objects.filter(person=person).order_by("admitted_at")
    assert (second.previous_stay_id, second.admission_type,
            second.readmission_planned) == (first.pk, "emergency", False)
    assert "Readmission · 12 days after discharge from Hôpital Test · unplanned" in (
        page.content.decode())


def test_a_pre_admission_through_the_feed_is_a_planned_readmission(world, liaison_nurse):
    connect_hospital(world)
    person = admitted_person(world, liaison_nurse)
    with time_machine.travel(datetime(2026, 11, 20, 12, 0, tzinfo=BRUSSELS), tick=False):
        adt.deliver(adt_message("A01", admitted="20261101083000"))
        adt.deliver(adt_message("A03", control_id="MSG0002", discharged="20261108140000"))
        adt.deliver(adt_message("A01", control_id="MSG0003", visit="V0002",
                               admitted="20261120083000", patient_class="P"))

    second = Stay.objects.filter(person=person).latest("admitted_at")
    assert (second.previous_stay is not None, second.admission_type,
            second.readmission_planned) == (True, "", True)


def test_the_stay_page_shows_the_readmission(discharged, madeleine, world, liaison_nurse,
                                             client):
    stay = admit(madeleine, world.hospital, liaison_nurse, days=12,
                 admission_type=AdmissionType.ELECTIVE)

    client.force_login(liaison_nurse)
    page = client.get(reverse("stays:stay_detail", args=[stay.pk])).content.decode()

    assert "Readmission · 12 days after discharge from Hôpital Test · planned" in page
    assert reverse("stays:stay_detail", args=[discharged.pk]) in page


# --- what the follow-up recorded at home, beside the badge ---------------------------------


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=BRUSSELS)


@pytest.fixture
def followed_at_home(discharged, madeleine, gp):
    """After the discharge of 2 November: the GP reached Madeleine on the 4th, found a
    wound infected on the 9th, did not reach her on the 10th; she refused home help that
    day (a watch by the GP, a worried check-in on the 11th)."""
    first, second, third = FollowUp.objects.get(stay=discharged).contacts.order_by("due_on")
    for contact, day, outcome, note in ((first, 4, "reached", "All well"),
                                        (second, 9, "problem", "Wound infected"),
                                        (third, 10, "not_reached", "")):
        with time_machine.travel(at(day), tick=False):
            contacts.record_contact(contact, actor=gp, outcome=outcome, note=note,
                                    expected_version=contact.version)
    with time_machine.travel(at(10, 12), tick=False):
        watch.record_refusal(madeleine, offered="Home help", reasons=["manages"],
                             capacity="yes", actor=gp, own_words="I manage")
    with time_machine.travel(at(11), tick=False):
        watch.check_in(Watch.objects.get(), status="worried", note="Eats little", actor=gp)
    return discharged


def plain(page) -> str:
    """The page's text, tags removed, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", without_tokens(page)).split())


def readmit(madeleine, hospital, liaison_nurse):
    return admit(madeleine, hospital, liaison_nurse, days=12,
                 admission_type=AdmissionType.EMERGENCY)


def test_the_stay_page_shows_what_was_recorded_at_home(followed_at_home, madeleine, world,
                                                       liaison_nurse, client):
    stay = readmit(madeleine, world.hospital, liaison_nurse)

    page = login_as(client, liaison_nurse).get(
        reverse("stays:stay_detail", args=[stay.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = plain(page)

    assert ("At home before this admission: 2 contacts done · 1 problem found · 1 time not "
            "reached · 1 watch · 1 refusal") in text
    assert "Wound infected" in text and "All well" in text
    assert "Last check-in on 11/11/2026: Worried · Eats little The watch" in text
    assert "Refused on 10/11/2026: Home help (Feels they manage alone) · “I manage”" in text
    event = AuditEvent.objects.filter(action="followup.home_record").latest("pk")
    assert (event.actor_id, event.detail["persons"]) == (liaison_nurse.pk, [madeleine.pk])


def test_the_work_list_shows_it_in_constant_queries(followed_at_home, madeleine, world,
                                                    liaison_nurse, gp, client,
                                                    django_assert_num_queries):
    readmit(madeleine, world.hospital, liaison_nurse)
    login_as(client, liaison_nurse)
    client.get(reverse("stays:worklist"))  # statements kept from the first visit
    # Exactly: the rows read only the columns shown (stays/views.py WORKLIST_SHOWN), and
    # a column the page used but did not read would cost a query per row; the list fit
    # in a page at the first visit, so its stays are read whole with the keys, in one
    # statement. The messages waiting, which records at home exist and the header's
    # count: one statement. The wards, kept a minute, not asked again; no referral waits
    # for an answer, so their card asks nothing. The follow-up and the contacts it
    # shows: one statement.
    with django_assert_num_queries(SIGNED_IN_QUERIES + 6):
        page = client.get(reverse("stays:worklist"), HTTP_ACCEPT_LANGUAGE="en")

    text = plain(page)
    assert "Readmission · 12 days after discharge from Hôpital Test · unplanned" in text
    assert "2 contacts done · 1 problem found" in text
    # Each contact with who made it, from the same statement.
    assert text.count(f"· {gp.get_full_name()}") == 3


def test_a_followup_without_a_contact_yet_is_shown_as_such(discharged, madeleine, world,
                                                           liaison_nurse, client):
    """Its planned contacts are not shown: the follow-up comes once, with none."""
    stay = readmit(madeleine, world.hospital, liaison_nurse)
    text = plain(login_as(client, liaison_nurse).get(
        reverse("stays:stay_detail", args=[stay.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert "At home before this admission: 0 contacts done" in text
    assert "No contact was recorded." in text


def test_the_family_sees_the_contacts_not_the_notes_nor_the_watch(followed_at_home,
                                                                  madeleine, world,
                                                                  liaison_nurse, caregiver,
                                                                  client):
    readmit(madeleine, world.hospital, liaison_nurse)

    page = login_as(client, caregiver).get(
        reverse("network:person_detail", args=[madeleine.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = plain(page)

    assert ("At home before this admission: 2 contacts done · 1 problem found · 1 time not "
            "reached") in text
    assert "watch" not in text.split("At home before this admission")[1][:80]
    for secret in ("Wound infected", "Eats little", "Home help", "I manage"):
        assert secret not in text


def test_a_hospital_that_does_not_see_the_person_sees_no_record_at_home(
        followed_at_home, madeleine, coordinator, hospital_consent, client):
    """The consent to share with hospitals withdrawn: the other hospital's staff see their
    own stay, not the person, so nothing of the follow-up."""
    network_services.revoke_consent(hospital_consent, actor=coordinator)
    other = HospitalFactory(name="Clinique Autre")
    nurse = UserFactory(email="other-liaison@test.relais.example")
    MembershipFactory(user=nurse, organisation=other, function=Function.LIAISON_NURSE)
    stay = readmit(madeleine, other, nurse)

    page = login_as(client, nurse).get(reverse("stays:stay_detail", args=[stay.pk]),
                                       HTTP_ACCEPT_LANGUAGE="en")
    text = without_tokens(page)

    assert "Readmission · 12 days after discharge" in text
    assert "contacts done" not in text and "Wound infected" not in text
    assert not AuditEvent.objects.filter(action="followup.home_record", actor=nurse).exists()


def test_the_open_followup_is_told_of_the_readmission(discharged, madeleine, world,
                                                      liaison_nurse, home_nurse):
    """The home nurse (a member in person; the hospital's alert tells only the GP and the
    coordination centre) owns the contacts: she is told; the GP, told already, not twice."""
    network_services.add_member(madeleine, kind=MemberKind.PROFESSIONAL, user=home_nurse,
                                roles=[Role.HOME_NURSE], actor=liaison_nurse)
    followup = FollowUp.objects.get(stay=discharged)
    followup.contacts.update(owner=home_nurse)

    stay = readmit(madeleine, world.hospital, liaison_nurse)

    event = AuditEvent.objects.get(action="followup.readmission")
    assert (event.target_id, event.detail) == (str(followup.pk),
                                               {"stay": stay.pk, "planned": False})
    assert list(Notification.objects.filter(kind="followup.readmitted").values_list(
        "recipient", flat=True)) == [home_nurse.pk]


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="PostgreSQL's cache of prepared statements' plans")
def test_the_work_list_statements_keep_their_plan(followed_at_home, madeleine, world,
                                                  liaison_nurse, client):
    """On PostgreSQL, a statement run at every open of the work list is prepared and its
    plan kept: none is planned again at each execution (a list of ids sent as one array
    made PostgreSQL estimate ten ids, and re-plan the gated read of the follow-ups every
    time: 0.4 ms of the page's database time)."""
    readmit(madeleine, world.hospital, liaison_nurse)
    login_as(client, liaison_nurse)
    for _ in range(12):
        assert "2 contacts done" in plain(client.get(reverse("stays:worklist"),
                                                     HTTP_ACCEPT_LANGUAGE="en"))

    assert statements_planned_each_time() == []


def test_the_person_page_shows_the_readmission_and_the_record_at_home(followed_at_home,
                                                                       madeleine, world,
                                                                       liaison_nurse, gp,
                                                                       client):
    """The stays section is a Jinja2 template: the badge and each feature's part of the
    record at home, whichever language its own template is written in."""
    readmit(madeleine, world.hospital, liaison_nurse)
    text = plain(login_as(client, gp).get(
        reverse("network:person_detail", args=[madeleine.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Readmission · 12 days after discharge from Hôpital Test · unplanned" in text
    assert "At home before this admission: 2 contacts done · 1 problem found" in text
