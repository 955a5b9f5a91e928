"""Storing a message on receipt: its verdict (receipt.judge), the row written with the ACK
it gets, in one transaction; the ACK leaves after the commit. The same message again
(sender, control id and content) gets the first answer; a control id reused for other
content is a new message. Several messages share one transaction (`process_together`,
for the feed's group commit). Applying them is the inbox's work (inbox.py).
"""

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from relais.core import sql
from relais.interop.adt.ack import Mode, ack_code, build_ack
from relais.interop.adt.errors import Refused
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.receipt import Verdict, judge
from relais.interop.adt.received import Received
from relais.stays.models import AdtMessage, AdtStatus

# A stored copy answered with one of these may be replaced by a resend (HL7's AR and CR
# invite one), and so may the trace of a message refused while the database was down.
RETRY_CODES = frozenset({"AR", "CR"})


@dataclass(frozen=True)
class Earlier:
    """The stored copy of a message with the same sender and control id."""

    pk: int
    status: str
    ack: str

    @property
    def may_retry(self) -> bool:
        """HL7's AR invites a resend; anything else was answered for good."""
        return self.status == AdtStatus.UNSTORED or (
            self.status == AdtStatus.REJECTED and ack_code(self.ack) in RETRY_CODES)


def earlier_copy(received: Received) -> Earlier | None:
    """The stored copy of this same message (sender, control id and content), if any. A
    control id used before for other content is noted: the message is a new one."""
    if not (received.whole and received.control_id):
        return None
    # One query: the copy with the same content first, else any with this control id.
    found = sql.fetch_one("SELECT id, status, ack, content_hash FROM {message} "
                          "WHERE sender = %s AND control_id = %s "
                          "ORDER BY CASE WHEN content_hash = %s THEN 0 ELSE 1 END LIMIT 1",
                          [received.sender, received.control_id, received.content_hash],
                          message=AdtMessage)
    return _same_content(received, [found] if found else [])


def _same_content(received: Received, copies: list[tuple]) -> Earlier | None:
    """Of the stored copies with this sender and control id (id, status, ack, hash), the
    one with the same content; a control id used before for other content is noted."""
    for copy in copies:
        if copy[3] == received.content_hash:
            return Earlier(*copy[:3])
    if copies:
        note = (f"Control id {received.control_id[:60]} was used before for another "
                "message: processed as a new message.")
        if note not in received.notes:
            received.notes.append(note)
    return None


def earlier_copies(group: list[Received]) -> dict[tuple[str, str], list[tuple]]:
    """`earlier_copy` for a whole group, in one query: {(sender, control id): copies}."""
    keys = {(r.sender, r.control_id) for r in group if r.whole and r.control_id}
    found: dict[tuple[str, str], list[tuple]] = {}
    if not keys:
        return found
    where = " OR ".join(["(sender = %s AND control_id = %s)"] * len(keys))
    table = connection.ops.quote_name(AdtMessage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, status, ack, content_hash, sender, control_id "  # noqa: S608
                       f"FROM {table} WHERE {where}", [v for key in keys for v in key])
        for row in cursor.fetchall():
            found.setdefault((row[4], row[5]), []).append(row[:4])
    return found


def record_for(received: Received, earlier: Earlier | None) -> AdtMessage:
    """The row to store. A resend of a refused copy is a new row, stored in place of that
    copy (deleted in the same transaction): its place in the patient's order is the time
    it was finally stored."""
    if not received.whole and received.control_id:
        received.notes.append(f"Control id seen: {received.control_id[:60]}.")
    message = AdtMessage(received_at=timezone.now(), sender=received.sender,
                         event=received.trigger, raw=received.text,
                         control_id=received.control_id if received.whole else "",
                         content_hash=received.content_hash if received.whole else "")
    message.replaces = earlier.pk if earlier else None
    return message


def accept(received: Received, message: AdtMessage, verdict: Verdict) -> None:
    message.status, message.lane, message.lane_also = verdict.status, verdict.lane, (
        verdict.lane_also)
    message.problem = " ".join(received.notes)
    message.ack = build_ack(received.header, Mode(received.header).commit_code("AA"),
                            verdict.note)
    if verdict.status != AdtStatus.RECEIVED:  # kept and not used: its fate is known now
        message.result = build_ack(received.header, "AA", verdict.note)
        message.handled_at = message.received_at


