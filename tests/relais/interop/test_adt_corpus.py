"""The corpus (tests/relais/interop/corpus, origins in its SOURCE.md): every message gets
the ACK class docs/adt.md gives it, and its effect is checked in the database."""

import socket
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import hl7
import pytest
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.interop import adt
from relais.interop.adt.merge import confirm_merge, decline_merge, undo_merge
from relais.interop.mllp import MllpServer
from relais.network.models import Person
from relais.network.services import create_person
from relais.stays.models import AdtMessage, AdtSource, AdtStatus, PatientLink, Stay
from tests.factories import WardFactory
from tests.relais.interop.test_mllp import exchange

CORPUS = Path(__file__).parent / "corpus"
NISS_MADELEINE, NISS_JAN, NISS_MARIA = "41030203610", "50071404354", "38110506875"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def send(name: str) -> tuple[str, str]:
    """MSA-1 and MSA-3 of the answer to one corpus file."""
    answer = hl7.parse(adt.deliver(corpus(name)).decode("ascii"))
    msa = answer.segment("MSA")
    return str(msa(1)), str(msa(3)) if len(msa) > 3 else ""


@pytest.fixture
def hospital(world):
    """AZ Corpus sends as AZC (MSH-4); its admission system HIS-ONLY fills only MSH-3."""
    world.ward.code = "GER"
    world.ward.save()
    WardFactory(organisation=world.hospital, name="Cardiology", code="CAR")
    WardFactory(organisation=world.hospital, name="Emergency", code="SU")
    AdtSource.objects.create(sending_facility="AZC", hospital=world.hospital)
    AdtSource.objects.create(sending_facility="HIS-ONLY", hospital=world.hospital)
    return world.hospital


def person(hospital, actor, first, last, born, sex, niss) -> Person:
    return create_person({"first_name": first, "last_name": last, "birth_date": born,
                          "sex": sex, "niss": niss}, actor=actor, organisation=hospital)


@pytest.fixture
def madeleine(hospital, liaison_nurse):
    return person(hospital, liaison_nurse, "Madeleine", "Lambert", date(1941, 3, 2), "F",
                  NISS_MADELEINE)


@pytest.fixture
def jan(hospital, liaison_nurse):
    return person(hospital, liaison_nurse, "Jan", "Peeters", date(1950, 7, 14), "M", NISS_JAN)


def test_every_corpus_file_is_cited_in_source_md():
    cited = (CORPUS / "SOURCE.md").read_text()
    files = sorted(path.name for path in CORPUS.glob("*.hl7"))
    assert len(files) == 20
    assert [name for name in files if name not in cited] == []


# --- versions, separators, encodings -----------------------------------------------------


@pytest.mark.parametrize("name", ["01_v22_a01_cr.hl7", "06_v26_a01_zsegments.hl7"])
def test_an_admission_in_any_version_opens_the_stay(madeleine, name):
    assert send(name)[0] == "AA"
    stay = Stay.objects.get(person=madeleine)
    assert (stay.visit_number, stay.ward.code, stay.is_open) == ("V1001", "GER", True)


def test_lf_crlf_and_bom_follow_the_stay_through_transfer_update_and_discharge(madeleine):
    codes = [send(name)[0] for name in ("01_v22_a01_cr.hl7", "02_v231_a02_lf.hl7",
                                         "03_v24_a08_crlf.hl7", "04_v25_a03_bom.hl7")]
    assert codes == ["AA"] * 4
    stay = Stay.objects.get(person=madeleine)
    assert stay.ward.code == "CAR"
    assert stay.expected_discharge_on == date(2026, 3, 20)
    assert stay.discharged_at is not None and stay.destination == "home"


def test_an_iso_8859_1_message_with_a_z_segment_is_read_as_latin1(madeleine):
    assert send("05_v251_a08_latin1.hl7")[0] == "AA"
    madeleine.refresh_from_db()
    assert madeleine.last_name == "Lambert-Hélène"
    assert "Not UTF-8" not in AdtMessage.objects.get().problem  # MSH-18 said 8859/1


# --- registration, pre-admission, cancel transfer ---------------------------------------


def test_a04_registers_an_emergency_visit_as_a_stay(madeleine):
    assert send("07_v27_a04_registration.hl7")[0] == "AA"
    stay = Stay.objects.get(person=madeleine)
    assert (stay.visit_number, stay.ward.code) == ("V2001", "SU")


def test_a05_pre_admission_opens_an_expected_admission(madeleine):
    assert send("08_v28_a05_preadmit.hl7")[0] == "AA"
    stay = Stay.objects.get(person=madeleine)
    assert (stay.visit_number, stay.admitted_at.date()) == ("V3001", date(2026, 3, 25))
    assert AdtMessage.objects.get().status == AdtStatus.APPLIED


