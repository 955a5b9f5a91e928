"""One message as it came off the wire: the bytes decoded (UTF-8, else Windows-1252), the MSH
header read as plain text fields, so that even a message that cannot be parsed gets an
ACK addressed to its sender with its control id.
"""

import hashlib
import re
from dataclasses import dataclass, field

from relais.interop.mllp import MAX_FRAME_BYTES

MAX_MESSAGE_BYTES = MAX_FRAME_BYTES
# Of a message too large to use, this much is kept for inspection.
KEPT_OF_TOO_LARGE = 65_536
LATIN1_NAMES = frozenset({"8859/1", "ISO-8859-1", "ISO8859-1", "ISO_IR 100", "LATIN1"})


@dataclass(frozen=True)
class Header:
    """MSH as plain text fields: readable even when the rest of the message is not."""

    parts: tuple[str, ...]  # parts[n - 1] is MSH-n for n ≥ 2

    @property
    def separator(self) -> str:
        return self.parts[0][3]

    @property
    def encoding(self) -> str:
        return self.parts[1]

    def field(self, number: int) -> str:
        if number == 1:
            return self.separator
        return self.parts[number - 1] if number - 1 < len(self.parts) else ""

    def first(self, number: int) -> str:
        """The first non-empty component (an HD's namespace, else its universal id)."""
        components = self.field(number).split(self.encoding[0])
        return next((c.strip() for c in components if c.strip()), "")

    def component(self, number: int, index: int) -> str:
        components = self.field(number).split(self.encoding[0])
        return components[index - 1].strip() if index <= len(components) else ""


STANDARD_HEADER = Header(("MSH|", "^~\\&"))


def read_header(text: str) -> Header | None:
    """MSH-1 to MSH-n of the first line, or None when the text does not start with MSH."""
    text = text.lstrip("\ufeff \t\r\n")
    if len(text) < 8 or not text.startswith("MSH"):
        return None
    separator = text[3]
    first_line = re.split(r"[\r\n]", text, maxsplit=1)[0]
    parts = first_line.split(separator)
    parts[0] = "MSH" + separator
    encoding = parts[1] if len(parts) > 1 else ""
    specials = separator + encoding[:4]
    if (len(encoding) < 4 or len(set(specials)) != len(specials)
            or any(c.isalnum() or c.isspace() for c in specials)):
        return None
    return Header(tuple(parts))


def decode(raw: bytes, *, cut: bool = False) -> tuple[str, list[str]]:
    """UTF-8, else Latin-1/Windows-1252 (what older hospital systems send); NULs dropped,
    since no database text column takes them. A `cut` copy may end mid-character."""
    notes = []
    try:
        text = raw.decode("utf-8", errors="replace" if cut else "strict")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        header = read_header(text)
        if header is None or header.field(18).upper() not in LATIN1_NAMES:
            notes.append("Not UTF-8: read as Windows-1252/Latin-1.")
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("NUL bytes removed.")
    return text, notes


@dataclass
class Received:
    """One message as it came off the wire, before anything is decided about it."""

    text: str
    size: int
    framed: bool
    peer: str
    notes: list[str] = field(default_factory=list)
    header: Header | None = None

    @classmethod
    def from_wire(cls, raw: bytes, *, size=None, framed=True, peer=""):
        size = len(raw) if size is None else size
        too_large = size > MAX_MESSAGE_BYTES
        text, notes = decode(raw[:KEPT_OF_TOO_LARGE] if too_large else raw, cut=too_large)
        return cls(text, size, framed, peer, notes, read_header(text))

    @property
    def too_large(self) -> bool:
        return self.size > MAX_MESSAGE_BYTES

    @property
    def whole(self) -> bool:
        """Only a message received whole may claim its control id (a cut-off copy must
        not block the complete resend)."""
        return self.framed and not self.too_large

    @property
    def sender(self) -> str:
        if self.header is None:
            return ""
        return f"{self.header.first(3)}^{self.header.first(4)}"[:180]

    @property
    def content_hash(self) -> str:
        """The same message again hashes the same whatever its line ends (CR, LF, CRLF),
        a BOM or trailing blank lines: what tells a resend from a reused control id."""
        normalised = re.sub(r"\r\n|\n", "\r", self.text.lstrip("\ufeff")).strip()
        return hashlib.sha256(normalised.encode("utf-8", "replace")).hexdigest()

    @property
    def control_id(self) -> str:
        return self.header.field(10).strip()[:199] if self.header else ""

    @property
    def trigger(self) -> str:
        return self.header.component(9, 2).upper()[:10] if self.header else ""
