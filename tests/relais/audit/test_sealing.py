"""Sealed batches: the sealer seals what is committed; `relais audit verify` names each
kind of tampering (changed, deleted, moved, never sealed, a forged batch); proofs."""

import hashlib
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError, DataError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.audit import log as audit
from relais.audit import merkle, sealing, verification
from relais.audit.models import GENESIS_HASH, AppendOnlyError, AuditBatch, AuditEvent
from relais.core import requestcontext

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"
NOW = timedelta(0)


def write_events(count: int) -> list[AuditEvent]:
    return [audit.record("test.event", detail={"n": n}) for n in range(count)]


def sealed_events(count: int) -> list[AuditEvent]:
    events = write_events(count)
    sealing.seal(grace=NOW)
    return events


def tamper(sql: str, params=()) -> None:
    """Change rows behind Relais's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:  # a superuser can switch triggers off; that is what we simulate
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("SET session_replication_role = origin")


def problems() -> list[str]:
    return [str(problem) for problem in verification.verify_batches()]


def verify_output(capsys) -> str:
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    return capsys.readouterr().err + str(error.value)


# --- sealing -----------------------------------------------------------------------------


def test_the_sealer_seals_committed_events_into_a_merkle_batch():
    events = sealed_events(5)
    [batch] = AuditBatch.objects.all()
    leaves = [bytes.fromhex(event.hash) for event in events]
    assert (batch.number, batch.first_id, batch.last_id, batch.count) == (
        1, 1, events[-1].pk, 5)
    # Ids taken before (by other tests, on PostgreSQL) are a gap run, not one per id.
    assert batch.gaps == ([[1, events[0].pk - 1]] if events[0].pk > 1 else [])
    assert batch.leaf_list() == leaves and batch.root == merkle.root(leaves).hex()
    assert batch.prev_head == GENESIS_HASH and batch.head == batch.compute_head()
    assert problems() == []


def test_batches_chain_their_heads():
    sealed_events(2)
    sealed_events(3)
    first, second = AuditBatch.objects.order_by("number")
    assert second.prev_head == first.head and second.first_id == first.last_id + 1
    assert (first.count, second.count) == (2, 3) and problems() == []


def test_events_younger_than_the_grace_wait_for_the_next_run():
    write_events(2)
    assert sealing.seal() == 0 and not AuditBatch.objects.exists()
    assert sealing.seal(timezone.now() + sealing.GRACE) == 2


def test_a_rolled_back_event_is_a_gap_not_a_deletion(capsys):
    write_events(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = audit.record("test.rolled_back")
        raise RuntimeError
    kept = write_events(1)[0]
    sealing.seal(grace=NOW)
    [batch] = AuditBatch.objects.all()
    # PostgreSQL's sequence does not roll back; SQLite gives the id again.
    assert batch.gaps[-1:] == ([[lost.pk, lost.pk]] if ON_POSTGRES else [])
    assert batch.last_id == kept.pk
    call_command("audit", "verify")
    assert "audit log OK: 2 events in 1 batches" in capsys.readouterr().out


def test_an_event_committed_after_its_batch_is_sealed_late():
    first = write_events(1)[0]
    gap = first.pk + 1
    audit._append([AuditEvent(id=gap + 1, occurred_at=timezone.now(), action="test.after",
                              outcome="success")])  # the id after the gap is committed
    sealing.seal(grace=NOW)
    assert AuditBatch.objects.get().gaps[-1] == [gap, gap]
    # The transaction that held `gap` commits now (as a slow one would).
    late = AuditEvent(id=gap, occurred_at=timezone.now(), action="test.late",
                      outcome="success")
    audit._append([late])
    assert sealing.seal(grace=NOW) == 1
    second = AuditBatch.objects.get(number=2)
    assert second.late == [gap] and second.first_id == second.last_id + 1
    assert problems() == []
    assert verification.proof_for(late).holds


def test_an_event_slipped_into_a_gap_after_the_late_window_is_named(time_machine):
    present = timezone.now()
    time_machine.move_to(present - sealing.LATE_WINDOW - timedelta(minutes=1), tick=False)
    first = write_events(1)[0]
    audit._append([AuditEvent(id=first.pk + 2, occurred_at=timezone.now(),
                              action="test.after", outcome="success")])
    sealing.seal(grace=NOW)
    time_machine.move_to(present, tick=False)
    audit._append([AuditEvent(id=first.pk + 1, occurred_at=timezone.now(),
                              action="test.inserted", outcome="success")])
    sealing.seal(grace=NOW)  # too late: batch #1 is older than the late window
    assert problems() == [f"event id {first.pk + 1}: in the range of batch #1 but never "
                          "sealed (inserted afterwards, or committed too late to be sealed)"]


def test_an_event_in_a_recent_gap_waits_for_the_sealer_without_a_problem():
    first = write_events(1)[0]
    audit._append([AuditEvent(id=first.pk + 2, occurred_at=timezone.now(),
                              action="test.after", outcome="success")])
    sealing.seal(grace=NOW)
    audit._append([AuditEvent(id=first.pk + 1, occurred_at=timezone.now(),
                              action="test.late", outcome="success")])
    summary = verification.Summary()
    assert list(verification.verify_batches(summary)) == [] and summary.unsealed == 1


def test_big_logs_are_sealed_in_bounded_batches(monkeypatch):
    monkeypatch.setattr(sealing, "MAX_BATCH", 4)
    write_events(10)
    assert sealing.seal(grace=NOW) == 10
    assert list(AuditBatch.objects.values_list("count", flat=True)) == [4, 4, 2]
    assert problems() == []


# --- tampering, each named ----------------------------------------------------------------


def test_verify_names_an_edited_event(capsys):
    events = sealed_events(5)
    tamper("UPDATE access_auditevent SET action = 'harmless.thing' WHERE id = %s",
           [events[2].pk])
    output = verify_output(capsys)
    assert f"event id {events[2].pk}: content was changed after batch #1" in output
    assert output.count("BROKEN") == 1  # only the edited event is named


def test_verify_names_an_event_edited_with_its_hash_rewritten(capsys):
    events = sealed_events(3)
    event = AuditEvent.objects.get(pk=events[1].pk)
    event.action = "harmless.thing"
    tamper("UPDATE access_auditevent SET action = %s, hash = %s WHERE id = %s",
           [event.action, event.leaf_hash(), event.pk])
    assert f"event id {event.pk}: content was changed after batch #1" in verify_output(capsys)


def test_verify_names_a_deleted_event(capsys):
    events = sealed_events(5)
    tamper("DELETE FROM access_auditevent WHERE id = %s", [events[1].pk])
    output = verify_output(capsys)
    assert f"event id {events[1].pk}: deleted: batch #1" in output
    assert output.count("BROKEN") == 1


def test_verify_names_reordered_events(capsys):
    events = sealed_events(5)
    a, b = events[1].pk, events[2].pk
    tamper("UPDATE access_auditevent SET id = -1 WHERE id = %s", [a])
    tamper("UPDATE access_auditevent SET id = %s WHERE id = %s", [a, b])
    tamper("UPDATE access_auditevent SET id = %s WHERE id = -1", [b])
    output = verify_output(capsys)
    assert f"event id {a}: out of order: it holds what batch #1" in output
    assert f"sealed as event id {b}" in output and f"event id {b}: out of order" in output


def test_verify_names_a_forged_batch_root(capsys):
    sealed_events(3)
    tamper("UPDATE audit_auditbatch SET root = %s", ["f" * 64])
    output = verify_output(capsys)
    assert "batch #1" in output and "forged" in output


def test_verify_names_a_batch_rebuilt_to_hide_a_change(capsys):
    """The attacker changes an event and rebuilds its batch (leaves, root, head) to
    match: the next batch's head no longer follows it."""
    events = sealed_events(2)
    sealed_events(2)
    changed = AuditEvent.objects.get(pk=events[0].pk)
    changed.action = "harmless.thing"
    first = AuditBatch.objects.get(number=1)
    leaves = [bytes.fromhex(changed.leaf_hash()), first.leaf_list()[1]]
    first.root = merkle.root(leaves).hex()
    tamper("UPDATE access_auditevent SET action = %s, hash = %s WHERE id = %s",
           [changed.action, changed.leaf_hash(), changed.pk])
    tamper("UPDATE audit_auditbatch SET leaves = %s, root = %s, head = %s WHERE number = 1",
           [b"".join(leaves), first.root, first.compute_head()])
    output = verify_output(capsys)
    assert "batch #2" in output and "the head chain is broken" in output
    assert "batch #1" not in output  # consistent in itself: the chain names the forgery