def test_a12_puts_the_patient_back_in_the_ward_before_the_transfer(madeleine):
    for name in ("01_v22_a01_cr.hl7", "02_v231_a02_lf.hl7"):
        send(name)
    assert send("09_a12_cancel_transfer.hl7")[0] == "AA"
    assert Stay.objects.get(person=madeleine).ward.code == "GER"


# --- the sender, duplicates -------------------------------------------------------------


def test_msh3_with_an_empty_msh4_names_the_sender(madeleine, hospital):
    assert send("13_msh3_only_a01.hl7")[0] == "AA"
    assert Stay.objects.get(person=madeleine).hospital == hospital
    assert AdtMessage.objects.get().sender == "HIS-ONLY^"


def test_msh3_alone_and_unknown_is_refused_with_ar_naming_msh3(madeleine):
    AdtSource.objects.filter(sending_facility="HIS-ONLY").delete()
    assert send("13_msh3_only_a01.hl7") == (
        "AR", "Unknown sending application 'HIS-ONLY' (MSH-3; MSH-4 is empty).")


def test_the_same_message_again_is_a_duplicate_whatever_its_line_ends(madeleine):
    first = adt.deliver(corpus("02_v231_a02_lf.hl7"))
    again = adt.deliver(corpus("02_v231_a02_lf.hl7").replace(b"\n", b"\r\n"))
    assert again == first
    assert AdtMessage.objects.count() == 1


def test_a_reused_control_id_with_other_content_is_processed(madeleine):
    assert send("16_reused_control_id_first.hl7")[0] == "AA"
    code, text = send("17_reused_control_id_other.hl7")
    assert code == "AA"
    assert AdtMessage.objects.filter(control_id="0001").count() == 2
    assert Stay.objects.get(person=madeleine).discharged_at is not None
    assert "was used before for another message" in AdtMessage.objects.get(event="A03").problem


# --- explicit nulls, demographics --------------------------------------------------------


def test_an_explicit_null_clears_the_expected_discharge(madeleine):
    send("01_v22_a01_cr.hl7")
    send("03_v24_a08_crlf.hl7")
    assert Stay.objects.get().expected_discharge_on == date(2026, 3, 20)
    assert send("14_null_date_a08.hl7")[0] == "AA"
    assert Stay.objects.get().expected_discharge_on is None


def test_a08_without_pv1_updates_the_demographics_and_opens_no_stay(madeleine):
    code, text = send("15_a08_no_pv1.hl7")
    assert (code, text) == ("AA", "Demographics updated: last_name.")
    madeleine.refresh_from_db()
    assert madeleine.last_name == "Dupont"
    assert not Stay.objects.exists()
    assert AuditEvent.objects.filter(action="person.change", person_id=madeleine.pk).exists()


def test_names_in_capitals_do_not_overwrite_the_same_names(madeleine):
    shouted = corpus("15_a08_no_pv1.hl7").replace(b"Dupont^Madeleine", b"LAMBERT^MADELEINE")
    answer = hl7.parse(adt.deliver(shouted).decode("ascii")).segment("MSA")
    assert str(answer(3)) == "Demographics already up to date."
    madeleine.refresh_from_db()
    assert (madeleine.last_name, madeleine.first_name) == ("Lambert", "Madeleine")


def test_a31_updates_the_person_and_its_null_birth_date_clears_it(madeleine):
    assert send("20_a31_person_update.hl7") == ("AA", "Demographics updated: birth_date.")
    madeleine.refresh_from_db()
    assert madeleine.birth_date is None


def test_a28_for_a_person_relais_does_not_hold_is_kept_and_not_used(hospital):
    assert send("19_a28_person_add.hl7") == (
        "AA", "Relais holds no record for this person: nothing to update.")
    assert AdtMessage.objects.get().status == AdtStatus.IGNORED
    assert not Person.objects.exists()


# --- merges -----------------------------------------------------------------------------


def test_a40_moves_the_retired_id_to_the_surviving_record_and_closes_it(madeleine, hospital):
    PatientLink.objects.create(hospital=hospital, patient_id="P0099", person=madeleine)
    assert send("10_a40_merge.hl7") == ("AA", "P0099 merged into P0001.")
    retired = PatientLink.objects.get(patient_id="P0099")
    assert (retired.person, retired.merged_into) == (madeleine, "P0001")
    assert PatientLink.objects.get(patient_id="P0001").person == madeleine
    assert AuditEvent.objects.filter(action="patient_link.merge").count() == 1


def test_a40_moves_messages_waiting_under_the_retired_id(hospital):
    waiting = AdtMessage.objects.create(hospital=hospital, patient_id="P0099", event="A01",
                                        status=AdtStatus.PENDING_MATCH, raw="MSH|")
    assert send("10_a40_merge.hl7")[0] == "AA"
    waiting.refresh_from_db()
    assert waiting.patient_id == "P0001"


