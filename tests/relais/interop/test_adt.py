"""The HL7 v2 ADT feed through `adt.handle`: each event, versions 2.3–2.5, duplicates,
events out of order, unmatched patients, malformed input and a failing commit."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import hl7
import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from relais.audit import sealing, verification
from relais.audit.models import AuditEvent
from relais.interop import adt
from relais.interop.adt import processing
from relais.interop.mllp import Frame
from relais.network.demo import niss_for
from relais.network.services import create_person
from relais.stays.models import AdtMessage, AdtSource, AdtStatus, PatientLink, Stay, StaySource
from tests.factories import WardFactory


def assert_audit_log_sealed_intact() -> None:
    """The group's events are sealed like any others, and verify finds nothing."""
    sealing.seal(grace=timedelta(0))
    assert list(verification.verify_batches()) == []


BRUSSELS = ZoneInfo("Europe/Brussels")
NISS = niss_for(date(1941, 3, 2), "F", 17)
FACILITY = "CHU-TEST"


def adt_message(event="A01", *, control_id="MSG0001", version="2.5", facility=FACILITY,
                niss=NISS, patient_id="P0001", visit="V0001", ward="GER", patient_class="I",
                admitted="20260310083000", discharged="", expected="", disposition="",
                event_time="20260310083500", family="Lambert", given="Madeleine",
                segments=("MSH", "EVN", "PID", "PV1", "PV2"), separator="\r") -> bytes:
    """An ADT message as a Belgian hospital system sends it (fictional patient)."""
    identifiers = [f"{patient_id}^^^CHU^PI" if patient_id else "",
                   f"{niss}^^^BE^NN" if niss else ""]
    pv1 = ["PV1", "1", patient_class, f"{ward}^101^1" if ward else ""] + [""] * 42
    pv1[19], pv1[36], pv1[44], pv1[45] = visit, disposition, admitted, discharged
    pv2 = ["PV2"] + [""] * 9
    pv2[9] = expected
    built = {
        "MSH": f"MSH|^~\\&|HIS|{facility}|RELAIS|RELAIS|{event_time}||ADT^{event}^ADT_A01|"
               f"{control_id}|P|{version}",
        "EVN": f"EVN|{event}|{event_time}",
        "PID": f"PID|1||{'~'.join(filter(None, identifiers))}||{family}^{given}||19410302|F",
        "PV1": "|".join(pv1),
        "PV2": "|".join(pv2),
    }
    return (separator.join(built[name] for name in segments) + separator).encode()


def brussels(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=BRUSSELS)


def ack_of(answer: bytes) -> hl7.Message:
    return hl7.parse(answer.decode("ascii"))


def msa(answer: bytes) -> tuple[str, str, str]:
    segment = ack_of(answer).segment("MSA")
    return str(segment(1)), str(segment(2)), str(segment(3)) if len(segment) > 3 else ""


def connect_hospital(world):
    """The hospital sends as CHU-TEST; its geriatrics ward's code is GER."""
    world.ward.code = "GER"
    world.ward.save()
    AdtSource.objects.create(sending_facility=FACILITY, hospital=world.hospital)
    return world


def admitted_person(world, actor):
    """Madeleine Lambert, known to Relais with her national number (NISS)."""
    return create_person({"first_name": "Madeleine", "last_name": "Lambert",
                          "birth_date": date(1941, 3, 2), "sex": "F", "niss": NISS},
                         actor=actor, organisation=world.hospital)


@pytest.fixture
def feed(world):
    return connect_hospital(world)


@pytest.fixture
def person(feed, liaison_nurse):
    return admitted_person(feed, liaison_nurse)


@pytest.fixture
def cardiology(feed):
    return WardFactory(organisation=feed.hospital, name="Cardiology", code="CAR")


def only_stay(person) -> Stay:
    return Stay.objects.get(person=person)


# --- each event ------------------------------------------------------------------------


