"""MLLP, the framing HL7 v2 travels in over TCP, and a listener that never stops for one
bad sender.

A frame is <VT> payload <FS><CR> (0x0b … 0x1c 0x0d). Real senders get this wrong in
every way: stray newlines between frames, a message without framing, a frame cut off
when a connection drops, a megabyte of garbage. The `Deframer` turns any byte stream into
`Frame`s and never raises: bytes outside a frame come back as an unframed `Frame` (so
they can be answered and kept), and no frame holds more than `max_size` bytes in memory
(the rest is counted, not kept).

The server gives each connection its own thread, so a slow or silent sender only ever
holds up itself; messages on one connection are handled one after the other, in order,
as HL7's original acknowledgement mode expects. The handler turns a frame into the bytes
of its acknowledgement; whatever it raises is logged and the connection carries on. A
handler may also have messages to send later on a connection (`later(peer)`, asked
whenever the connection is idle: HL7's enhanced mode sends the application ACK once the
message is applied), and is told when a connection closes (`forget(peer)`).
"""

import contextlib
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c"
CARRIAGE_RETURN = b"\x0d"
MAX_FRAME_BYTES = 1_048_576
# Between frames some senders put newlines or spaces: that is not worth an answer.
IGNORABLE_BETWEEN_FRAMES = b" \t\r\n\x00"

logger = logging.getLogger(__name__)


def frame(payload: bytes) -> bytes:
    """Wrap one message for the wire."""
    return START_BLOCK + payload + END_BLOCK + CARRIAGE_RETURN


@dataclass(frozen=True)
class Frame:
    """A message as received: `data` holds at most max_size bytes of the `size` sent.

    `framed` is False for bytes that came outside a frame, or for a frame that was cut
    short (a new start block, or the end of the connection, came before its end block).
    """

    data: bytes
    size: int
    framed: bool = True

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)


class _Buffer:
    """Bytes collected up to a limit; what comes after the limit is only counted."""

    def __init__(self, limit: int):
        self.limit = limit
        self.kept = bytearray()
        self.size = 0

    def add(self, chunk: bytes | memoryview) -> None:
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]
        self.size += len(chunk)

    def take(self, framed: bool) -> Frame:
        taken = Frame(bytes(self.kept), self.size, framed)
        self.kept, self.size = bytearray(), 0
        return taken

    def is_empty(self) -> bool:
        return self.size == 0


class Deframer:
    """Feed it bytes as they arrive; it returns the frames they complete, in order."""

    def __init__(self, max_size: int = MAX_FRAME_BYTES):
        self.max_size = max_size
        self.outside = _Buffer(max_size)  # bytes between frames (junk)
        self.inside: _Buffer | None = None  # the frame being received, if any
        self.skip_carriage_return = False

    def feed(self, chunk: bytes) -> list[Frame]:
        frames: list[Frame] = []
        view, position = memoryview(chunk), 0
        while position < len(view):
            if self.skip_carriage_return:
                self.skip_carriage_return = False
                if view[position:position + 1] == CARRIAGE_RETURN:
                    position += 1
                    continue
            if self.inside is None:
                position = self._read_outside(chunk, view, position, frames)
            else:
                position = self._read_inside(chunk, view, position, frames)
        return frames

    def _read_outside(self, chunk, view, position, frames) -> int:
        start = chunk.find(START_BLOCK, position)
        if start < 0:
            self.outside.add(view[position:])
            return len(view)
        self.outside.add(view[position:start])
        frames.extend(self.flush_junk())
        self.inside = _Buffer(self.max_size)
        return start + 1

    def _read_inside(self, chunk, view, position, frames) -> int:
        end = chunk.find(END_BLOCK, position)
        restart = chunk.find(START_BLOCK, position)
        if restart >= 0 and (end < 0 or restart < end):
            # A new frame starts before this one ended: the sender gave up on it.
            self.inside.add(view[position:restart])
            frames.append(self.inside.take(framed=False))
            self.inside = _Buffer(self.max_size)
            return restart + 1
        if end < 0:
            self.inside.add(view[position:])
            return len(view)
        self.inside.add(view[position:end])
        frames.append(self.inside.take(framed=True))
        self.inside = None
        self.skip_carriage_return = True
        return end + 1

    def flush_junk(self) -> list[Frame]:
        """Bytes received outside any frame, as one unframed Frame (none if only blanks)."""
        if self.outside.is_empty():
            return []
        junk = self.outside.take(framed=False)
        return [] if not junk.data.strip(IGNORABLE_BETWEEN_FRAMES) and not junk.truncated else [
            junk]

    def has_partial_frame(self) -> bool:
        return self.inside is not None

    def close(self) -> list[Frame]:
        """The stream ended: whatever was not a complete frame."""
        frames = self.flush_junk()
        if self.inside is not None:
            frames.append(self.inside.take(framed=False))
            self.inside = None
        return frames


# --- the listener ----------------------------------------------------------------------

# handler(frame, peer) -> the acknowledgement to send back (None: send nothing).
Handler = Callable[[Frame, str], bytes | None]


