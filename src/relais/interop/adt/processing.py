"""One message's fate, in one transaction: the header checked, the event decided (ignored,
pending or applied), the message stored with its ACK; a refusal undoes its changes and
stores the message with the reason. The same message again (sender, control id and
content) gets the first answer; a control id reused for other content is a new message. Several
messages can share one transaction (`process_together`, for the feed's group commit).
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from relais.audit import log as audit
from relais.core import sql
from relais.core.transactions import all_or_nothing
from relais.interop.adt.ack import ack_code, build_ack
from relais.interop.adt.apply import Outcome, ignored, run_event
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.event import parse, read_event
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.matching import match_person
from relais.interop.adt.merge import MERGES, apply_merge
from relais.interop.adt.received import MAX_MESSAGE_BYTES, Header, Received
from relais.stays.models import AdtMessage, AdtStatus

SUPPORTED_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A05", "A08", "A11", "A12", "A13",
                              "A28", "A31", "A38", *MERGES})
# A person registered at the hospital is not a reason to wait for a match in Relais:
# Relais follows the persons it holds, not the hospital's whole index.
PERSON_ONLY = frozenset({"A28", "A31"})
# Relais follows hospital stays, not consultations (HL7 table 0004).
NOT_FOLLOWED_CLASSES = frozenset({"O", "R"})


def check_header(received: Received) -> Header:
    header = received.header
    if received.too_large:
        raise Refused(f"The message is too large ({received.size} bytes; the limit is "
                      f"{MAX_MESSAGE_BYTES}).", code="AR", error=Err.DATA_TYPE)
    if not received.framed:
        raise Refused("Not received as one MLLP frame (start block 0x0B … end block 0x1C "
                      "0x0D).", code="AR", error=Err.SEGMENT_SEQUENCE)
    if header is None:
        raise Refused("The message does not start with a valid MSH segment.",
                      error=Err.SEGMENT_SEQUENCE)
    if header.component(9, 1).upper() != "ADT":
        raise Refused(f"Message type '{header.field(9)[:20]}' is not accepted: only ADT.",
                      code="AR", error=Err.UNSUPPORTED_TYPE)
    if not header.component(12, 1).startswith("2."):
        raise Refused(f"HL7 version '{header.field(12)[:20]}' is not accepted: 2.x only.",
                      code="AR", error=Err.UNSUPPORTED_VERSION)
    if not received.control_id:
        raise Refused("MSH-10 (message control id) is missing.", error=Err.REQUIRED_FIELD)
    return header


def decide(received: Received, message: AdtMessage, lookups: Lookups) -> Outcome:
    """What the message does; fills in the row's hospital and patient as they are read.
    Raises Refused (and then every change made here is rolled back)."""
    header = check_header(received)
    message.hospital = lookups.hospital(header)
    if received.trigger not in SUPPORTED_EVENTS:
        return ignored(f"Event '{received.trigger}' is not used by Relais.")
    event = read_event(parse(received.text), header)
    received.notes.extend(event.notes)
    message.patient_id, message.niss = event.patient_id, event.niss
    if received.trigger in MERGES:
        return apply_merge(message.hospital, event, message)
    if event.patient_class in NOT_FOLLOWED_CLASSES:
        return ignored(f"Patient class {event.patient_class}: Relais follows in-patient stays.")
    person_id = match_person(message.hospital, event)
    if person_id is None and received.trigger in PERSON_ONLY:
        return ignored("Relais holds no record for this person: nothing to update.")
    if person_id is None:
        return Outcome(AdtStatus.PENDING_MATCH,
                       "Kept: no person matches yet; a liaison nurse will link it.")
    return run_event(event, person_id, message.hospital, lookups=lookups)


@dataclass(frozen=True)
class Earlier:
    """The stored copy of a message with the same sender and control id."""

    pk: int
    status: str
    ack: str

    @property
    def may_retry(self) -> bool:
        """HL7's AR invites a resend; anything else was answered for good."""
        return self.status == AdtStatus.REJECTED and ack_code(self.ack) == "AR"


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
    if found is None:
        return None
    if found[3] != received.content_hash:
        note = (f"Control id {received.control_id[:60]} was used before for another "
                "message: processed as a new message.")
        if note not in received.notes:
            received.notes.append(note)
        return None
    return Earlier(*found[:3])


def record_for(received: Received, earlier: Earlier | None) -> AdtMessage:
    """The row to store: new, or the rejected copy a resend replaces (same pk)."""
    if not received.whole and received.control_id:
        received.notes.append(f"Control id seen: {received.control_id[:60]}.")
    return AdtMessage(pk=earlier.pk if earlier else None, received_at=timezone.now(),
                      sender=received.sender, event=received.trigger, raw=received.text,
                      control_id=received.control_id if received.whole else "",
                      content_hash=received.content_hash if received.whole else "")


def accept(received: Received, message: AdtMessage, outcome: Outcome) -> None:
    message.status, message.stay = outcome.status, outcome.stay
    message.problem = " ".join(filter(None, [outcome.note, *received.notes]))
    message.ack = build_ack(received.header, "AA", outcome.note)


def refuse(received: Received, message: AdtMessage, refusal: Refused) -> None:
    notes = [*received.notes, f"From {received.peer}." if received.peer else ""]
    message.status, message.stay = AdtStatus.REJECTED, None
    message.problem = " ".join(filter(None, [refusal.reason, *notes]))
    message.ack = build_ack(received.header, refusal.code, refusal.reason, refusal.error)


def process(received: Received, lookups: Lookups) -> str:
    earlier = earlier_copy(received)
    if earlier is not None and not earlier.may_retry:
        return earlier.ack
    message = record_for(received, earlier)
    try:
        try:
            with unit_of_work():
                accept(received, message, decide(received, message, lookups))
                message.save()
        except Refused as refusal:
            # Everything the message changed is undone; the message and the reason stay.
            with transaction.atomic():
                refuse(received, message, refusal)
                message.save()
    except IntegrityError:
        # Another connection stored the same control id meanwhile: answer as it did.
        earlier = earlier_copy(received)
        if earlier is None:
            raise
        return earlier.ack
    return message.ack


@contextmanager
def unit_of_work():
    """The transaction a message (or a group of them) is written in: kept or undone whole,
    so the services inside take no savepoints, and the audit events are chained once, at
    its end, holding the chain's lock only until the commit."""
    with all_or_nothing(), audit.gathered():
        yield


class NotTogether(Exception):
    """One message of a group did not go through: the group is undone and each message is
    handled on its own."""


def process_together(group: list[Received], lookups: Lookups) -> list[str]:
    """Several messages in one transaction, answered after its one commit (group commit).
    They are applied in arrival order, exactly as one by one; only the commit is shared."""
    try:
        with unit_of_work():
            return [_process_in_group(received, lookups) for received in group]
    except (Refused, IntegrityError) as error:
        raise NotTogether from error


def _process_in_group(received: Received, lookups: Lookups) -> str:
    earlier = earlier_copy(received)  # also sees an earlier message of this same group
    if earlier is not None and not earlier.may_retry:
        return earlier.ack
    message = record_for(received, earlier)
    accept(received, message, decide(received, message, lookups))
    message.save()
    return message.ack