def test_a01_is_stored_and_acknowledged_then_the_applier_opens_the_stay(feed, person):
    answer = adt.handle(adt_message("A01", expected="20260320"))

    assert msa(answer) == ("AA", "MSG0001", "Stored; it will be applied in order.")
    message = AdtMessage.objects.get()
    assert (message.status, message.lane) == (AdtStatus.RECEIVED, f"{feed.hospital.pk}:P0001")
    assert message.ack.encode() == answer and message.result == ""
    assert not Stay.objects.exists()

    assert adt.drain() == 1

    stay = only_stay(person)
    assert (stay.hospital, stay.ward, stay.visit_number) == (feed.hospital, feed.ward, "V0001")
    assert stay.admitted_at == brussels("20260310083000")
    assert stay.expected_discharge_on == date(2026, 3, 20)
    assert stay.source == StaySource.HL7 and stay.is_open
    message.refresh_from_db()
    assert (message.status, message.stay, message.event) == (AdtStatus.APPLIED, stay, "A01")
    assert message.sender == "HIS^CHU-TEST" and message.control_id == "MSG0001"
    assert message.ack.encode() == answer  # what was sent stays as it was
    assert msa(message.result.encode())[:2] == ("AA", "MSG0001")
    assert message.raw == adt_message("A01", expected="20260320").decode()
    assert PatientLink.objects.get().person == person


def test_the_ack_swaps_sender_and_receiver_and_has_its_own_control_id(feed, person):
    msh = ack_of(adt.deliver(adt_message("A01"))).segment("MSH")

    assert [str(msh(n)) for n in (3, 4, 5, 6)] == ["RELAIS", "RELAIS", "HIS", FACILITY]
    assert str(msh(9)) == "ACK^A01^ACK"
    assert str(msh(10)).startswith("RELAIS") and str(msh(10)) != "MSG0001"
    assert [str(msh(11)), str(msh(12))] == ["P", "2.5"]


def test_a02_moves_the_stay_to_another_ward(feed, person, cardiology):
    adt.deliver(adt_message("A01"))
    answer = adt.deliver(adt_message("A02", control_id="MSG0002", ward="CAR"))

    assert msa(answer)[0] == "AA"
    assert only_stay(person).ward == cardiology


def test_a02_to_an_unknown_ward_leaves_the_ward_empty_and_says_so(feed, person):
    adt.deliver(adt_message("A01"))
    answer = adt.deliver(adt_message("A02", control_id="MSG0002", ward="XYZ"))

    assert msa(answer)[0] == "AA"
    assert only_stay(person).ward is None
    assert "Ward 'XYZ' (PV1-3) is not a ward" in AdtMessage.objects.get(
        control_id="MSG0002").problem


def test_a03_discharges_with_time_and_destination(feed, person):
    adt.deliver(adt_message("A01"))
    answer = adt.deliver(adt_message("A03", control_id="MSG0002", discharged="20260318140000",
                                    disposition="01"))

    assert msa(answer)[0] == "AA"
    stay = only_stay(person)
    assert stay.discharged_at == brussels("20260318140000")
    assert stay.destination == "home"


def test_a08_updates_the_expected_discharge_and_the_ward(feed, person, cardiology):
    adt.deliver(adt_message("A01"))
    answer = adt.deliver(adt_message("A08", control_id="MSG0002", ward="CAR",
                                    expected="20260325"))

    assert msa(answer)[0] == "AA"
    stay = only_stay(person)
    assert (stay.ward, stay.expected_discharge_on) == (cardiology, date(2026, 3, 25))


def test_a11_cancels_the_admission(feed, person):
    adt.deliver(adt_message("A01"))
    answer = adt.deliver(adt_message("A11", control_id="MSG0002"))

    assert msa(answer)[0] == "AA"
    assert only_stay(person).cancelled_at is not None


def test_a13_cancels_the_discharge(feed, person):
    adt.deliver(adt_message("A01"))
    adt.deliver(adt_message("A03", control_id="MSG0002", discharged="20260318140000"))
    answer = adt.deliver(adt_message("A13", control_id="MSG0003"))

    assert msa(answer)[0] == "AA"
    assert only_stay(person).is_open


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1"])
@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
def test_versions_and_segment_separators_that_hospitals_send(feed, person, version,
                                                             separator):
    answer = adt.deliver(adt_message("A01", version=version, separator=separator))

    assert msa(answer)[0] == "AA"
    assert only_stay(person).visit_number == "V0001"


