"""The inbox (issue 16): the ACK leaves only once the message is committed; the applier
applies a patient's messages in order, also two appliers at once on PostgreSQL; a failed
message holds only its patient, and a person retries it or sets it aside on the pending
page; the database unreachable gets AR, keeps nothing and leaves a visible gap."""

import socket
import threading
from datetime import date

import pytest
from django.db import OperationalError, connection, connections
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.interop import adt
from relais.interop.adt import inbox
from relais.interop.adt.ack import Mode
from relais.interop.adt.received import read_header
from relais.interop.mllp import Deframer, MllpServer, frame
from relais.network.demo import niss_for
from relais.network.services import create_person
from relais.stays.models import AdtMessage, AdtStatus, Stay
from tests.factories import WardFactory
from tests.relais.interop.test_adt import (
    NISS,
    OTHER_NISS,
    admitted_person,
    adt_message,
    connect_hospital,
    msa,
)

BROKEN = {}


@pytest.fixture
def feed(world):
    connect_hospital(world)
    WardFactory(organisation=world.hospital, name="Cardiology", code="CAR")
    return world


@pytest.fixture
def madeleine(feed, liaison_nurse):
    return admitted_person(feed, liaison_nurse)


@pytest.fixture
def jozef(feed, liaison_nurse):
    return create_person({"first_name": "Jozef", "last_name": "Claes",
                          "birth_date": date(1938, 6, 9), "sex": "M", "niss": OTHER_NISS},
                         actor=liaison_nurse, organisation=feed.hospital)


def hers(event: str, n: int, **fields) -> bytes:
    """Madeleine's n-th message (patient id P0001, visit V0001)."""
    return adt_message(event, control_id=f"M{n}", **fields)


def his(event: str, n: int, **fields) -> bytes:
    """Jozef's n-th message (patient id P0002, visit V0002)."""
    return adt_message(event, control_id=f"J{n}", niss=OTHER_NISS, patient_id="P0002",
                       visit="V0002", family="Claes", given="Jozef", **fields)


def status_of(control_id: str) -> str:
    return AdtMessage.objects.get(control_id=control_id).status


def exchange(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(frame(payload))
    return receive(sock)


def receive(sock: socket.socket) -> bytes:
    deframer = Deframer()
    while True:
        chunk = sock.recv(4096)
        assert chunk, "the listener closed the connection"
        if answers := deframer.feed(chunk):
            return answers[0].data


@pytest.fixture
def listener(feed):
    server = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05, stall_seconds=30)
    server.start_in_thread()
    yield server
    server.stop()


# --- the ACK comes after the commit -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_ack_leaves_only_once_the_message_is_committed(listener, madeleine, monkeypatch):
    committing, may_commit = threading.Event(), threading.Event()
    wrapper = type(connections["default"])  # every thread's connection: the listener's too
    commit = wrapper.commit

    def held_commit(database):
        committing.set()
        may_commit.wait(10)
        return commit(database)

    monkeypatch.setattr(wrapper, "commit", held_commit)
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as sock:
        sock.sendall(frame(hers("A01", 1)))
        assert committing.wait(10)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4096)  # the commit is held: no ACK yet
        may_commit.set()
        sock.settimeout(10)
        answer = receive(sock)

    assert msa(answer) == ("AA", "M1", "Stored; it will be applied in order.")
    assert status_of("M1") == AdtStatus.RECEIVED


# --- in order per patient ---------------------------------------------------------------


