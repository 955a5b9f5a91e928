"""The listener's side: `handle` (one message in, its ACK out) and `handle_frames`, which
stores several messages in one transaction and falls back to one by one; `Feed`, the
MLLP server's handler, gathers the messages waiting from all connections for one writer
thread (group commit). Never raises: every failure is answered. The messages are applied
behind, by the inbox's applier (inbox.py).
"""

import logging
import queue
import threading
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, connections, transaction
from django.utils import translation

from relais.interop.adt import batch, unstored
from relais.interop.adt.ack import Mode, ack_code, build_ack
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.processing import (
    NotTogether,
    earlier_copy,
    process,
    process_together,
    record_for,
    refuse,
    save,
)
from relais.interop.adt.received import Received, read_header
from relais.interop.mllp import Frame, drop_broken_connections
from relais.stays.models import AdtMessage

logger = logging.getLogger(__name__)


_sqlite_writer = threading.Lock()


@contextmanager
def one_writer_on_sqlite():
    """SQLite takes one writer at a time anyway: queueing here beats spinning on
    SQLITE_BUSY (and the in-memory test database has no busy timeout at all)."""
    with _sqlite_writer if connection.vendor == "sqlite" else nullcontext():
        yield


@dataclass(frozen=True)
class Answer:
    """What goes back for one frame: the ACK, and (one message, not a batch) the row it
    was stored as and what its sender asked of acknowledgements."""

    ack: bytes
    message_id: int | None = None
    mode: Mode | None = None


def handle(raw: bytes, *, size: int | None = None, framed: bool = True, peer: str = "",
           lookups: Lookups | None = None) -> bytes:
    """One message in, its ACK out, sent only once the message is stored (committed).
    Never raises: every failure is answered."""
    return handle_frames([(Frame(raw, len(raw) if size is None else size, framed), peer)],
                         lookups or Lookups())[0]


def handle_frames(arrivals: list[tuple[Frame, str]], lookups: Lookups) -> list[bytes]:
    return [answer.ack for answer in receive_frames(arrivals, lookups)]


def receive_frames(arrivals: list[tuple[Frame, str]], lookups: Lookups) -> list[Answer]:
    """`receive_messages`, with each batch (FHS/BHS … BTS/FTS in one frame) opened: its
    messages are handled like any others, and the batch is answered with one batch of
    their ACKs, in order (BHS, the ACKs, BTS with their count)."""
    opened = [batch.split(arrival[0].data) if arrival[0].framed else None
              for arrival in arrivals]
    if not any(messages is not None for messages in opened):
        return receive_messages(arrivals, lookups)
    flat = []
    for arrival, messages in zip(arrivals, opened, strict=True):
        frame, peer = arrival
        flat.extend([(Frame(data, len(data), True), peer) for data in messages]
                    if messages is not None else [arrival])
    answers = iter(receive_messages(flat, lookups))
    return [Answer(batch.answer(arrival[0].data, [next(answers).ack for _ in messages]))
            if messages is not None else next(answers)
            for arrival, messages in zip(arrivals, opened, strict=True)]


def receive_messages(arrivals: list[tuple[Frame, str]], lookups: Lookups) -> list[Answer]:
    """Messages in (frame and peer), their answers out in the same order, sent only once
    the messages are committed. Never raises: every failure is answered.

    Several messages are stored together in one transaction; if another listener stored
    one of them meanwhile, each is stored alone. If the database fails, all are answered
    AR, nothing is kept, and the refusal is written down once the database is back
    (unstored.py)."""
    with translation.override("en"), one_writer_on_sqlite():
        group = [_received(arrival) for arrival in arrivals]
        if len(group) > 1:
            try:
                answers = [_answer(r, m) for r, m in zip(
                    group, process_together(group, lookups), strict=True)]
                _write_gaps(lookups)
                return answers
            except NotTogether:
                pass
            except DatabaseError:
                logger.exception("ADT: could not store %d messages", len(group))
                return [_not_stored(received) for received in group]
            except Exception:
                logger.exception("ADT: internal error in a group of %d messages; handling "
                                 "them one by one", len(group))
        answers = [_handle_one(received, lookups) for received in group]
        if any(answer.message_id for answer in answers):
            _write_gaps(lookups)
        return answers


def _received(arrival: tuple[Frame, str]) -> Received:
    frame, peer = arrival
    return Received.from_wire(frame.data, size=frame.size, framed=frame.framed, peer=peer)


def _answer(received: Received, message: AdtMessage) -> Answer:
    return Answer(message.ack.encode("ascii"), message.pk, Mode(received.header))


def _handle_one(received: Received, lookups: Lookups) -> Answer:
    try:
        return _answer(received, process(received, lookups))
    except DatabaseError:
        logger.exception("ADT: could not store a message from %s", received.peer or "a caller")
        return _not_stored(received)
    except Exception:
        logger.exception("ADT: internal error on a message from %s",
                         received.peer or "a caller")
        return Answer(keep_after_internal_error(received).encode("ascii"))


