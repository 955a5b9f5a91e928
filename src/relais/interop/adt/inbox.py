"""The inbox: messages the listener stored and acknowledged (status RECEIVED) are applied
here, behind it, in order per patient (issue 16).

Order. Each stored message has a lane: its hospital and patient id (receipt.lane); a
merge also holds the lane of the id it retires. A message is applied only when no earlier
message (by id, the order they were stored in) of any of its lanes is still waiting or
failed: a patient's later message never goes before an earlier one, other patients' go
on. Applier threads and processes run side by side: on PostgreSQL each takes the next
messages with `FOR UPDATE SKIP LOCKED` and applies them in the same transaction that
records their outcome, so a message is applied once, whoever crashes when (a crash undoes
the transaction and frees the lock); on SQLite, one writer at a time anyway (IMMEDIATE
transactions), the same query without the lock.

Outcome. Applied, kept waiting for a person (a match, a merge to confirm) or kept and not
used, as before; what Relais' rules refuse (a date that is not a date, another open stay…)
is REJECTED and its application acknowledgement (`result`) says AE, as the answer did
when messages were applied before their ACK; it holds nothing up and can be retried from
the pending page. An error Relais did not foresee makes the message FAILED: it holds its
patient's later messages (shown as waiting behind it) until a person retries it or sets it
aside on the pending page. A database that fails undoes the batch; it is tried again.

`backlog()` is what the feed's health page and `relais adt-status` read.
"""

import logging
import threading
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.audit import log as audit
from relais.core.transactions import all_or_nothing
from relais.interop.adt.ack import build_ack
from relais.interop.adt.apply import Outcome, ignored, run_event
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.event import AdtEvent, read_stored
from relais.interop.adt.feed import handle
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.matching import match_person
from relais.interop.adt.merge import MERGES, apply_merge
from relais.interop.adt.received import Received, read_header
from relais.stays.models import ADT_BACKLOG, AdtMessage, AdtSource, AdtStatus

logger = logging.getLogger(__name__)

BATCH = 20  # messages applied in one transaction (one commit, one round of audit events)
# SQLite has one writer: an applier's transaction makes the listener wait, and the sender
# with it. There the applier writes one message at a time and then steps aside a moment,
# so that an ACK never waits for more than one message being applied.
SQLITE_BATCH, SQLITE_STEP_ASIDE = 1, 0.02
IDLE_SECONDS = 0.2  # how long an applier with nothing to do waits before it looks again
RETRY_SECONDS = 2.0  # after the database failed
# A person registered at the hospital is not a reason to wait for a match in Relais:
# Relais follows the persons it holds, not the hospital's whole index.
PERSON_ONLY = frozenset({"A28", "A31"})
# The database's own trouble (a lost connection, a deadlock): nothing is wrong with the
# message; the batch is undone and tried again.
DATABASE_TROUBLE = (OperationalError, InterfaceError)
RECEIVED, FAILED = AdtStatus.RECEIVED.value, AdtStatus.FAILED.value
TABLE = AdtMessage._meta.db_table

# The next messages that may be applied: waiting, and no earlier message of any of their
# lanes waiting or failed. The statuses are written out (not parameters) so that
# PostgreSQL matches its partial indexes (stays.AdtMessage.Meta.indexes).
NEXT = f"""
SELECT m.* FROM {TABLE} m
WHERE m.status = '{RECEIVED}'
  AND NOT EXISTS (SELECT 1 FROM {TABLE} e
                  WHERE e.status IN ('{RECEIVED}', '{FAILED}') AND e.id < m.id
                    AND e.lane IN (m.lane, m.lane_also))
  AND NOT EXISTS (SELECT 1 FROM {TABLE} e
                  WHERE e.status IN ('{RECEIVED}', '{FAILED}') AND e.id < m.id
                    AND e.lane_also <> '' AND e.lane_also IN (m.lane, m.lane_also))
ORDER BY m.id LIMIT %s"""  # noqa: S608 - the model's table and constants, no input
ONE = f"SELECT m.* FROM {TABLE} m WHERE m.id = %s AND m.status IN "  # noqa: S608