def test_a_patients_later_message_waits_for_the_earlier_one_and_others_go_on(madeleine,
                                                                             jozef):
    for raw in (hers("A01", 1), hers("A02", 2, ward="CAR"), his("A01", 1),
                hers("A03", 3, discharged="20260318140000")):
        assert msa(adt.handle(raw))[0] == "AA"

    assert adt.apply_batch() == 2  # the heads of the two lanes: M1 and J1
    assert (status_of("M1"), status_of("M2"), status_of("J1")) == (
        AdtStatus.APPLIED, AdtStatus.RECEIVED, AdtStatus.APPLIED)
    assert adt.apply_batch() == 1 and adt.apply_batch() == 1 and adt.apply_batch() == 0

    stay = Stay.objects.get(person=madeleine)
    assert stay.ward.code == "CAR" and stay.discharged_at is not None
    handled = list(AdtMessage.objects.filter(control_id__startswith="M").order_by("pk")
                   .values_list("handled_at", flat=True))
    assert handled == sorted(handled)


def test_a_merge_waits_for_the_retired_ids_messages_and_holds_its_later_ones(madeleine):
    adt.deliver(hers("A01", 1))  # links P0001
    old_id = adt_message("A02", control_id="O1", patient_id="P0099", niss="", ward="CAR")
    merge = (adt_message("A40", control_id="X1", patient_id="P0099", niss="")
             .replace(b"PV1|", b"MRG|P0001^^^CHU^PI\rPV1|"))  # P0099 survives
    later = adt_message("A08", control_id="O2", patient_id="P0099", niss="")
    for raw in (old_id, merge, later):
        assert msa(adt.handle(raw))[0] == "AA"
    assert AdtMessage.objects.get(control_id="X1").lane_also.endswith(":P0001")

    assert adt.apply_batch() == 1  # O1 first; the merge waits for it, O2 for the merge
    assert adt.apply_batch() == 1 and status_of("X1") == AdtStatus.APPLIED
    assert adt.apply_batch() == 1 and adt.apply_batch() == 0
    assert [status_of(c) for c in ("O1", "X1", "O2")] == [AdtStatus.PENDING_MATCH,
                                                           AdtStatus.APPLIED,
                                                           AdtStatus.APPLIED]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite runs one writing transaction at a time: nothing to race")
@pytest.mark.django_db(transaction=True)
def test_two_appliers_at_once_apply_each_message_once_in_each_patients_order(
        feed, liaison_nurse, monkeypatch):
    patients = [create_person({"first_name": "Patient", "last_name": f"Number {n}",
                               "birth_date": date(1940, 1, 1 + n), "sex": "F",
                               "niss": niss_for(date(1940, 1, 1 + n), "F", 40 + n)},
                              actor=liaison_nurse, organisation=feed.hospital)
                for n in range(8)]
    for step, (event, fields) in enumerate([("A01", {}), ("A02", {"ward": "CAR"}),
                                            ("A02", {"ward": "GER"}),
                                            ("A03", {"discharged": "20260318140000"})]):
        for n, patient in enumerate(patients):
            adt.handle(adt_message(event, control_id=f"P{n}S{step}", niss=patient.niss,
                                   patient_id=f"P{n:04d}", visit=f"V{n:04d}", **fields))
    applied, original = [], inbox.apply_message

    def watched(message, lookups, actor=None):
        original(message, lookups, actor)
        applied.append((threading.current_thread().name, message.lane, message.pk))

    monkeypatch.setattr(inbox, "apply_message", watched)
    monkeypatch.setattr(inbox, "BATCH", 3)
    appliers = [threading.Thread(target=_drain, name=f"applier-{n}") for n in range(2)]
    for applier in appliers:
        applier.start()
    for applier in appliers:
        applier.join(30)

    assert sorted(pk for _, _, pk in applied) == sorted(
        AdtMessage.objects.values_list("pk", flat=True))  # each once
    assert {name for name, _, _ in applied} == {"applier-0", "applier-1"}
    for lane in {lane for _, lane, _ in applied}:
        order = [pk for _, each, pk in applied if each == lane]
        assert order == sorted(order)
    assert set(AdtMessage.objects.values_list("status", "attempts")) == {(AdtStatus.APPLIED, 1)}
    assert Stay.objects.filter(discharged_at__isnull=False, ward__code="GER").count() == 8
    assert AuditEvent.objects.filter(action="stay.transfer").count() == 16