def test_verify_names_an_event_changed_before_it_was_sealed(capsys):
    event = write_events(1)[0]
    tamper("UPDATE access_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert f"event id {event.pk} (not sealed yet): content was changed" in verify_output(
        capsys)
    sealing.seal(grace=NOW)  # the sealer seals the hash written with the event
    assert f"event id {event.pk}: content was changed after batch #1" in verify_output(
        capsys)


def test_unsealed_events_older_than_the_sealing_delay_are_an_alarm(capsys):
    write_events(1)
    summary = verification.Summary()
    assert list(verification.verify_batches(summary)) == []
    assert not verification.sealer_is_late(summary)
    later = timezone.now() + sealing.SEALING_DELAY + timedelta(seconds=1)
    assert verification.sealer_is_late(summary, later)


def test_the_orm_and_postgres_refuse_to_change_batches():
    sealed_events(1)
    batch = AuditBatch.objects.get()
    with pytest.raises(AppendOnlyError):
        batch.save()
    with pytest.raises(AppendOnlyError):
        AuditBatch.objects.all().delete()
    if ON_POSTGRES:
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute("UPDATE audit_auditbatch SET count = 0")


# --- bounded memory ----------------------------------------------------------------------


def count_verify_queries(chunk: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert [str(p) for p in verification.verify_batches(chunk=chunk)] == []
    return len(queries)


def test_verify_reads_batch_by_batch_in_chunks_whatever_the_number_of_events(monkeypatch):
    monkeypatch.setattr(sealing, "MAX_BATCH", 20)
    write_events(6)
    sealing.seal(grace=NOW)
    small = count_verify_queries(chunk=2)
    write_events(14)  # the same batch count once sealed: 20 events fill batch #2
    sealing.seal(grace=NOW)
    two_batches = count_verify_queries(chunk=2)
    write_events(20)
    sealing.seal(grace=NOW)
    three_batches = count_verify_queries(chunk=2)
    # One query per batch (its events, streamed in chunks of 2), whatever its size.
    assert (two_batches - small, three_batches - two_batches) == (1, 1)


# --- inclusion proofs ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_every_event_has_a_proof_that_leads_to_its_batch_root(count):
    events = sealed_events(count)
    for event in events:
        proof = verification.proof_for(event)
        assert proof.holds and proof.root.hex() == proof.batch.root


def test_merkle_root_matches_rfc_9162_recursive_definition():
    def mth(leaves):
        if len(leaves) == 1:
            return leaves[0]
        k = merkle._split(len(leaves))
        return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))

    leaves = [hashlib.sha256(b"\x00" + bytes([n])).digest() for n in range(11)]
    for n in range(1, 12):
        assert merkle.root(leaves[:n]) == mth(leaves[:n])