class MllpServer(socketserver.ThreadingTCPServer):
    """One thread per connection; `stop()` closes them all and waits for their threads."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler: Handler, *, max_frame: int = MAX_FRAME_BYTES,
                 poll_seconds: float = 1.0, stall_seconds: float = 60.0,
                 max_connections: int = 64, reuse_port: bool = False):
        # Several listener processes may share one port (SO_REUSEPORT): the kernel spreads
        # the connections among them, and a connection stays with its process, so each
        # sender's messages are still handled in order.
        self.allow_reuse_port = reuse_port
        self.handler = handler
        self.max_frame = max_frame
        self.poll_seconds = poll_seconds
        self.stall_seconds = stall_seconds
        self.connection_slots = threading.BoundedSemaphore(max_connections)
        self.connections: set[_Connection] = set()
        self.connections_lock = threading.Lock()
        self.stopping = threading.Event()
        super().__init__(address, _Connection)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def verify_request(self, request, client_address) -> bool:
        # Beyond the limit a new connection is closed at once, so many idle sockets cannot
        # use up threads and database connections.
        if self.connection_slots.acquire(blocking=False):
            return True
        logger.warning("MLLP: too many connections, refusing %s", client_address)
        return False

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connection_slots.release()

    def answer(self, received: Frame, peer: str) -> bytes | None:
        """The handler's answer; a handler that raises is logged, never fatal."""
        drop_broken_connections()
        try:
            return self.handler(received, peer)
        except Exception:
            logger.exception("MLLP: the handler failed on a message from %s", peer)
            return None

    def later(self, peer: str) -> list[bytes]:
        """What the handler has to send on this connection now, unasked; [] on failure."""
        if not hasattr(self.handler, "later"):
            return []
        try:
            return self.handler.later(peer)
        except Exception:
            logger.exception("MLLP: the handler failed on what to send %s later", peer)
            drop_broken_connections()
            return []

    def forget(self, peer: str) -> None:
        if hasattr(self.handler, "forget"):
            self.handler.forget(peer)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                  name=f"mllp-{self.port}", daemon=True)
        thread.start()
        return thread

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, end every connection and wait for their threads."""
        self.stopping.set()
        self.shutdown()
        with self.connections_lock:
            open_connections = list(self.connections)
        for connection in open_connections:
            connection.interrupt()
        for connection in open_connections:
            connection.finished.wait(timeout)
        self.server_close()
        if hasattr(self.handler, "close"):
            self.handler.close()  # e.g. a writer thread shared by the connections


def drop_broken_connections() -> None:
    """A connection's thread keeps its database connection from message to message
    (Django's close_old_connections would close it after each one, as after a web request,
    and reconnecting cost more than the message); only one broken by an error is dropped,
    so the next message reconnects."""
    for database in connections.all(initialized_only=True):
        if database.connection is not None and database.errors_occurred:
            if not database.is_usable():
                database.close()
            database.errors_occurred = False


class _Connection(socketserver.BaseRequestHandler):
    """One sender: read frames, answer each in turn, until it leaves or goes silent."""

    def setup(self):
        self.finished = threading.Event()
        host, port = self.client_address[:2]
        self.peer = f"{host}:{port}"
        with self.server.connections_lock:
            self.server.connections.add(self)

    def handle(self):
        """Interface engines keep a connection open for days, silent between messages:
        that is fine. A frame that takes longer than `stall_seconds` to arrive is not
        (a stalled or trickling sender); the connection is then closed and the partial
        frame kept, so such senders cannot hold every connection slot. Keepalive probes
        find peers that vanished."""
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.request.settimeout(self.server.poll_seconds)
        deframer = Deframer(self.server.max_frame)
        frame_began = None
        while not self.server.stopping.is_set():
            try:
                chunk = self.request.recv(65536)
            except TimeoutError:
                # Unframed bytes followed by silence: a sender waiting for an answer.
                self._answer_all(deframer.flush_junk())
                if not self._send(self.server.later(self.peer)):
                    break
                chunk = None
            except OSError:
                break
            if chunk == b"":
                break
            completed = deframer.feed(chunk) if chunk else []
            if not self._answer_all(completed):
                break
            if completed and not self._send(self.server.later(self.peer)):
                break
            if not deframer.has_partial_frame():
                frame_began = None
            elif completed or frame_began is None:
                frame_began = time.monotonic()  # a new frame is coming in
            if frame_began and time.monotonic() - frame_began >= self.server.stall_seconds:
                logger.info("MLLP: closing %s, a frame stalled for %.0f s", self.peer,
                            self.server.stall_seconds)
                break
        # Kept even though nobody is left to answer: a cut-off frame is evidence too.
        for leftover in deframer.close():
            self.server.answer(leftover, self.peer)

    def _answer_all(self, frames: list[Frame]) -> bool:
        for received in frames:
            ack = self.server.answer(received, self.peer)
            if ack is not None and not self._send([ack]):
                return False
        return True

    def _send(self, payloads: list[bytes]) -> bool:
        try:
            for payload in payloads:
                self.request.sendall(frame(payload))
        except OSError:
            return False
        return True

    def interrupt(self) -> None:
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)

    def finish(self):
        self.server.forget(self.peer)
        connections.close_all()
        with self.server.connections_lock:
            self.server.connections.discard(self)
        self.finished.set()