def _drain():
    try:
        while inbox.apply_batch(inbox.BATCH):
            pass
    finally:
        connection.close()


# --- failures: held, visible, retried -----------------------------------------------------


def _fail_transfers(monkeypatch):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setitem(adt.APPLY, "A02", broken)


def test_a_failed_message_holds_only_its_patients_later_messages(madeleine, jozef,
                                                                 monkeypatch):
    _fail_transfers(monkeypatch)
    for raw in (hers("A01", 1), hers("A02", 2, ward="CAR"),
                hers("A03", 3, discharged="20260318140000"), his("A01", 1)):
        adt.handle(raw)

    adt.drain()

    failed = AdtMessage.objects.get(control_id="M2")
    assert (failed.status, failed.handled_at, failed.attempts) == (AdtStatus.FAILED, None, 1)
    assert "Internal error in Relais while applying it (RuntimeError)" in failed.problem
    assert msa(failed.result.encode())[0] == "AR"
    assert [status_of(c) for c in ("M1", "M3", "J1")] == [AdtStatus.APPLIED,
                                                          AdtStatus.RECEIVED,
                                                          AdtStatus.APPLIED]
    assert Stay.objects.get(person=jozef).is_open
    assert adt.backlog()["HIS^CHU-TEST"] == {
        "waiting": 1, "oldest_waiting_seconds": pytest.approx(0, abs=30), "failed": 1,
        "blocked": 1, "unstored": 0}


def test_the_nurse_retries_the_failed_message_from_the_pending_page(madeleine, jozef,
                                                                    monkeypatch,
                                                                    persona_client,
                                                                    liaison_nurse):
    _fail_transfers(monkeypatch)
    for raw in (hers("A01", 1), hers("A02", 2, ward="CAR"),
                hers("A03", 3, discharged="20260318140000")):
        adt.handle(raw)
    adt.drain()
    failed = AdtMessage.objects.get(control_id="M2")
    client = persona_client("liaison_nurse")

    page = client.get(reverse("interop:adt_pending")).content.decode()
    assert "Messages that failed" in page and "LAMBERT Madeleine" in page
    assert "1 later message of this patient waits behind it." in page
    monkeypatch.undo()  # the bug is fixed
    response = client.post(reverse("interop:adt_retry", args=[failed.pk]))

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (AdtStatus.APPLIED, 2)
    assert AuditEvent.objects.filter(action="adt.retry", actor=liaison_nurse).count() == 1
    assert adt.drain() == 1  # the discharge waiting behind it goes on
    stay = Stay.objects.get(person=madeleine)
    assert stay.ward.code == "CAR" and stay.discharged_at is not None


def test_a_failed_message_set_aside_lets_the_patients_later_ones_go(madeleine, monkeypatch,
                                                                    persona_client):
    _fail_transfers(monkeypatch)
    for raw in (hers("A01", 1), hers("A02", 2, ward="CAR"),
                hers("A03", 3, discharged="20260318140000")):
        adt.handle(raw)
    adt.drain()
    failed = AdtMessage.objects.get(control_id="M2")

    persona_client("liaison_nurse").post(reverse("interop:adt_set_aside", args=[failed.pk]))

    assert status_of("M2") == AdtStatus.REJECTED
    assert AuditEvent.objects.filter(action="adt.set_aside").count() == 1
    assert adt.drain() == 1 and status_of("M3") == AdtStatus.APPLIED


def test_outsiders_cannot_retry_or_set_aside(madeleine, monkeypatch, persona_client):
    _fail_transfers(monkeypatch)
    adt.handle(hers("A01", 1))
    adt.handle(hers("A02", 2, ward="CAR"))
    adt.drain()
    failed = AdtMessage.objects.get(control_id="M2")

    for name in ("adt_retry", "adt_set_aside"):
        response = persona_client("home_nurse").post(reverse(f"interop:{name}",
                                                             args=[failed.pk]))
        assert response.status_code == 404
    assert status_of("M2") == AdtStatus.FAILED
    assert not AuditEvent.objects.filter(action__in=["adt.retry", "adt.set_aside"]).exists()