def test_a_national_number_in_pid_19_is_found_too(feed, person):
    raw = adt_message("A01", niss="").replace(b"||19410302|F", b"||19410302|F" + b"|" * 11
                                              + NISS.encode())
    assert msa(adt.deliver(raw))[0] == "AA"
    assert only_stay(person).visit_number == "V0001"


def test_the_hospital_patient_id_finds_the_person_once_linked(feed, person):
    adt.deliver(adt_message("A01"))
    answer = adt.deliver(adt_message("A03", control_id="MSG0002", niss=""))

    assert msa(answer)[0] == "AA"
    assert only_stay(person).discharged_at is not None


def test_an_event_relais_does_not_follow_is_kept_and_acknowledged(feed, person):
    answer = adt.deliver(adt_message("A60"))

    assert msa(answer) == ("AA", "MSG0001", "Event 'A60' is not used by Relais.")
    assert AdtMessage.objects.get().status == AdtStatus.IGNORED
    assert not Stay.objects.exists()


def test_an_outpatient_visit_is_kept_and_not_used(feed, person):
    answer = adt.deliver(adt_message("A01", patient_class="O"))

    assert msa(answer)[0] == "AA"
    assert AdtMessage.objects.get().status == AdtStatus.IGNORED
    assert not Stay.objects.exists()


# --- duplicates and order --------------------------------------------------------------


def test_a_repeated_control_id_returns_the_original_ack_and_changes_nothing(feed, person,
                                                                          cardiology):
    first = adt.deliver(adt_message("A01"))
    adt.deliver(adt_message("A02", control_id="MSG0002", ward="CAR"))

    again = adt.deliver(adt_message("A01"))

    assert again == first
    assert only_stay(person).ward == cardiology
    assert AdtMessage.objects.count() == 2


def test_the_same_control_id_from_another_sender_is_another_message(feed, person):
    AdtSource.objects.create(sending_facility="CHU-SITE2", hospital=feed.hospital)
    adt.deliver(adt_message("A01"))

    answer = adt.deliver(adt_message("A03", facility="CHU-SITE2", discharged="20260312100000"))

    assert msa(answer)[0] == "AA"
    assert AdtMessage.objects.count() == 2
    assert only_stay(person).discharged_at == brussels("20260312100000")


def test_a03_before_a01_ends_discharged_and_a01_only_fills_in_the_admission(feed, person):
    adt.deliver(adt_message("A03", control_id="MSG0002", admitted="",
                           discharged="20260318140000"))
    stay = only_stay(person)
    assert stay.discharged_at == brussels("20260318140000")
    assert stay.admitted_at == brussels("20260318140000")

    answer = adt.deliver(adt_message("A01", admitted="20260310083000"))

    assert msa(answer)[0] == "AA"
    stay.refresh_from_db()
    assert stay.admitted_at == brussels("20260310083000")
    assert stay.discharged_at == brussels("20260318140000")
    assert Stay.objects.count() == 1


def test_a08_before_a01_opens_the_stay(feed, person):
    adt.deliver(adt_message("A08", control_id="MSG0002"))
    adt.deliver(adt_message("A01"))

    stay = only_stay(person)
    assert stay.is_open and stay.admitted_at == brussels("20260310083000")


def test_a11_before_a01_keeps_the_visit_from_being_opened(feed, person):
    cancel = adt.deliver(adt_message("A11", control_id="MSG0002"))
    admit = adt.deliver(adt_message("A01"))

    assert msa(cancel)[0] == msa(admit)[0] == "AA"
    assert not Stay.objects.exists()
    assert set(AdtMessage.objects.values_list("status", flat=True)) == {AdtStatus.IGNORED}


