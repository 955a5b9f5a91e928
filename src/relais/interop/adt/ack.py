"""The acknowledgement: MSH (sender and receiver swapped), MSA and, unless AA, ERR, in plain
ASCII with the sender's own separators; and the code of a stored ACK.

Two modes (HL7 v2, chapter 2). Original mode (MSH-15 and MSH-16 empty, what hospitals
send almost always): one answer, AA/AE/AR; in Relais the AA leaves once the message is
stored, and means "stored, it will be applied". Enhanced mode (MSH-15 or MSH-16 given):
the commit acknowledgement CA/CE/CR on storing, sent as MSH-15 asks, then the application
acknowledgement AA/AE/AR once applied, sent as MSH-16 asks (`Mode`).
"""

import re
import unicodedata
import uuid

from django.utils import timezone

from relais.interop.adt.errors import Err
from relais.interop.adt.received import STANDARD_HEADER, Header, read_header


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\x00-\x1f\x7f]+", " ", folded)


def escape(text: str, header: Header) -> str:
    """Text made safe for one field: separators become HL7 escape sequences."""
    separator, (component, repetition, esc, subcomponent) = header.separator, header.encoding[:4]
    text = _ascii(text).replace(esc, f"{esc}E{esc}")
    for char, code in ((separator, "F"), (component, "S"), (subcomponent, "T"),
                       (repetition, "R")):
        text = text.replace(char, f"{esc}{code}{esc}")
    return text


def _version(header: Header) -> tuple[int, ...]:
    digits = re.findall(r"\d+", header.component(12, 1))
    return tuple(int(d) for d in digits[:3]) or (2, 5)


# HL7 table 0155, MSH-15/MSH-16: when the sender wants an acknowledgement.
ALWAYS, NEVER, ERROR_ONLY, SUCCESS_ONLY = "AL", "NE", "ER", "SU"
COMMIT_CODES = {"AA": "CA", "AE": "CE", "AR": "CR"}


class Mode:
    """What the sender asked for in MSH-15 (commit ACK) and MSH-16 (application ACK).
    Both empty: original mode. Enhanced mode requires both; one left empty counts as
    "always" for the commit ACK (a sender waiting on the socket then never hangs) and
    "never" for the application ACK (not sent unasked)."""

    def __init__(self, header: Header | None):
        accept = header.field(15).strip().upper()[:2] if header else ""
        application = header.field(16).strip().upper()[:2] if header else ""
        self.enhanced = bool(accept or application)
        self.accept = accept or ALWAYS
        self.application = application or NEVER

    def commit_code(self, code: str) -> str:
        """The code of the answer on storing: AA/AE/AR, or in enhanced mode CA/CE/CR."""
        return COMMIT_CODES.get(code, code) if self.enhanced else code

    def sends_commit(self, code: str) -> bool:
        return not self.enhanced or _wanted(self.accept, code)

    def sends_application(self, code: str) -> bool:
        return self.enhanced and _wanted(self.application, code)


def _wanted(condition: str, code: str) -> bool:
    success = code in {"AA", "CA"}
    return (condition == ALWAYS or (condition == ERROR_ONLY and not success)
            or (condition == SUCCESS_ONLY and success))


def build_ack(header: Header | None, code: str, text: str = "", error=None) -> str:
    """MSH (sender and receiver swapped, our own control id), MSA and, unless AA or CA,
    ERR. `code` is MSA-1 as given: the caller chose commit or application code."""
    header = header or STANDARD_HEADER
    if not (header.separator + header.encoding).isascii():
        # The answer travels as ASCII: delimiters outside it cannot be echoed, so the
        # ACK uses the standard ones (the sender sees an AR with a readable reason).
        header = STANDARD_HEADER
    separator, component = header.separator, header.encoding[0]
    trigger = header.component(9, 2)
    msh = ["MSH", header.encoding, header.field(5) or "RELAIS", header.field(6) or "RELAIS",
           header.field(3), header.field(4), timezone.localtime().strftime("%Y%m%d%H%M%S%z"),
           "", component.join(["ACK", trigger, "ACK"]) if trigger else "ACK",
           f"RELAIS{uuid.uuid4().hex[:14].upper()}", header.field(11) or "P",
           header.field(12) or "2.5"]
    segments = [[_ascii(part) for part in msh],
                ["MSA", code, _ascii(header.field(10)), escape(text[:80], header)]]
    if code not in {"AA", "CA"}:
        segments.append(_err_segment(header, error or Err.INTERNAL, text))
    return "\r".join(separator.join(fields) for fields in segments) + "\r"


def _err_segment(header: Header, error, text: str) -> list[str]:
    number, name = error
    if _version(header) < (2, 5):  # ERR-1, the only field before v2.5
        sub = header.encoding[3]
        return ["ERR", header.encoding[0] * 3 + sub.join(
            [number, escape(f"{name}: {text}", header), "HL70357"])]
    coded = header.encoding[0].join([number, escape(name, header), "HL70357"])
    return ["ERR", "", "", coded, "E", "", "", "", escape(text, header)[:250]]


def ack_code(ack: str) -> str:
    """MSA-1 of a stored acknowledgement."""
    header = read_header(ack)
    if header is None:
        return ""
    for line in ack.split("\r"):
        if line.startswith("MSA" + header.separator):
            return line.split(header.separator)[1]
    return ""