def test_the_proof_command_prints_the_path_and_checks_it(capsys):
    events = sealed_events(5)
    call_command("audit", "proof", str(events[2].pk))
    out = capsys.readouterr().out
    assert f"event id {events[2].pk}: leaf 2 of batch #1" in out
    assert out.count("\npath ") == 3 and "the proof holds" in out
    tamper("UPDATE access_auditevent SET action = 'x' WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError, match="does NOT hold"):
        call_command("audit", "proof", str(events[2].pk))


def test_an_unsealed_event_has_no_proof_yet():
    event = write_events(1)[0]
    with pytest.raises(CommandError, match="not sealed yet"):
        call_command("audit", "proof", str(event.pk))


# --- the chain of the events written before batches ----------------------------------------


def write_chained(count: int) -> list[AuditEvent]:
    """Events as the hash chain wrote them before batches (seq, prev_hash, hash)."""
    events, prev = [], GENESIS_HASH
    for n in range(1, count + 1):
        event = AuditEvent(seq=n, prev_hash=prev, occurred_at=timezone.now(),
                           action="old.event", outcome="success", detail={"n": n})
        event.hash = prev = event.compute_hash()
        events.append(event)
    return AuditEvent.objects.bulk_create(events)


def test_the_existing_chain_is_sealed_by_the_first_run_and_still_verified(capsys):
    chained = write_chained(3)
    write_events(2)
    assert sealing.seal(grace=NOW) == 5
    call_command("audit", "verify")
    assert "5 events in 1 batches (3 of them hash-chained)" in capsys.readouterr().out
    tamper("UPDATE access_auditevent SET detail = '{}' WHERE seq = 2")
    output = verify_output(capsys)
    chained_id = AuditEvent.objects.get(seq=2).pk
    assert f"event #2 (id {chained_id}): content was changed" in output  # the chain
    assert f"event id {chained[1].pk}: content was changed after batch #1" in output


# --- concurrent writers (PostgreSQL: SQLite has one writer at a time) ----------------------


def write_from_a_thread(count: int, errors: list) -> None:
    try:
        for n in range(count):
            audit.record("test.concurrent", detail={"n": n})
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_are_sealed_once_each_while_the_sealer_runs():
    import threading

    errors: list = []
    writers = [threading.Thread(target=write_from_a_thread, args=(150, errors))
               for _ in range(2)]
    for writer in writers:
        writer.start()
    while any(writer.is_alive() for writer in writers):
        sealing.seal(grace=NOW)  # no grace: the gaps it leaves must fill in `late`
    for writer in writers:
        writer.join()
    sealing.seal(grace=NOW)
    assert errors == []
    sealed = [pk for batch in AuditBatch.objects.all() for pk in verification._member_ids(batch)]
    written = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert len(written) == 300 and sorted(sealed) == written  # none lost, none twice
    assert problems() == []


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_an_id_taken_by_a_transaction_still_open_is_sealed_when_it_commits():
    import threading

    inserted, release = threading.Event(), threading.Event()

    def slow_transaction():
        try:
            with transaction.atomic():
                audit.record("test.slow")
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    slow = threading.Thread(target=slow_transaction)
    slow.start()
    try:
        inserted.wait(10)
        after = write_events(1)[0]
        sealing.seal(grace=NOW)
    finally:
        release.set()
        slow.join()
    first = AuditBatch.objects.get()
    start, end = first.gaps[-1]  # with the ids other tests took before, on PostgreSQL
    assert first.last_id == after.pk and end == after.pk - 1 and start <= end
    assert sealing.seal(grace=NOW) == 1
    late = AuditEvent.objects.get(action="test.slow")
    assert AuditBatch.objects.get(number=2).late == [late.pk]
    assert problems() == [] and verification.proof_for(late).holds


@pytest.mark.skipif(not ON_POSTGRES, reason="the asynchronous commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_requests_reads_outside_a_transaction_are_one_statement_and_seal_like_others(
        home_nurse):
    with CaptureQueriesContext(connection) as queries, audit.reads_gathered():
        audit.record_read("person.read", actor=home_nurse, target=home_nurse, person_id=7,
                          detail={"for": "view"})
        audit.record_read("worklist.read", actor=home_nurse, persons=[2, 1])
    # Written on psycopg's own cursor, not through Django's (which would count it here):
    # one INSERT of both rows, whose RETURNING turned the commit's wait off.
    assert queries.captured_queries == []
    cursor = audit._kept_cursor(connection)
    assert cursor.statusmessage == "INSERT 0 2"
    assert cursor.fetchall() == [("off",), ("off",)]
    person, worklist = AuditEvent.objects.order_by("id")
    assert (person.person_id, person.actor, worklist.detail) == (
        7, home_nurse, {"persons": [1, 2], "count": 2})
    assert person.hash == person.leaf_hash() and worklist.hash == worklist.leaf_hash()
    sealing.seal(grace=NOW)
    assert problems() == [] and verification.proof_for(worklist).holds
    with connection.cursor() as cursor:  # the commit's setting was that transaction's only
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)