def test_a_resent_a01_with_a_new_control_id_does_not_move_the_admission(feed, person):
    adt.deliver(adt_message("A01", admitted=""))
    adt.deliver(adt_message("A01", control_id="MSG0009", admitted="",
                           event_time="20260311090000"))

    assert only_stay(person).admitted_at == brussels("20260310083500")


# --- unmatched patients ----------------------------------------------------------------


def test_an_unknown_patient_is_kept_pending_and_acknowledged(feed):
    answer = adt.deliver(adt_message("A01", niss=niss_for(date(1950, 1, 1), "M", 3)))

    code, control_id, text = msa(answer)
    assert (code, control_id) == ("AA", "MSG0001")
    assert "no person matches" in text
    message = AdtMessage.objects.get()
    assert (message.status, message.hospital, message.patient_id) == (
        AdtStatus.PENDING_MATCH, feed.hospital, "P0001")
    assert not Stay.objects.exists()


def test_resolving_applies_the_patients_waiting_messages_in_order(feed, person,
                                                                   liaison_nurse, cardiology):
    adt.deliver(adt_message("A01", niss=""))
    adt.deliver(adt_message("A02", control_id="MSG0002", niss="", ward="CAR"))
    pending = AdtMessage.objects.get(control_id="MSG0001")
    acks = dict(AdtMessage.objects.values_list("pk", "ack"))

    assert adt.resolve_pending(pending, person, liaison_nurse) == 2

    stay = only_stay(person)
    assert stay.ward == cardiology and stay.created_by == liaison_nurse
    assert PatientLink.objects.get(patient_id="P0001").person == person
    for message in AdtMessage.objects.all():
        assert (message.status, message.stay, message.resolved_by) == (
            AdtStatus.APPLIED, stay, liaison_nurse)
        assert message.ack == acks[message.pk]  # what was sent stays as it was
    # And the next message finds the person by the link.
    assert msa(adt.deliver(adt_message("A03", control_id="MSG0003", niss="")))[0] == "AA"
    assert only_stay(person).discharged_at is not None


def test_a_pending_message_cannot_be_resolved_twice(feed, person, liaison_nurse):
    from django.core.exceptions import ValidationError

    adt.deliver(adt_message("A01", niss=""))
    pending = AdtMessage.objects.get()
    adt.resolve_pending(pending, person, liaison_nurse)

    with pytest.raises(ValidationError):
        adt.resolve_pending(pending, person, liaison_nurse)
    assert Stay.objects.count() == 1


def test_creating_the_person_from_the_message_resolves_it(feed, liaison_nurse):
    niss = niss_for(date(1938, 6, 14), "M", 5)
    adt.deliver(adt_message("A01", niss=niss, family="Peeters", given="Jan"))
    pending = AdtMessage.objects.get()

    person = adt.create_person_from(pending, liaison_nurse)

    assert (person.first_name, person.last_name, person.niss) == ("Jan", "Peeters", niss)
    assert (person.birth_date, person.sex) == (date(1941, 3, 2), "F")
    assert person.owner_organisation == feed.hospital
    pending.refresh_from_db()
    assert pending.status == AdtStatus.APPLIED and pending.stay.person == person


def test_a_later_message_with_a_known_niss_applies_the_earlier_waiting_ones(feed, person):
    adt.deliver(adt_message("A01", niss=""))
    adt.deliver(adt_message("A03", control_id="MSG0002", discharged="20260318140000"))

    stay = only_stay(person)
    assert stay.discharged_at == brussels("20260318140000")
    assert stay.admitted_at == brussels("20260310083000")
    assert set(AdtMessage.objects.values_list("status", flat=True)) == {AdtStatus.APPLIED}


# --- refused messages: answered and kept -----------------------------------------------


def test_an_unknown_sending_facility_is_rejected_and_kept(feed, person):
    answer = adt.deliver(adt_message("A01", facility="ELSEWHERE"))

    code, control_id, text = msa(answer)
    assert (code, control_id) == ("AR", "MSG0001")
    assert text == "Unknown sending facility 'ELSEWHERE' (MSH-4)."
    message = AdtMessage.objects.get()
    assert message.status == AdtStatus.REJECTED and message.hospital is None
    assert not Stay.objects.exists()