def refuse(received: Received, message: AdtMessage, refusal: Refused) -> None:
    notes = [*received.notes, f"From {received.peer}." if received.peer else ""]
    message.status, message.stay, message.lane, message.lane_also = (
        AdtStatus.REJECTED, None, "", "")
    message.problem = " ".join(filter(None, [refusal.reason, *notes]))
    message.ack = build_ack(received.header, Mode(received.header).commit_code(refusal.code),
                            refusal.reason, refusal.error)
    message.handled_at = message.received_at


def judged(received: Received, lookups: Lookups, earlier: Earlier | None) -> AdtMessage:
    """The row, with its verdict and ACK, not saved yet."""
    message = record_for(received, earlier)
    try:
        accept(received, message, judge(received, message, lookups))
    except Refused as refusal:
        refuse(received, message, refusal)
    return message


def save(message: AdtMessage) -> None:
    if message.replaces:
        AdtMessage.objects.filter(pk=message.replaces).delete()
    message.save(force_insert=True)


def process(received: Received, lookups: Lookups) -> AdtMessage:
    """Store one message (its own transaction); the stored row, whose `ack` is the
    answer. The same message again returns the stored copy."""
    earlier = earlier_copy(received)
    if earlier is not None and not earlier.may_retry:
        return _stored(earlier)
    message = judged(received, lookups, earlier)
    try:
        with transaction.atomic():
            save(message)
    except IntegrityError:
        # Another connection stored the same message meanwhile: answer as it did.
        earlier = earlier_copy(received)
        if earlier is None:
            raise
        return _stored(earlier)
    return message


def _stored(earlier: Earlier) -> AdtMessage:
    return AdtMessage(pk=earlier.pk, status=earlier.status, ack=earlier.ack)


class NotTogether(Exception):
    """The group could not be stored in one transaction (another listener stored one of
    its messages meanwhile): each message is stored on its own."""


def process_together(group: list[Received], lookups: Lookups) -> list[AdtMessage]:
    """Several messages in one transaction, answered after its one commit (group commit):
    one query for their stored copies, one INSERT for the new ones. The answers are those
    one by one would give, in arrival order; only the round trips are shared."""
    copies = earlier_copies(group)
    answers, new, by_key = [], [], {}
    for received in group:
        key = (received.sender, received.control_id, received.content_hash)
        if received.whole and received.control_id and key in by_key:
            answers.append(by_key[key])  # the same message twice in this group
            continue
        same = copies.setdefault(key[:2], [])
        earlier = _same_content(received, same) if received.whole else None
        if earlier is not None and not earlier.may_retry:
            answers.append(_stored(earlier))
            continue
        message = judged(received, lookups, earlier)
        by_key[key] = message
        same.append((None, message.status, message.ack, received.content_hash))
        new.append(message)
        answers.append(message)
    try:
        if any(message.replaces for message in new):
            with transaction.atomic():
                AdtMessage.objects.filter(pk__in=[m.replaces for m in new]).delete()
                AdtMessage.objects.bulk_create(new)
        else:
            insert(new)
    except IntegrityError as error:
        raise NotTogether from error
    return answers


def insert(messages: list[AdtMessage]) -> None:
    """One INSERT … RETURNING id of every new row, outside any transaction block: the
    statement is its own transaction, committed (flushed to disk) when it returns. One
    round trip for the whole group, where BEGIN, INSERT and COMMIT would take three: the
    listener's ACKs wait for it (measured, bench/adt_feed.py). All or none: a row that
    another listener stored meanwhile fails the statement (IntegrityError)."""
    if not messages:
        return
    if connection.in_atomic_block:  # a caller's transaction (tests): the ORM does the same
        AdtMessage.objects.bulk_create(messages)
        return
    fields = [f for f in AdtMessage._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(message, add=True), connection)
              for message in messages for f in fields]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    statement = (f"INSERT INTO {quote(AdtMessage._meta.db_table)} "  # noqa: S608 - names
                 f"({', '.join(quote(f.column) for f in fields)}) "
                 f"VALUES {', '.join([one] * len(messages))} RETURNING {quote('id')}")
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        ids = [row[0] for row in cursor.fetchall()]
    for message, pk in zip(messages, ids, strict=True):
        message.pk = pk