@pytest.mark.skipif(not ON_POSTGRES, reason="the kept cursor is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_reads_are_written_on_a_new_connection_after_django_closed_the_old_one(home_nurse):
    with audit.reads_gathered():
        audit.record_read("person.read", actor=home_nurse, person_id=1)
    before = audit._kept_cursor(connection)
    connection.close()  # as at the end of a request past CONN_MAX_AGE, or a failed one
    with audit.reads_gathered():
        audit.record_read("person.read", actor=home_nurse, person_id=2)
    assert audit._kept_cursor(connection) is not before
    assert list(AuditEvent.objects.order_by("id").values_list("person_id", flat=True)) == [
        1, 2]


@pytest.mark.skipif(not ON_POSTGRES, reason="the kept cursor is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_refused_read_write_raises_djangos_error_and_the_next_one_is_written(home_nurse):
    with pytest.raises(DataError), audit.reads_gathered():
        # An address PostgreSQL refuses as inet: the database, not Python, says no.
        token = requestcontext.activate(requestcontext.RequestContext("r", "not-an-ip"))
        try:
            audit.record_read("person.read", actor=home_nurse, person_id=1)
        finally:
            requestcontext.deactivate(token)
    with audit.reads_gathered():
        audit.record_read("person.read", actor=home_nurse, person_id=2)
    assert list(AuditEvent.objects.values_list("person_id", flat=True)) == [2]


@pytest.mark.skipif(not ON_POSTGRES, reason="prepared statements are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_requests_reads_are_a_statement_prepared_once_per_connection(home_nurse):
    for person in range(1, 9):  # psycopg prepares a statement at its fifth use
        with audit.reads_gathered():
            audit.record_read("person.read", actor=home_nurse, person_id=person)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements "
                       "WHERE statement LIKE 'INSERT INTO access_auditevent%%'")
        assert cursor.fetchone() == (1,)
    assert list(AuditEvent.objects.order_by("id").values_list("person_id", flat=True)) == [
        *range(1, 9)]
    sealing.seal(grace=NOW)
    assert problems() == []


def test_the_sealing_health_check_says_when_the_sealer_is_late(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    assert client.get("/healthz/audit").json() == {"status": "ok"}
    write_events(1)
    assert client.get("/healthz/audit").status_code == 200  # within the sealing delay
    time_machine.shift(sealing.SEALING_DELAY + timedelta(seconds=3))
    late = client.get("/healthz/audit")
    assert late.status_code == 503 and late.json()["status"] == "late"
    assert late.json()["oldest_unsealed_seconds"] >= 8
    sealing.seal()
    assert client.get("/healthz/audit").json() == {"status": "ok"}
