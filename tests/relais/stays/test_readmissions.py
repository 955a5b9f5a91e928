"""Readmissions (issue 13): an admission within 30 days of a discharge, in any hospital,
is linked to it and marked planned or unplanned; a cancelled stay never counts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from relais.interop import adt
from relais.stays import services
from relais.stays.models import AdmissionType, Stay
from tests.factories import HospitalFactory
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
        adt.handle(adt_message("A01", admitted="20261101083000"))
        adt.handle(adt_message("A03", control_id="MSG0002", discharged="20261108140000"))
        readmission = adt_message("A01", control_id="MSG0003", visit="V0002",
                                  admitted="20261120083000")
        # PV1-4 (admission type): E, an emergency.
        adt.handle(readmission.replace(b"PV1|1|I|GER^101^1|", b"PV1|1|I|GER^101^1|E"))
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
        adt.handle(adt_message("A01", admitted="20261101083000"))
        adt.handle(adt_message("A03", control_id="MSG0002", discharged="20261108140000"))
        adt.handle(adt_message("A01", control_id="MSG0003", visit="V0002",
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