def test_a47_renames_the_patient_id_and_a_person_can_undo_it(madeleine, hospital,
                                                             liaison_nurse):
    send("01_v22_a01_cr.hl7")  # links P0001 by national number
    assert send("11_a47_change_id.hl7") == ("AA", "P0001 merged into P0777.")
    assert PatientLink.objects.get(patient_id="P0777").person == madeleine

    undo_merge(PatientLink.objects.get(patient_id="P0001"), actor=liaison_nurse)

    assert PatientLink.objects.get(patient_id="P0001").merged_into == ""
    assert not PatientLink.objects.filter(patient_id="P0777").exists()
    assert AuditEvent.objects.filter(action="patient_link.unmerge").count() == 1


def test_a_merge_of_two_persons_in_relais_waits_for_a_person(madeleine, jan, hospital,
                                                             liaison_nurse):
    PatientLink.objects.create(hospital=hospital, patient_id="P0002", person=jan)
    PatientLink.objects.create(hospital=hospital, patient_id="P0001", person=madeleine)
    code, text = send("12_a34_merge_two_persons.hl7")
    assert code == "AA" and text.startswith("Kept: P0002 and P0001 are two records")
    message = AdtMessage.objects.get()
    assert message.status == AdtStatus.PENDING_MERGE
    assert PatientLink.objects.get(patient_id="P0002").person == jan  # nothing moved yet

    confirm_merge(message, actor=liaison_nurse)

    message.refresh_from_db()
    assert (message.status, message.resolved_by) == (AdtStatus.APPLIED, liaison_nurse)
    retired = PatientLink.objects.get(patient_id="P0002")
    assert (retired.person, retired.merged_into) == (madeleine, "P0001")


def test_a_merge_a_person_declines_changes_nothing(madeleine, jan, hospital, liaison_nurse):
    PatientLink.objects.create(hospital=hospital, patient_id="P0002", person=jan)
    PatientLink.objects.create(hospital=hospital, patient_id="P0001", person=madeleine)
    send("12_a34_merge_two_persons.hl7")

    decline_merge(AdtMessage.objects.get(), actor=liaison_nurse)

    assert AdtMessage.objects.get().status == AdtStatus.IGNORED
    assert PatientLink.objects.get(patient_id="P0002").person == jan


def test_a_merge_without_mrg_is_refused_with_ae(madeleine):
    raw = corpus("10_a40_merge.hl7").replace(b"MRG|P0099^^^AZC^PI\r", b"")
    answer = hl7.parse(adt.deliver(raw).decode("ascii"))
    assert str(answer.segment("MSA")(1)) == "AE"


# --- batches ----------------------------------------------------------------------------


def test_a_batch_file_is_answered_with_one_ack_per_message_in_a_batch(madeleine, jan):
    answer = adt.deliver(corpus("18_batch_file.hl7")).decode("ascii")
    lines = answer.rstrip("\r").split("\r")
    assert [line[:3] for line in lines] == ["FHS", "BHS", "MSH", "MSA", "MSH", "MSA", "BTS",
                                           "FTS"]
    assert [line.split("|")[1:3] for line in lines if line.startswith("MSA")] == [
        ["AA", "C18A"], ["AA", "C18B"]]
    assert lines[1].split("|")[11] == "B0001" and lines[6] == "BTS|2"
    assert Stay.objects.filter(person__in=[madeleine, jan]).count() == 2


def test_a_batch_sent_again_changes_nothing(madeleine, jan):
    first = adt.deliver(corpus("18_batch_file.hl7")).decode("ascii")
    again = adt.deliver(corpus("18_batch_file.hl7")).decode("ascii")
    msa = [line for line in again.split("\r") if line.startswith("MSA")]
    assert msa == [line for line in first.split("\r") if line.startswith("MSA")]
    assert AdtMessage.objects.count() == 2 and Stay.objects.count() == 2


def test_an_empty_batch_is_refused_with_ar():
    answer = adt.handle(b"BHS|^~\\&|PAS|AZC\rBTS|0\r").decode("ascii")
    assert "|AR|" in answer and "holds no message" in answer


def test_the_pending_page_shows_the_merge_and_the_nurse_confirms_it(
        madeleine, jan, hospital, persona_client):
    PatientLink.objects.create(hospital=hospital, patient_id="P0002", person=jan)
    PatientLink.objects.create(hospital=hospital, patient_id="P0001", person=madeleine)
    send("12_a34_merge_two_persons.hl7")
    client = persona_client("liaison_nurse")

    page = client.get(reverse("interop:adt_pending")).content.decode()
    message = AdtMessage.objects.get()
    assert "Patient id P0002 merged into P0001" in page
    response = client.post(reverse("interop:adt_merge", args=[message.pk]),
                           {"decision": "confirm"})

    assert response.status_code == 302
    assert AdtMessage.objects.get().status == AdtStatus.APPLIED
    assert PatientLink.objects.get(patient_id="P0002").person == madeleine


