"""The listener's side: `handle` (one message in, its ACK out) and `handle_frames`, which
writes several messages in one transaction and falls back to one by one; `Feed`, the
MLLP server's handler, gathers the messages waiting from all connections for one writer
thread (group commit). Never raises: every failure is answered.
"""

import logging
import queue
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, connections, transaction
from django.utils import translation

from relais.interop.adt import batch
from relais.interop.adt.ack import build_ack
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.processing import (
    NotTogether,
    earlier_copy,
    process,
    process_together,
    record_for,
    refuse,
)
from relais.interop.adt.received import Received
from relais.interop.mllp import Frame, drop_broken_connections

logger = logging.getLogger(__name__)


_sqlite_writer = threading.Lock()


@contextmanager
def one_writer_on_sqlite():
    """SQLite takes one writer at a time anyway: queueing here beats spinning on
    SQLITE_BUSY (and the in-memory test database has no busy timeout at all)."""
    with _sqlite_writer if connection.vendor == "sqlite" else nullcontext():
        yield


def handle(raw: bytes, *, size: int | None = None, framed: bool = True, peer: str = "",
           lookups: Lookups | None = None) -> bytes:
    """One message in, its ACK out, sent only once the message and its effects are
    committed. Never raises: every failure is answered."""
    return handle_frames([(Frame(raw, len(raw) if size is None else size, framed), peer)],
                         lookups or Lookups())[0]


def handle_frames(arrivals: list[tuple[Frame, str]], lookups: Lookups) -> list[bytes]:
    """`handle_messages`, with each batch (FHS/BHS … BTS/FTS in one frame) opened: its
    messages are handled like any others, and the batch is answered with one batch of
    their ACKs, in order (BHS, the ACKs, BTS with their count)."""
    opened = [batch.split(arrival[0].data) if arrival[0].framed else None
              for arrival in arrivals]
    if not any(messages is not None for messages in opened):
        return handle_messages(arrivals, lookups)
    flat = []
    for arrival, messages in zip(arrivals, opened, strict=True):
        frame, peer = arrival
        flat.extend([(Frame(data, len(data), True), peer) for data in messages]
                    if messages is not None else [arrival])
    acks = iter(handle_messages(flat, lookups))
    return [batch.answer(arrival[0].data, [next(acks) for _ in messages])
            if messages is not None else next(acks)
            for arrival, messages in zip(arrivals, opened, strict=True)]


def handle_messages(arrivals: list[tuple[Frame, str]], lookups: Lookups) -> list[bytes]:
    """Messages in (frame and peer), their ACKs out in the same order, sent only once the
    messages and their effects are committed. Never raises: every failure is answered.

    Several messages are first written together in one transaction. If one of them is
    refused or hits a bug, that transaction is undone and each is handled alone, so the
    others lose nothing but time. If the database fails, all are answered AR."""
    with translation.override("en"), one_writer_on_sqlite():
        if len(arrivals) > 1:
            group = [_received(arrival) for arrival in arrivals]
            try:
                return [ack.encode("ascii") for ack in process_together(group, lookups)]
            except NotTogether:
                pass
            except DatabaseError:
                logger.exception("ADT: could not store %d messages", len(group))
                return [_not_stored(received) for received in group]
            except Exception:
                logger.exception("ADT: internal error in a group of %d messages; handling "
                                 "them one by one", len(group))
        return [_handle_one(_received(arrival), lookups) for arrival in arrivals]


def _received(arrival: tuple[Frame, str]) -> Received:
    frame, peer = arrival
    return Received.from_wire(frame.data, size=frame.size, framed=frame.framed, peer=peer)


def _handle_one(received: Received, lookups: Lookups) -> bytes:
    try:
        return process(received, lookups).encode("ascii")
    except DatabaseError:
        logger.exception("ADT: could not store a message from %s", received.peer or "a caller")
        return _not_stored(received)
    except Exception:
        logger.exception("ADT: internal error on a message from %s",
                         received.peer or "a caller")
        return keep_after_internal_error(received).encode("ascii")


def _not_stored(received: Received) -> bytes:
    return build_ack(received.header, "AR", "The message could not be stored now; send it "
                     "again.", Err.INTERNAL).encode("ascii")


def keep_after_internal_error(received: Received) -> str:
    """Kept as rejected with AR, in a transaction of its own: a resend after the fix is
    processed again."""
    refusal = Refused("Internal error in Relais; the message is kept. Send it again later.",
                      code="AR", error=Err.INTERNAL)
    try:
        message = record_for(received, earlier_copy(received))
        refuse(received, message, refusal)
        with transaction.atomic():
            message.save()
        return message.ack
    except Exception:
        logger.exception("ADT: could not keep the message after an internal error")
        return build_ack(received.header, "AR", refusal.reason, Err.INTERNAL)


class Feed:
    """The MLLP listener's handler: group commit across connections.

    Each connection's thread hands its message over and waits; one writer thread takes
    every message waiting at that moment (at most `most`) and writes them with
    `handle_frames`, in one transaction when they all go through, then wakes each
    connection with its ACK. An idle feed adds no delay (a lone message is written at
    once); a busy one shares one commit, one audit-chain lock and one round of
    transaction control among many messages. One writer also means one database
    connection per listener, however many senders."""

    def __init__(self, *, most: int = 32, ttl: float = 60.0):
        self.most = most
        self.lookups = Lookups(ttl=ttl)  # used only by the writer thread
        self.waiting: queue.SimpleQueue = queue.SimpleQueue()
        self.writer = threading.Thread(target=self._write, name="adt-writer", daemon=True)
        self.writer.start()

    def __call__(self, received: Frame, peer: str) -> bytes | None:
        slot = _Slot(received, peer)
        self.waiting.put(slot)
        slot.done.wait()
        return slot.ack

    def close(self) -> None:
        """Write what is waiting, then stop the writer."""
        self.waiting.put(None)
        self.writer.join()

    def _write(self) -> None:
        try:
            while (group := self._take()) is not None:
                try:
                    acks = handle_frames([(slot.frame, slot.peer) for slot in group],
                                         self.lookups)
                except Exception:  # noqa: BLE001 - never leave a connection waiting
                    logger.exception("ADT: the writer failed; %d messages unanswered",
                                     len(group))
                    acks = [None] * len(group)
                for slot, ack in zip(group, acks, strict=True):
                    slot.ack = ack
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


@dataclass
class _Slot:
    frame: Frame
    peer: str
    ack: bytes | None = None
    done: threading.Event = field(default_factory=threading.Event)