def _not_stored(received: Received) -> Answer:
    mode = Mode(received.header)
    ack = build_ack(received.header, mode.commit_code("AR"), "The message could not be "
                    "stored now; send it again.", Err.INTERNAL)
    unstored.note(received, ack)
    return Answer(ack.encode("ascii"), None, mode)


def _write_gaps(lookups: Lookups) -> None:
    """The database answers again: write down what was refused while it did not."""
    if unstored.pending():
        try:
            unstored.write(lookups)
        except DatabaseError:
            logger.exception("ADT: could not write down the messages refused meanwhile")


def keep_after_internal_error(received: Received) -> str:
    """Kept as rejected with AR, in a transaction of its own: a resend after the fix is
    processed again."""
    refusal = Refused("Internal error in Relais; the message is kept. Send it again later.",
                      code="AR", error=Err.INTERNAL)
    try:
        message = record_for(received, earlier_copy(received))
        refuse(received, message, refusal)
        with transaction.atomic():
            save(message)
        return message.ack
    except Exception:
        logger.exception("ADT: could not keep the message after an internal error")
        return build_ack(received.header, "AR", refusal.reason, Err.INTERNAL)


class Feed:
    """The MLLP listener's handler: group commit across connections.

    Each connection's thread hands its message over and waits; one writer thread takes
    every message waiting at that moment (at most `most`) and stores them with
    `receive_frames`, in one transaction when they all go through, then wakes each
    connection with its answer. An idle feed adds no delay (a lone message is written at
    once); a busy one shares one commit and one round of transaction control among many
    messages. One writer also means one database connection per listener, however many
    senders.

    Enhanced mode (MSH-15/MSH-16): the commit ACK is sent as MSH-15 asks; when MSH-16
    asks for the application ACK, the connection sends it once the message is applied
    (`later`), for as long as it stays open. The sender's own ACKs (of those) are taken
    without an answer."""

    def __init__(self, *, most: int = 32, ttl: float = 60.0):
        self.most = most
        self.lookups = Lookups(ttl=ttl)  # used only by the writer thread
        self.waiting: queue.SimpleQueue = queue.SimpleQueue()
        self.awaited: dict[str, list[tuple[int, Mode]]] = defaultdict(list)
        self.writer = threading.Thread(target=self._write, name="adt-writer", daemon=True)
        self.writer.start()

    def __call__(self, received: Frame, peer: str) -> bytes | None:
        if is_acknowledgement(received):
            return None  # the sender's commit ACK of our application ACK
        slot = _Slot(received, peer)
        self.waiting.put(slot)
        slot.done.wait()
        answer = slot.answer
        if answer is None:
            return None
        if answer.mode is None or not answer.mode.enhanced:
            return answer.ack
        if answer.message_id and answer.mode.application != "NE":
            self.awaited[peer].append((answer.message_id, answer.mode))
        return answer.ack if answer.mode.sends_commit(ack_code(answer.ack.decode())) else None

    def later(self, peer: str) -> list[bytes]:
        """The application ACKs due on this connection: of its messages applied since."""
        awaited = self.awaited.get(peer)
        if not awaited:
            return []
        results = dict(AdtMessage.objects.filter(
            pk__in=[pk for pk, _ in awaited], handled_at__isnull=False).values_list(
            "pk", "result"))
        self.awaited[peer] = [(pk, mode) for pk, mode in awaited if pk not in results]
        return [results[pk].encode("ascii") for pk, mode in awaited
                if results.get(pk) and mode.sends_application(ack_code(results[pk]))]

    def forget(self, peer: str) -> None:
        """The connection closed: its application ACKs stay on their messages, unsent."""
        self.awaited.pop(peer, None)

    def close(self) -> None:
        """Write what is waiting, then stop the writer."""
        self.waiting.put(None)
        self.writer.join()

    def _write(self) -> None:
        try:
            while (group := self._take()) is not None:
                try:
                    answers = receive_frames([(slot.frame, slot.peer) for slot in group],
                                             self.lookups)
                except Exception:  # noqa: BLE001 - never leave a connection waiting
                    logger.exception("ADT: the writer failed; %d messages unanswered",
                                     len(group))
                    answers = [None] * len(group)
                for slot, answer in zip(group, answers, strict=True):
                    slot.answer = answer
                    slot.done.set()
                drop_broken_connections()
        finally:
            connections.close_all()

    def _take(self) -> list["_Slot"] | None:
        first = self.waiting.get()
        if first is None:
            return None
        group = [first]
        while len(group) < self.most:
            try:
                slot = self.waiting.get_nowait()
            except queue.Empty:
                break
            if slot is None:
                self.waiting.put(None)  # stop after this group
                break
            group.append(slot)
        return group


def is_acknowledgement(frame: Frame) -> bool:
    """An ACK message (MSH-9 "ACK"): what a sender in enhanced mode returns for ours."""
    if not frame.framed or not frame.data.lstrip().startswith(b"MSH"):
        return False
    header = read_header(frame.data[:1024].decode("latin-1"))
    return header is not None and header.component(9, 1).upper() == "ACK"


@dataclass
class _Slot:
    frame: Frame
    peer: str
    answer: Answer | None = None
    done: threading.Event = field(default_factory=threading.Event)