def test_an_outsider_cannot_confirm_a_merge(madeleine, jan, hospital, persona_client):
    PatientLink.objects.create(hospital=hospital, patient_id="P0002", person=jan)
    PatientLink.objects.create(hospital=hospital, patient_id="P0001", person=madeleine)
    send("12_a34_merge_two_persons.hl7")
    message = AdtMessage.objects.get()

    response = persona_client("outsider").post(reverse("interop:adt_merge", args=[message.pk]),
                                               {"decision": "confirm"})

    assert response.status_code == 404
    assert AdtMessage.objects.get().status == AdtStatus.PENDING_MERGE
    assert PatientLink.objects.get(patient_id="P0002").person == jan


def test_a12_for_a_visit_relais_does_not_hold_opens_nothing(madeleine):
    assert send("09_a12_cancel_transfer.hl7") == (
        "AA", "No stay for this visit: no transfer to cancel.")
    assert not Stay.objects.exists()


def test_the_admission_after_a_pre_admission_completes_the_same_stay(madeleine):
    send("08_v28_a05_preadmit.hl7")
    admission = (corpus("08_v28_a05_preadmit.hl7")
                 .replace(b"ADT^A05^ADT_A05|C08", b"ADT^A01^ADT_A01|C08b")
                 .replace(b"EVN|A05", b"EVN|A01").replace(b"|P|GER", b"|I|GER")
                 .replace(b"20260325080000", b"20260325093000"))
    assert hl7.parse(adt.deliver(admission).decode("ascii")).segment("MSA")(1)[0] == "AA"
    stay = Stay.objects.get(person=madeleine)
    assert stay.visit_number == "V3001"
    assert stay.admitted_at == datetime(2026, 3, 25, 9, 30, tzinfo=ZoneInfo("Europe/Brussels"))


def test_a05_while_the_person_is_in_another_stay_is_kept_not_refused(madeleine):
    send("07_v27_a04_registration.hl7")
    assert send("08_v28_a05_preadmit.hl7")[0] == "AA"
    assert AdtMessage.objects.get(control_id="C08").status == AdtStatus.IGNORED
    assert Stay.objects.get().visit_number == "V2001"


def test_a38_cancels_the_pre_admission(madeleine):
    send("08_v28_a05_preadmit.hl7")
    cancel = corpus("08_v28_a05_preadmit.hl7").replace(b"ADT^A05^ADT_A05|C08",
                                                       b"ADT^A38^ADT_A38|C08c")
    assert hl7.parse(adt.deliver(cancel).decode("ascii")).segment("MSA")(1)[0] == "AA"
    assert Stay.objects.get(person=madeleine).cancelled_at is not None


# --- the whole corpus over MLLP ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_whole_corpus_over_a_real_mllp_connection_is_answered_aa(madeleine, jan):
    server = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05, stall_seconds=30)
    server.start_in_thread()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            answers = {path.name: exchange(sock, path.read_bytes())
                       for path in sorted(CORPUS.glob("*.hl7"))}
    finally:
        server.stop()

    codes = {name: [line.split("|")[1] for line in answer.decode("ascii").split("\r")
                    if line.startswith("MSA")] for name, answer in answers.items()}
    # Every message is stored and acknowledged; 05 asks for enhanced mode (MSH-15 AL,
    # MSH-16 NE): a commit ACK, CA.
    assert {name: code for name, code in codes.items() if code != ["AA"]} == {
        "05_v251_a08_latin1.hl7": ["CA"], "18_batch_file.hl7": ["AA", "AA"]}
    adt.drain()
    # Applied, the A01 of 13 (another visit while 07's emergency stay is open) is refused
    # by the stay's rule "one open stay per hospital": its application ACK says AE.
    refused = AdtMessage.objects.get(control_id="C13")
    assert "already has an open stay" in refused.problem
    assert adt.ack_code(refused.result) == "AE"
    assert not AdtMessage.objects.filter(status=AdtStatus.RECEIVED).exists()
    assert AdtMessage.objects.get(control_id="C08").problem.startswith("Kept: the person is")
    assert answers["18_batch_file.hl7"].startswith(b"FHS|")
    # 20 files, 21 messages (the batch holds two), each stored once.
    assert AdtMessage.objects.count() == 21


def test_the_pending_page_names_the_new_events(hospital, persona_client):
    send("08_v28_a05_preadmit.hl7")  # Madeleine is not in Relais: kept for a match
    assert AdtMessage.objects.get().status == AdtStatus.PENDING_MATCH

    page = persona_client("liaison_nurse").get(reverse("interop:adt_pending")).content.decode()

    assert "LAMBERT Madeleine" in page and "Pre-admission" in page
