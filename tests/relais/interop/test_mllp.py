"""MLLP framing (unit and property tests) and the listener on a real loopback socket."""

import socket
import threading
import time

import pytest
from django.db import OperationalError
from hypothesis import given, settings
from hypothesis import strategies as st

from relais.interop import adt
from relais.interop.adt.feed import receive_frames
from relais.interop.mllp import END_BLOCK, START_BLOCK, Deframer, Frame, MllpServer, frame
from relais.stays.models import AdtMessage, AdtStatus, Stay
from tests.relais.interop.test_adt import admitted_person, adt_message, connect_hospital

VT, FS, CR = START_BLOCK, END_BLOCK, b"\r"


def deframe(*chunks: bytes, max_size: int = 1000) -> list[Frame]:
    deframer = Deframer(max_size)
    frames = [f for chunk in chunks for f in deframer.feed(chunk)]
    return frames + deframer.close()


# --- the framer ------------------------------------------------------------------------


def test_frame_wraps_the_payload_in_start_and_end_blocks():
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\x0d"


def test_one_frame_in_one_chunk():
    assert deframe(frame(b"MSH|1")) == [Frame(b"MSH|1", 5, True)]


def test_a_frame_arriving_byte_by_byte():
    wire = frame(b"MSH|1")
    assert deframe(*[wire[i:i + 1] for i in range(len(wire))]) == [Frame(b"MSH|1", 5, True)]


def test_two_frames_with_newlines_between_them():
    frames = deframe(frame(b"A") + b"\r\n" + frame(b"B") + b"\n")
    assert frames == [Frame(b"A", 1, True), Frame(b"B", 1, True)]


def test_an_end_block_without_carriage_return_still_ends_the_frame():
    assert deframe(VT + b"A" + FS + VT + b"B" + FS) == [Frame(b"A", 1, True),
                                                       Frame(b"B", 1, True)]


def test_garbage_before_a_frame_comes_back_unframed_then_the_frame():
    frames = deframe(b"GET / HTTP/1.0\r\n" + frame(b"A"))
    assert frames == [Frame(b"GET / HTTP/1.0\r\n", 16, False), Frame(b"A", 1, True)]


def test_a_new_start_block_cuts_the_unfinished_frame():
    frames = deframe(VT + b"half" + frame(b"whole"))
    assert frames == [Frame(b"half", 4, False), Frame(b"whole", 5, True)]


def test_a_frame_cut_by_the_end_of_the_stream_is_returned_unframed():
    assert deframe(VT + b"MSH|half") == [Frame(b"MSH|half", 8, False)]


def test_an_oversized_frame_keeps_only_max_size_bytes_and_counts_the_rest():
    [received] = deframe(frame(b"x" * 25), max_size=10)
    assert (received.data, received.size, received.truncated) == (b"x" * 10, 25, True)


def test_a_flood_of_garbage_never_holds_more_than_max_size():
    deframer = Deframer(max_size=1000)
    for _ in range(100):
        assert deframer.feed(b"\xff" * 10_000) == []
    assert len(deframer.outside.kept) == 1000
    [junk] = deframer.close()
    assert (len(junk.data), junk.size, junk.framed) == (1000, 1_000_000, False)


@settings(max_examples=400)
@given(st.lists(st.binary(max_size=60), max_size=20))
def test_any_bytes_never_raise_and_respect_the_limit(chunks):
    frames = deframe(*chunks, max_size=32)
    assert all(len(f.data) <= 32 and f.size >= len(f.data) for f in frames)
    assert sum(f.size for f in frames) <= sum(len(c) for c in chunks)


payloads = st.lists(st.binary(max_size=80).map(
    lambda b: b.replace(VT, b"").replace(FS, b"")), min_size=1, max_size=6)


@settings(max_examples=300)
@given(payloads, st.lists(st.integers(0, 600), max_size=8))
def test_framing_then_deframing_gives_the_payloads_back(messages, cuts):
    wire = b"".join(frame(m) for m in messages)
    points = sorted({min(c, len(wire)) for c in cuts})
    chunks = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)], strict=True)]
    assert deframe(*chunks) == [Frame(m, len(m), True) for m in messages]


@settings(max_examples=300)
@given(payloads, st.lists(st.binary(max_size=30).map(lambda b: b.replace(VT, b"")),
                          min_size=6, max_size=6))
def test_garbage_between_frames_never_loses_a_frame(messages, garbage):
    wire = b"".join(junk + frame(m) for junk, m in zip(garbage, messages, strict=False))
    framed = [f.data for f in deframe(wire) if f.framed]
    assert framed == messages


# --- the listener on a real socket -----------------------------------------------------


def connect(server: MllpServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def exchange(sock: socket.socket, payload: bytes) -> bytes:
    """Send one framed message and wait for its framed answer."""
    sock.sendall(frame(payload))
    deframer = Deframer()
    while True:
        chunk = sock.recv(4096)
        assert chunk, "the listener closed the connection without answering"
        if answers := deframer.feed(chunk):
            return answers[0].data


def status_code(ack: bytes) -> str:
    return adt.ack_code(ack.decode("ascii"))


@pytest.fixture
def feed(world):
    return connect_hospital(world)


@pytest.fixture
def person(feed, liaison_nurse):
    return admitted_person(feed, liaison_nurse)


@pytest.fixture
def listener(feed):
    server = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05,
                        stall_seconds=30)
    server.start_in_thread()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_good_sender_is_answered_while_a_bad_and_a_slow_one_misbehave(listener, person):
    slow = connect(listener)
    slow.sendall(VT + adt_message(control_id="SLOW1")[:40])  # half a frame, then silence
    bad = connect(listener)
    bad.sendall(b"\x00\xffGARBAGE" + VT + b"not hl7 at all" + FS + CR)
    good = connect(listener)

    answers = [exchange(good, adt_message(event, control_id=f"GOOD{n}", discharged=discharged))
               for n, (event, discharged) in enumerate([("A01", ""), ("A08", ""),
                                                       ("A03", "20260318140000")])]

    assert [status_code(a) for a in answers] == ["AA", "AA", "AA"]
    bad.settimeout(5)
    bad_answers = Deframer().feed(bad.recv(4096) + _more(bad))
    assert sorted(status_code(a.data) for a in bad_answers) == ["AE", "AR"]
    assert adt.drain() == 3
    assert Stay.objects.get(person=person).discharged_at is not None
    for sock in (slow, bad, good):
        sock.close()


