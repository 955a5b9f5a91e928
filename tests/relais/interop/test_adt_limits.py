"""What the ADT feed writes fits what Relais keeps (issue 12): a hospital's over-long names,
visit numbers and patient ids are cut to the field (the feed is foreign, and a stay must
not be lost for a long name), impossible dates are dropped or refused with a reason, and
the largest message the listener accepts is stored whole. Never a database error."""

from datetime import date

import pytest

from relais.interop import adt
from relais.network.demo import niss_for
from relais.stays.models import AdtMessage, AdtStatus, PatientLink, Stay
from tests.relais.interop import test_adt as adt_tests
from tests.relais.interop.test_adt import adt_message, msa

pytestmark = pytest.mark.django_db

feed = adt_tests.feed
person = adt_tests.person

UNKNOWN_NISS = niss_for(date(1938, 6, 14), "M", 5)


def test_over_long_names_ids_and_visit_numbers_are_cut_to_the_field(feed, liaison_nurse):
    raw = adt_message("A01", niss=UNKNOWN_NISS, family="L" * 300, given="M" * 300,
                      patient_id="P" * 300, visit="V" * 300)

    assert msa(adt.deliver(raw))[0] == "AA"
    person = adt.create_person_from(AdtMessage.objects.get(), liaison_nurse)

    assert (person.last_name, person.first_name) == ("L" * 100, "M" * 100)
    assert PatientLink.objects.get().patient_id == "P" * 80
    assert Stay.objects.get(person=person).visit_number == "V" * 40


@pytest.mark.parametrize("birth_date", ["10000101", "20991231"])
def test_an_impossible_birth_date_is_not_used_and_says_so(feed, liaison_nurse, birth_date):
    raw = adt_message("A01", niss="", patient_id="P0777").replace(
        b"||19410302|F", f"||{birth_date}|F".encode())

    assert msa(adt.deliver(raw))[0] == "AA"
    message = AdtMessage.objects.get()
    person = adt.create_person_from(message, liaison_nurse)

    assert person.birth_date is None
    assert f"Birth date {birth_date[:4]}-" in message.problem
    assert "is not plausible: not used." in message.problem


def test_an_admission_before_2000_is_refused_with_the_window(feed, person):
    answer = adt.deliver(adt_message("A01", admitted="19990101083000"))

    code, _, text = msa(answer)
    assert code == "AE"
    assert "Enter a date between 01/01/2000 and" in text
    assert AdtMessage.objects.get().status == AdtStatus.REJECTED
    assert not Stay.objects.exists()


def test_the_raw_message_keeps_what_the_listener_accepts():
    assert AdtMessage._meta.get_field("raw").max_length == adt.MAX_MESSAGE_BYTES


def test_the_largest_message_accepted_is_stored_whole(feed, person):
    head = adt_message() + b"NTE|1||"
    raw = head + b"x" * (adt.MAX_MESSAGE_BYTES - len(head) - 1) + b"\r"
    assert len(raw) == adt.MAX_MESSAGE_BYTES

    assert msa(adt.deliver(raw))[0] == "AA"

    assert len(AdtMessage.objects.get().raw) == adt.MAX_MESSAGE_BYTES
    assert Stay.objects.filter(person=person).exists()
