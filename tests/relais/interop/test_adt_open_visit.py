"""An A01 (or A04) for a visit Relais already admitted: the same message again is a
duplicate; with a new control id it updates the open stay as an A08 would, never opens a
second stay, never reopens a discharged one, and never undoes a later message
(docs/adt.md, "Event by event")."""

from datetime import date

import pytest

from relais.interop import adt
from relais.stays.models import AdtMessage, AdtStatus, Stay
from tests.factories import WardFactory
from tests.relais.interop.test_adt import (
    admitted_person,
    adt_message,
    brussels,
    connect_hospital,
    msa,
    only_stay,
)


@pytest.fixture
def person(world, liaison_nurse):
    return admitted_person(connect_hospital(world), liaison_nurse)


@pytest.fixture
def cardiology(world):
    return WardFactory(organisation=world.hospital, name="Cardiology", code="CAR")


def test_the_same_a01_again_is_a_duplicate(person):
    first = adt.deliver(adt_message("A01"))

    assert adt.deliver(adt_message("A01")) == first
    assert AdtMessage.objects.count() == 1


def test_an_a01_with_a_new_control_id_updates_the_open_stay(person, cardiology):
    adt.deliver(adt_message("A01"))

    answer = adt.deliver(adt_message("A01", control_id="MSG0002", ward="CAR",
                                    admitted="20260310090000", expected="20260321"))

    code, _, text = msa(answer)
    assert code == "AA"
    assert text == ("Already admitted: stay updated (admission time, expected "
                    "discharge, ward).")
    stay = only_stay(person)
    assert (stay.ward, stay.admitted_at, stay.expected_discharge_on) == (
        cardiology, brussels("20260310090000"), date(2026, 3, 21))
    assert AdtMessage.objects.get(control_id="MSG0002").status == AdtStatus.APPLIED


def test_an_a01_sent_again_with_nothing_new_says_so(person):
    adt.deliver(adt_message("A01"))

    answer = adt.deliver(adt_message("A01", control_id="MSG0002"))

    assert msa(answer)[::2] == ("AA", "Already admitted: nothing to change.")
    assert Stay.objects.count() == 1


def test_an_older_a01_replayed_after_a_transfer_does_not_move_the_patient_back(
        person, cardiology):
    adt.deliver(adt_message("A01", ward="GER"))
    adt.deliver(adt_message("A02", control_id="MSG0002", ward="CAR",
                           event_time="20260311100000"))

    answer = adt.deliver(adt_message("A01", control_id="MSG0003", ward="GER",
                                    expected="20260330"))

    assert msa(answer)[::2] == ("AA", "Already admitted; a later message was applied: "
                                      "nothing changed.")
    stay = only_stay(person)
    assert (stay.ward, stay.expected_discharge_on) == (cardiology, None)
    assert AdtMessage.objects.get(control_id="MSG0003").status == AdtStatus.IGNORED


def test_an_a01_for_a_discharged_visit_does_not_reopen_it(person):
    adt.deliver(adt_message("A01"))
    adt.deliver(adt_message("A03", control_id="MSG0002", discharged="20260318140000"))

    answer = adt.deliver(adt_message("A01", control_id="MSG0003", admitted="20260309080000"))

    assert msa(answer)[::2] == ("AA", "Visit already discharged: an admission does not "
                                      "reopen it (send A13).")
    stay = only_stay(person)
    assert stay.discharged_at == brussels("20260318140000")
    assert stay.admitted_at == brussels("20260310083000")


def test_an_a04_for_an_admitted_visit_follows_the_same_rule(person, cardiology):
    adt.deliver(adt_message("A01"))

    answer = adt.deliver(adt_message("A04", control_id="MSG0002", ward="CAR"))

    assert msa(answer)[::2] == ("AA", "Already admitted: stay updated (ward).")
    assert only_stay(person).ward == cardiology


def test_the_first_a01_after_a_pre_admission_still_completes_it(person):
    adt.deliver(adt_message("A05", patient_class="P", admitted="20260325093000"))

    answer = adt.deliver(adt_message("A01", control_id="MSG0002", admitted="20260325094500"))

    assert msa(answer)[0] == "AA"
    assert only_stay(person).admitted_at == brussels("20260325094500")
    assert "Already admitted" not in msa(answer)[2]


def test_two_admissions_applied_in_one_batch_follow_the_same_rule(person, cardiology):
    """The applier takes both in one transaction: the second still sees the first."""
    adt.handle(adt_message("A01"))
    adt.handle(adt_message("A01", control_id="MSG0002", ward="CAR"))

    adt.drain()

    assert Stay.objects.count() == 1 and only_stay(person).ward == cardiology
    second = AdtMessage.objects.get(control_id="MSG0002")
    assert msa(second.result.encode())[::2] == ("AA", "Already admitted: stay updated (ward).")