def _more(sock: socket.socket) -> bytes:
    """Whatever else arrives within a second (the two answers may come in two reads)."""
    sock.settimeout(1)
    try:
        return sock.recv(4096)
    except TimeoutError:
        return b""


@pytest.mark.django_db(transaction=True)
def test_a_frame_cut_off_by_a_disconnect_is_kept(listener, person):
    sock = connect(listener)
    sock.sendall(VT + adt_message(control_id="CUT1")[:60])
    sock.close()

    kept = _wait_for(lambda: AdtMessage.objects.filter(status=AdtStatus.REJECTED).first())

    assert "Not received as one MLLP frame" in kept.problem
    assert "Control id seen" not in kept.problem  # the cut came before MSH-10
    assert kept.raw == adt_message(control_id="CUT1")[:60].decode()


@pytest.mark.django_db(transaction=True)
def test_a_sender_stalled_in_a_frame_is_disconnected_and_its_partial_frame_kept(feed):
    server = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05,
                        stall_seconds=0.3)
    server.start_in_thread()
    try:
        quiet, stalled = connect(server), connect(server)
        stalled.sendall(VT + b"MSH|^~\\&|HIS|")
        stalled.settimeout(5)
        assert stalled.recv(10) == b""  # closed by the listener
        kept = _wait_for(lambda: AdtMessage.objects.filter(raw="MSH|^~\\&|HIS|").first())
        assert kept.status == AdtStatus.REJECTED
        # Silence between frames is normal: the quiet connection still works.
        assert status_code(exchange(quiet, b"not hl7")) == "AE"
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_sender_trickling_a_frame_byte_by_byte_is_disconnected_too(feed):
    server = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05,
                        stall_seconds=0.5)
    server.start_in_thread()
    try:
        trickling = connect(server)
        trickling.sendall(VT)
        closed_after = None
        started = time.monotonic()
        for byte in b"MSH|^~\\&|" * 10:
            try:
                trickling.sendall(bytes([byte]))
            except OSError:
                closed_after = time.monotonic() - started
                break
            time.sleep(0.05)
        assert closed_after is not None and closed_after < 3
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_message_whose_sender_leaves_before_the_ack_is_stored_and_a_resend_is_a_duplicate(
        listener, person):
    sock = connect(listener)
    sock.sendall(frame(adt_message(control_id="GONE1")))
    sock.close()
    _wait_for(lambda: AdtMessage.objects.filter(control_id="GONE1").first())

    with connect(listener) as again:
        answer = exchange(again, adt_message(control_id="GONE1"))

    assert answer.decode() == AdtMessage.objects.get(control_id="GONE1").ack
    assert adt.drain() == 1
    assert Stay.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_connections_beyond_the_limit_are_closed_at_once(feed):
    server = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05,
                        max_connections=1)
    server.start_in_thread()
    try:
        first = connect(server)
        time.sleep(0.2)
        second = connect(server)
        second.settimeout(5)
        assert second.recv(10) == b""
        assert status_code(exchange(first, b"not hl7")) == "AE"
    finally:
        server.stop()


def _wait_for(find, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if found := find():
                return found
        except OperationalError:
            pass  # the test's in-memory SQLite: "table is locked" while the writer writes
        time.sleep(0.05)
    raise AssertionError("not stored in time")


@pytest.mark.django_db(transaction=True)
def test_messages_waiting_from_several_senders_are_written_as_one_group(feed, monkeypatch):
    groups, first_group_may_go = [], threading.Event()
    original = receive_frames

    def watched(arrivals, lookups):
        groups.append(len(arrivals))
        if len(groups) == 1:
            first_group_may_go.wait(10)  # meanwhile the other senders' messages queue up
        return original(arrivals, lookups)

    # Feed looks receive_frames up in its own module.
    monkeypatch.setattr("relais.interop.adt.feed.receive_frames", watched)
    writer = adt.Feed()
    server = MllpServer(("127.0.0.1", 0), writer, poll_seconds=0.05)
    server.start_in_thread()
    try:
        senders = [connect(server) for _ in range(4)]
        answers = [None] * 4

        def send(n):
            answers[n] = exchange(senders[n], b"not hl7 " + bytes([65 + n]))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
        threads[0].start()
        _wait_for(lambda: groups)
        for thread in threads[1:]:
            thread.start()
        _wait_for(lambda: writer.waiting.qsize() == 3)
        first_group_may_go.set()
        for thread in threads:
            thread.join(10)
    finally:
        server.stop()

    assert groups == [1, 3]
    assert [status_code(answer) for answer in answers] == ["AE"] * 4
    assert AdtMessage.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_two_listeners_share_one_port(feed):
    first = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05, reuse_port=True)
    first.start_in_thread()
    second = MllpServer(("127.0.0.1", first.port), adt.Feed(), poll_seconds=0.05,
                        reuse_port=True)
    second.start_in_thread()
    try:
        first.stop()  # the port stays open: the second listener answers on it
        with connect(second) as sock:
            assert status_code(exchange(sock, b"not hl7")) == "AE"
    finally:
        second.stop()
