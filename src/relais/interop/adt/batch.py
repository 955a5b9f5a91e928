"""HL7 batches: a file (FHS … FTS) or batch (BHS … BTS) of messages sent in one frame, as
some systems replay a day's events. Each message is handled as if it came alone (its own
duplicate check, its own fate); the sender gets one batch back, BHS, one ACK per message
in order, BTS with their count (and FHS/FTS around them when a file came).

An empty batch (no MSH) gets a single AR: there is nothing to acknowledge one by one.
"""

import re

from django.utils import timezone

from relais.interop.adt.ack import build_ack
from relais.interop.adt.errors import Err

HEADERS = ("FHS", "BHS")
ENVELOPE = frozenset({"FHS", "BHS", "BTS", "FTS"})


def _lines(data: bytes) -> list[bytes]:
    return [line for line in re.split(rb"\r\n|\r|\n", data.lstrip(b"\xef\xbb\xbf \t\r\n"))
            if line.strip()]


def split(data: bytes) -> list[bytes] | None:
    """The messages of a batch, each ending in CR, or None when `data` is not a batch."""
    lines = _lines(data)
    if not lines or lines[0][:3].decode("latin-1") not in HEADERS:
        return None
    messages: list[list[bytes]] = []
    for line in lines:
        name = line[:3].decode("latin-1")
        if name == "MSH":
            messages.append([line])
        elif name not in ENVELOPE and messages:
            messages[-1].append(line)
    return [b"\r".join(message) + b"\r" for message in messages]


def answer(data: bytes, acks: list[bytes]) -> bytes:
    """The batch of ACKs: the envelope of the batch received, sender and receiver swapped."""
    lines = _lines(data)
    if not acks:
        return build_ack(None, "AR", "The batch holds no message (no MSH segment).",
                         Err.SEGMENT_SEQUENCE).encode("ascii")
    heads = {line[:3].decode("latin-1"): line.decode("latin-1") for line in lines
             if line[:3] in (b"FHS", b"BHS")}
    out = []
    if "FHS" in heads:
        out.append(_header("FHS", heads["FHS"]))
    out.append(_header("BHS", heads.get("BHS", heads.get("FHS", "BHS|^~\\&"))))
    out.extend(ack.decode("ascii").rstrip("\r") for ack in acks)
    out.append(f"BTS|{len(acks)}")
    if "FHS" in heads:
        out.append("FTS|1")
    return ("\r".join(out) + "\r").encode("ascii", "replace")


def _header(name: str, received: str) -> str:
    """FHS/BHS of the answer: our name as sender, theirs as receiver, their control id
    (field 11) as the reference (field 12)."""
    separator = received[3] if len(received) > 3 else "|"
    fields = received.split(separator) + [""] * 12
    encoding = fields[1] if len(fields[1]) >= 4 and fields[1].isascii() else "^~\\&"
    now = timezone.localtime().strftime("%Y%m%d%H%M%S")
    parts = [name, encoding, "RELAIS", "RELAIS", fields[2], fields[3], now, "", "", "",
             "", fields[10]]
    return separator.join(part.encode("ascii", "replace").decode("ascii") for part in parts)