def test_after_an_ar_the_resend_is_processed_again(feed, person):
    adt.deliver(adt_message("A01", facility="NEW-SITE"))
    AdtSource.objects.create(sending_facility="NEW-SITE", hospital=feed.hospital)

    answer = adt.deliver(adt_message("A01", facility="NEW-SITE"))

    assert msa(answer)[0] == "AA"
    assert AdtMessage.objects.get().status == AdtStatus.APPLIED
    assert only_stay(person).visit_number == "V0001"


def test_a_rule_of_the_stay_refuses_with_ae_and_keeps_the_message(feed, person):
    adt.deliver(adt_message("A01"))
    answer = adt.deliver(adt_message("A01", control_id="MSG0002", visit="V0002"))

    code, _, text = msa(answer)
    assert code == "AE"
    assert "already has an open stay" in text
    err = ack_of(answer).segment("ERR")
    assert str(err(3)).startswith("207^")
    assert AdtMessage.objects.get(control_id="MSG0002").status == AdtStatus.REJECTED
    assert Stay.objects.count() == 1


@pytest.mark.parametrize(("raw", "code", "reason"), [
    (b"hello, this is not HL7", "AE", "does not start with a valid MSH segment"),
    (b"", "AE", "does not start with a valid MSH segment"),
    (adt_message(segments=("MSH", "EVN", "PV1")), "AE", "The PID segment is missing."),
    (adt_message(segments=("MSH", "EVN", "PID")), "AE", "The PV1 segment is missing"),
    (adt_message(admitted="2026133"), "AE", "PV1-44 (admission) '2026133' is not a date"),
    (adt_message(admitted="20261341"), "AE", "is not a valid date"),
    (adt_message(control_id=""), "AE", "MSH-10 (message control id) is missing."),
    (adt_message(patient_id="", niss=""), "AE", "PID-3 carries no patient identifier."),
    (adt_message(version="3.0"), "AR", "HL7 version '3.0' is not accepted"),
    (adt_message().replace(b"ADT^A01^ADT_A01", b"ORU^R01"), "AR", "only ADT"),
])
def test_malformed_messages_are_answered_with_a_reason_and_kept(feed, person, raw, code,
                                                                reason):
    answer = adt.deliver(raw)

    assert msa(answer)[0] == code
    assert reason in answer.decode()
    message = AdtMessage.objects.get()
    assert message.status == AdtStatus.REJECTED and reason in message.problem
    assert message.raw == raw.decode()
    assert not Stay.objects.exists()


def test_the_err_segment_follows_the_version(feed, person):
    old = ack_of(adt.deliver(adt_message(segments=("MSH", "PID"), version="2.3")))
    new = ack_of(adt.deliver(adt_message(segments=("MSH", "PID"), control_id="M2")))

    assert str(old.segment("ERR")(1)).startswith("^^^100&Segment sequence error")
    assert str(new.segment("ERR")(3)) == "100^Segment sequence error^HL70357"
    assert str(new.segment("ERR")(4)) == "E"


def test_a_latin1_message_is_read_and_the_encoding_noted(feed, person):
    raw = adt_message(given="Hélène").decode().encode("latin-1")

    answer = adt.deliver(raw)

    assert msa(answer)[0] == "AA"
    message = AdtMessage.objects.get()
    assert "Hélène" in message.raw
    assert "Not UTF-8" in message.problem


def test_nul_bytes_are_dropped_and_noted(feed, person):
    raw = adt_message().replace(b"Lambert", b"Lam\x00bert")

    assert msa(adt.deliver(raw))[0] == "AA"
    message = AdtMessage.objects.get()
    assert "\x00" not in message.raw and "NUL bytes removed." in message.problem