def _locked(statement: str) -> str:
    """Rows another applier holds are skipped, not waited for (PostgreSQL)."""
    return statement + (" FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else "")


@contextmanager
def unit_of_work():
    """The transaction messages are applied in: kept or undone whole, so the services
    inside take no savepoints, and the audit events are written once, at its end."""
    with all_or_nothing(), audit.gathered():
        yield


# --- applying ------------------------------------------------------------------------


def apply_batch(most: int = BATCH, lookups: Lookups | None = None) -> int:
    """Apply the next messages that may go (at most `most`), in one transaction; returns
    how many were taken. If one is refused or fails, the transaction is undone and each
    is applied on its own, so the others lose nothing but time."""
    lookups = lookups or Lookups()
    taken: list[int] = []
    try:
        with unit_of_work():
            messages = list(AdtMessage.objects.raw(_locked(NEXT), [most]))
            taken.extend(message.pk for message in messages)
            for message in messages:
                apply_message(message, lookups)
        return len(taken)
    except DATABASE_TROUBLE:
        raise
    except Exception:
        if not taken:
            raise
    for pk in taken:
        apply_one(pk, lookups=lookups)
    return len(taken)


def apply_one(pk: int, *, actor=None, lookups: Lookups | None = None,
              statuses: tuple[str, ...] = (RECEIVED,)) -> AdtMessage | None:
    """One message in a transaction of its own: applied, refused (REJECTED, AE) or failed
    (FAILED, holding its lane). None when it is not in `statuses` or another applier has
    it. `actor`: the person who asked (a retry), else the feed."""
    lookups = lookups or Lookups()
    try:
        with unit_of_work():
            message = _lock_one(pk, statuses)
            if message is not None:
                apply_message(message, lookups, actor)
                _audit_retry(message, actor)
            return message
    except DATABASE_TROUBLE:
        raise
    except Refused as refusal:
        return _finish(pk, statuses, actor, status=AdtStatus.REJECTED, note=refusal.reason,
                       code=refusal.code, error=refusal.error)
    except Exception as error:
        logger.exception("ADT: applying message %s failed", pk)
        return _finish(pk, statuses, actor, status=AdtStatus.FAILED, code="AR",
                       error=Err.INTERNAL,
                       note=f"Internal error in Relais while applying it ({type(error).__name__}"
                            "); kept, and the patient's later messages wait for it.")


def _lock_one(pk: int, statuses: tuple[str, ...]) -> AdtMessage | None:
    among = "(" + ", ".join(["%s"] * len(statuses)) + ")"
    return next(iter(AdtMessage.objects.raw(_locked(ONE + among), [pk, *statuses])), None)


def _finish(pk, statuses, actor, *, status, note, code, error) -> AdtMessage | None:
    """A message refused or failed, written down in a transaction of its own (the one that
    applied it was undone)."""
    with transaction.atomic():
        message = _lock_one(pk, statuses)
        if message is not None:
            record(message, status, note, code=code, error=error)
            _audit_retry(message, actor)
        return message


def apply_message(message: AdtMessage, lookups: Lookups, actor=None) -> None:
    """Read, match and apply one stored message, and record what it did, in the caller's
    transaction. Raises Refused (the caller undoes the changes)."""
    with translation.override("en"):
        event = read_stored(message.raw, received_at=message.received_at)
        message.hospital = hospital = lookups.organisation(message.hospital_id)
        message.patient_id, message.niss = event.patient_id, event.niss
        outcome = decide(event, message, hospital, lookups, actor)
    record(message, outcome.status, outcome.note, stay=outcome.stay, notes=event.notes)


def decide(event: AdtEvent, message: AdtMessage, hospital, lookups: Lookups,
           actor=None) -> Outcome:
    """What the message does (applied, pending, ignored); raises Refused."""
    if event.trigger in MERGES:
        return apply_merge(hospital, event, message)
    person_id = match_person(hospital, event)
    if person_id is None and event.trigger in PERSON_ONLY:
        return ignored("Relais holds no record for this person: nothing to update.")
    if person_id is None:
        return Outcome(AdtStatus.PENDING_MATCH,
                       "Kept: no person matches yet; a liaison nurse will link it.")
    return run_event(event, person_id, hospital, actor=actor, lookups=lookups)


def record(message: AdtMessage, status: str, note: str, *, code: str = "AA", error=None,
           stay=None, notes=()) -> None:
    """The outcome on the row: status, the application acknowledgement (`result`), what
    happened (`problem`, with what the receipt noted, or before a retry what it said)."""
    before = message.problem
    if message.attempts:
        before = f"(Before: {before[:300]})" if before else ""
    message.problem = " ".join(filter(None, [note, *[n for n in notes if n not in before],
                                             before]))
    message.status, message.stay = status, stay
    message.result = build_ack(read_header(message.raw), code, note, error)
    message.handled_at = None if status == AdtStatus.FAILED else timezone.now()
    message.attempts += 1
    message.save(update_fields=["status", "stay", "problem", "result", "handled_at",
                                "attempts", "hospital", "patient_id", "niss"])


def _audit_retry(message: AdtMessage, actor) -> None:
    if actor is not None:
        audit.record("adt.retry", actor=actor, target=message, organisation=message.hospital,
                     detail={"status": message.status})


def drain(lookups: Lookups | None = None) -> int:
    """Apply everything that may be applied now; returns how many messages were taken.
    What the applier does, at once: for tests, tools and the shell."""
    lookups = lookups or Lookups()
    total = 0
    while taken := apply_batch(lookups=lookups):
        total += taken
    return total


# --- a person's hand: retry, set aside --------------------------------------------------


def may_retry(message: AdtMessage) -> bool:
    """Failed, or refused by Relais' rules after it was acknowledged (a message refused on
    receipt has no lane: its sender was told, and resends it)."""
    return message.status == AdtStatus.FAILED or (
        message.status == AdtStatus.REJECTED and bool(message.lane))


def retry(message: AdtMessage, *, actor) -> AdtMessage:
    """Apply again, now and as `actor`, a message that failed or that Relais' rules refused
    after acknowledging it; the patient's messages waiting behind it then go on. Audited."""
    if not may_retry(message):
        raise ValidationError(_("This message cannot be applied again."), code="not_retryable")
    done = apply_one(message.pk, actor=actor, statuses=(AdtStatus.FAILED, AdtStatus.REJECTED))
    if done is None:
        raise ValidationError(_("This message was already dealt with."), code="resolved")
    return done


@transaction.atomic
def set_aside(message: AdtMessage, *, actor) -> AdtMessage:
    """A person decides a failed message will not be applied: it is refused for good and
    the patient's later messages go on. Audited."""
    locked = _lock_one(message.pk, (AdtStatus.FAILED,))
    if locked is None:
        raise ValidationError(_("This message was already dealt with."), code="resolved")
    record(locked, AdtStatus.REJECTED, "Set aside by a person: not applied.", code="AE",
           error=Err.INTERNAL)
    audit.record("adt.set_aside", actor=actor, target=locked, organisation=locked.hospital)
    return locked


def waiting_behind(messages) -> dict[int, int]:
    """For each failed message, how many of its patient's later messages wait for it."""
    lanes = {message.lane: message.pk for message in messages if message.lane}
    counts = dict.fromkeys((message.pk for message in messages), 0)
    rows = (AdtMessage.objects.filter(status=AdtStatus.RECEIVED, lane__in=lanes)
            .values_list("lane", "pk"))
    for lane, pk in rows:
        if pk > lanes[lane]:
            counts[lanes[lane]] += 1
    return counts


# --- the feed's health ------------------------------------------------------------------


def backlog(source: AdtSource | str | None = None) -> dict[str, dict]:
    """The inbox per sender (MSH-3^MSH-4, as stored on each message), for the feed's health
    page and `relais adt-status`:

        {"HIS^CHU-TEST": {"waiting": 12, "oldest_waiting_seconds": 4.2, "failed": 1,
                          "blocked": 3, "unstored": 0}, …}

    waiting: stored, not applied yet (failed ones not counted); oldest_waiting_seconds:
    the age of the oldest of them (None when none waits); failed: holding their patient's
    later messages; blocked: waiting behind a failed one; unstored: refused while the
    database was unreachable and not sent again since. Only senders with something to
    report appear. `source`: an ADT source (its name is MSH-4, or MSH-3 when MSH-4 is
    empty) or a sender as stored."""
    rows = AdtMessage.objects.filter(status__in=ADT_BACKLOG)  # a small partial index
    if source is not None:
        rows = rows.filter(_from(source))
    now, found = timezone.now(), {}
    for sender, status, count, oldest in (rows.order_by().values_list("sender", "status")
                                          .annotate(Count("id"), Min("received_at"))):
        entry = found.setdefault(sender, {"waiting": 0, "oldest_waiting_seconds": None,
                                          "failed": 0, "blocked": 0, "unstored": 0})
        key = {AdtStatus.RECEIVED: "waiting", AdtStatus.FAILED: "failed"}.get(status,
                                                                             "unstored")
        entry[key] = count
        if status == AdtStatus.RECEIVED:
            entry["oldest_waiting_seconds"] = (now - oldest).total_seconds()
    failed_before = AdtMessage.objects.filter(status=AdtStatus.FAILED, lane=OuterRef("lane"),
                                              id__lt=OuterRef("id"))
    for sender, count in (rows.filter(status=AdtStatus.RECEIVED).filter(Exists(failed_before))
                          .order_by().values_list("sender").annotate(Count("id"))):
        found[sender]["blocked"] = count
    return found


def _from(source: AdtSource | str) -> Q:
    if isinstance(source, AdtSource):
        name = source.sending_facility
        return Q(sender__endswith=f"^{name}") | Q(sender=f"{name}^")
    return Q(sender=source)


# --- the applier ------------------------------------------------------------------------


class Applier(threading.Thread):
    """The loop that applies the inbox: a batch whenever there is one, else a look every
    `idle` seconds. `relais adt-apply` runs it (`relais adt-listen` starts that process);
    several may run at once, in threads or processes. A batch the database fails is
    tried again after RETRY_SECONDS, on a new connection."""

    def __init__(self, *, most: int | None = None, idle: float = IDLE_SECONDS):
        super().__init__(name="adt-applier", daemon=True)
        self.most, self.idle = most, idle
        self.stopping = threading.Event()

    def run(self) -> None:
        lookups = Lookups(ttl=60)
        try:
            while not self.stopping.is_set():
                self.stopping.wait(self._pause(lookups))
        finally:
            connection.close()

    def _pause(self, lookups: Lookups) -> float:
        """Apply a batch; how long to wait before the next (0: go on at once)."""
        sqlite = connection.vendor == "sqlite"
        try:
            if not apply_batch(self.most or (SQLITE_BATCH if sqlite else BATCH), lookups):
                return self.idle
            return SQLITE_STEP_ASIDE if sqlite else 0
        except DATABASE_TROUBLE as error:
            logger.warning("ADT applier: the database failed (%s); trying again in %.0f s",
                           str(error).strip().splitlines()[0] if str(error).strip() else
                           type(error).__name__, RETRY_SECONDS)
        except Exception:
            logger.exception("ADT applier: a batch failed; trying again in %.0f s",
                             RETRY_SECONDS)
        connection.close()
        return RETRY_SECONDS

    def stop(self, wait: float) -> None:
        """Finish the batch under way (at most `wait` seconds; one cut short is undone)."""
        self.stopping.set()
        self.join(timeout=wait)


# --- at once, for tests and the shell ---------------------------------------------------


def deliver(raw: bytes, **options) -> bytes:
    """Receive one message as the listener does, then apply the inbox as the applier
    would; returns the message's application acknowledgement (what its ACK said before
    the inbox, and what enhanced mode sends after applying), or the ACK on receipt when
    it never reached the inbox (refused, or not stored). For tests, tools and the shell."""
    ack = handle(raw, **options)
    drain()
    received = Received.from_wire(raw)
    if not (received.whole and received.control_id):
        return ack
    result = (AdtMessage.objects.filter(sender=received.sender, control_id=received.control_id,
                                        content_hash=received.content_hash)
              .values_list("result", flat=True).first())
    return result.encode("ascii") if result else ack