def test_a_message_refused_on_receipt_cannot_be_retried(madeleine):
    adt.handle(adt_message("A01", segments=("MSH", "EVN", "PV1")))  # AE: no PID
    refused = AdtMessage.objects.get()

    with pytest.raises(Exception, match="cannot be applied again"):
        adt.retry(refused, actor=None)


# --- the database unreachable -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_unreachable_gets_ar_keeps_nothing_and_leaves_a_visible_gap(
        madeleine, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)
    answer = adt.handle(hers("A01", 1))
    monkeypatch.undo()

    assert msa(answer)[0] == "AR" and "could not be stored now" in msa(answer)[2]
    assert not AdtMessage.objects.exists()
    # The sender never resends M1; the patient's next message is not held up by the gap.
    assert msa(adt.deliver(hers("A02", 2, ward="CAR")))[0] == "AA"
    assert Stay.objects.get(person=madeleine).ward.code == "CAR"
    gap = AdtMessage.objects.get(control_id="M1")
    assert (gap.status, gap.patient_id, gap.event) == (AdtStatus.UNSTORED, "P0001", "A01")
    assert gap.raw.startswith("MSH|") and "PID" not in gap.raw  # the message is not kept
    assert adt.backlog()["HIS^CHU-TEST"]["unstored"] == 1
    # Sent again at last, it takes the gap's place and is applied.
    assert msa(adt.deliver(hers("A01", 1)))[0] == "AA"
    assert status_of("M1") == AdtStatus.APPLIED
    assert adt.backlog() == {}


# --- enhanced mode ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enhanced_mode_gets_ca_on_storing_then_the_application_ack(listener, madeleine):
    asking = hers("A01", 1).replace(b"|P|2.5\r", b"|P|2.5|||AL|AL\r")
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as sock:
        commit = exchange(sock, asking)
        assert msa(commit) == ("CA", "M1", "Stored; it will be applied in order.")
        adt.drain()
        application = receive(sock)  # sent unasked once applied
        assert msa(application)[:2] == ("AA", "M1")
        # The sender's commit ACK of it is taken without an answer, and not stored.
        sock.sendall(frame(b"MSH|^~\\&|HIS|CHU-TEST|RELAIS|RELAIS|20260310||ACK|H1|P|2.5\r"
                           b"MSA|CA|RELAIS1\r"))
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4096)
    assert AdtMessage.objects.count() == 1


@pytest.mark.parametrize(("fields", "commit", "application"), [
    ("||", {"AA": True, "AE": True}, {"AA": False, "AE": False}),  # original mode
    ("|||AL|NE", {"AA": True, "AE": True}, {"AA": False, "AE": False}),
    ("|||ER|SU", {"AA": False, "AE": True}, {"AA": True, "AE": False}),
    ("|||NE|ER", {"AA": False, "AE": False}, {"AA": False, "AE": True}),
])
def test_msh_15_and_16_say_which_acks_are_sent(fields, commit, application):
    mode = Mode(read_header(f"MSH|^~\\&|HIS|CHU|R|R|2026||ADT^A01|1|P|2.5{fields}\r"))
    assert {code: mode.sends_commit(mode.commit_code(code)) for code in commit} == commit
    assert {code: mode.sends_application(code) for code in application} == application
    assert mode.commit_code("AA") == ("CA" if mode.enhanced else "AA")


def test_a_niss_only_sender_gets_a_lane_by_national_number(feed, madeleine):
    adt.handle(adt_message("A01", patient_id=""))
    assert AdtMessage.objects.get().lane == f"{feed.hospital.pk}:niss:{NISS}"