def test_a_huge_message_is_rejected_and_a_truncated_copy_kept(feed, person):
    raw = adt_message() + b"NTE|1||" + b"x" * (adt.MAX_MESSAGE_BYTES + 10) + b"\r"

    answer = adt.deliver(raw)

    code, control_id, text = msa(answer)
    assert (code, control_id) == ("AR", "MSG0001")
    assert text.startswith("The message is too large")
    message = AdtMessage.objects.get()
    assert len(message.raw) == adt.KEPT_OF_TOO_LARGE
    assert message.control_id == ""  # a cut copy does not claim the control id
    assert not Stay.objects.exists()


def test_bytes_outside_a_frame_are_answered_ar_and_kept(feed):
    answer = adt.deliver(b"stray bytes", framed=False, peer="127.0.0.1:5000")

    assert msa(answer)[0] == "AR"
    message = AdtMessage.objects.get()
    assert message.raw == "stray bytes" and "From 127.0.0.1:5000." in message.problem


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_get_an_ack_and_never_an_exception(feed, raw):
    answer = adt.deliver(raw)

    assert msa(answer)[0] in {"AA", "AE", "AR"}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 400), st.binary(max_size=8), st.integers(0, 400))
@example(cut=999, inserted=b"\xf7", at=3)  # found by hypothesis: "÷" as the field separator
def test_a_damaged_message_gets_an_ack_and_never_an_exception(feed, cut, inserted, at):
    original = adt_message(control_id=f"FUZZ{cut}-{at}-{inserted.hex()}")
    raw = original[:at] + inserted + original[at:]
    raw = raw[:cut] + raw[cut + 1:] if cut < len(raw) else raw

    answer = adt.deliver(raw)

    assert msa(answer)[0] in {"AA", "AE", "AR"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_reading_any_text_either_works_or_refuses(text):
    header = adt.read_header(text)
    try:
        event = adt.read_event(adt.parse(text), header or adt.STANDARD_HEADER)
    except adt.Refused as refusal:
        assert refusal.reason and refusal.code in {"AE", "AR"}
    else:
        assert event.patient_id or event.niss


# --- the commit comes before the ACK ---------------------------------------------------


def _fail_once(monkeypatch, target, name):
    original = getattr(target, name)
    calls = []

    def failing(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise OperationalError("disk I/O error")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, failing)
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_gets_no_aa_stores_nothing_and_the_resend_works(feed, person,
                                                                        monkeypatch):
    _fail_once(monkeypatch, connection, "commit")

    answer = adt.handle(adt_message("A01"))

    assert msa(answer)[0] == "AR"
    assert not AdtMessage.objects.exists()
    resent = adt.deliver(adt_message("A01"))
    assert msa(resent)[0] == "AA"
    assert only_stay(person).visit_number == "V0001"
    assert AdtMessage.objects.get().status == AdtStatus.APPLIED


@pytest.mark.django_db(transaction=True)
def test_a_failure_while_storing_the_message_keeps_nothing(feed, person, monkeypatch):
    _fail_once(monkeypatch, AdtMessage, "save")

    answer = adt.handle(adt_message("A01"))

    assert msa(answer)[0] == "AR"
    assert not AdtMessage.objects.exists()
    assert msa(adt.deliver(adt_message("A01")))[0] == "AA"
    assert Stay.objects.count() == 1


# --- group commit: messages from several senders share one transaction -----------------


def arrivals(*messages: bytes) -> list:
    return [(Frame(message, len(message)), f"10.0.0.{n}:2575")
            for n, message in enumerate(messages, start=1)]


def count_commits(monkeypatch) -> list:
    commits = []
    original = connection.commit

    def counting():
        commits.append(1)
        return original()

    monkeypatch.setattr(connection, "commit", counting)
    return commits


@pytest.fixture
def second_person(feed, liaison_nurse):
    return create_person({"first_name": "Jozef", "last_name": "Claes",
                          "birth_date": date(1938, 6, 9), "sex": "M", "niss": OTHER_NISS},
                         actor=liaison_nurse, organisation=feed.hospital)


OTHER_NISS = niss_for(date(1938, 6, 9), "M", 23)


@pytest.mark.django_db(transaction=True)
def test_a_group_of_messages_is_stored_in_one_transaction_and_applied_in_one(
        feed, person, second_person, monkeypatch):
    commits = count_commits(monkeypatch)

    with CaptureQueriesContext(connection) as statements:
        answers = adt.handle_frames(arrivals(
            adt_message("A01", control_id="G1"),
            adt_message("A01", control_id="G2", niss=OTHER_NISS, patient_id="P0002",
                        visit="V0002"),
            adt_message("A08", control_id="G3", expected="20260320")), adt.Lookups())

    assert [msa(answer)[:2] for answer in answers] == [("AA", "G1"), ("AA", "G2"),
                                                        ("AA", "G3")]
    # One INSERT for the three: its own transaction, committed when it returns (no BEGIN
    # and COMMIT round trips); before it, one SELECT for their earlier copies and, with
    # fresh Lookups, their senders'.
    kinds = [q["sql"].split()[0] for q in statements.captured_queries]
    assert (kinds.count("INSERT"), kinds.count("SELECT"), len(kinds)) == (1, 4, 5)
    assert commits == []
    # G3 is Madeleine's second message: it waits for G1, in the next batch.
    assert adt.apply_batch() == 2 and adt.apply_batch() == 1 and adt.apply_batch() == 0
    assert len(commits) == 3
    assert only_stay(person).expected_discharge_on == date(2026, 3, 20)  # in order
    assert only_stay(second_person).visit_number == "V0002"
    assert AdtMessage.objects.filter(status=AdtStatus.APPLIED).count() == 3
    assert_audit_log_sealed_intact()


@pytest.mark.django_db(transaction=True)
def test_a_refused_message_costs_the_others_of_its_group_and_batch_nothing(
        feed, person, second_person):
    answers = adt.handle_frames(arrivals(
        adt_message("A01", control_id="G1"),
        adt_message("A01", control_id="G2", segments=("MSH", "EVN", "PV1")),  # no PID
        adt_message("A01", control_id="G3", niss=OTHER_NISS, patient_id="P0002",
                    visit="V0002"),
        adt_message("A08", control_id="G4", patient_id="P0003", niss="",
                    admitted="2026-03-10")), adt.Lookups())  # not a date: found applying

    assert [msa(answer)[0] for answer in answers] == ["AA", "AE", "AA", "AA"]
    assert adt.drain() == 3
    assert Stay.objects.count() == 2
    statuses = dict(AdtMessage.objects.values_list("control_id", "status"))
    assert statuses == {"G1": AdtStatus.APPLIED, "G2": AdtStatus.REJECTED,
                        "G3": AdtStatus.APPLIED, "G4": AdtStatus.REJECTED}
    refused = AdtMessage.objects.get(control_id="G4")
    assert msa(refused.result.encode())[0] == "AE" and "PV1-44" in refused.problem
    assert_audit_log_sealed_intact()


@pytest.mark.django_db(transaction=True)
def test_a_control_id_repeated_within_a_group_gets_the_first_ack(feed, person):
    first, repeated = adt.handle_frames(arrivals(adt_message("A01", control_id="SAME"),
                                                 adt_message("A01", control_id="SAME")),
                                        adt.Lookups())

    assert repeated == first and msa(first)[0] == "AA"
    adt.drain()
    assert AdtMessage.objects.count() == 1 and Stay.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_group_whose_insert_fails_is_answered_ar_and_nothing_is_kept(feed, person,
                                                                       second_person,
                                                                       monkeypatch):
    _fail_once(monkeypatch, processing, "insert")  # the statement that commits the group

    answers = adt.handle_frames(arrivals(
        adt_message("A01", control_id="G1"),
        adt_message("A01", control_id="G2", niss=OTHER_NISS, patient_id="P0002",
                    visit="V0002")), adt.Lookups())

    assert [msa(answer)[0] for answer in answers] == ["AR", "AR"]
    assert not AdtMessage.objects.exists() and not Stay.objects.exists()
    assert not AuditEvent.objects.filter(action="stay.open").exists()
