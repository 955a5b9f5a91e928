"""The HL7 v2 ADT admission feed: a hospital's admissions, transfers and discharges become
stays in Relais (R1, R5, R18).

`handle(raw)` is the whole contract: bytes of one message in, bytes of its acknowledgement
out. In between, in ONE transaction, the message is stored (`AdtMessage`, raw text and
the ACK sent) together with what it changed; the ACK leaves only after that commit, so
an AA means "safely kept". A refused message's changes are all rolled back, and the
message is then stored with its reason in a transaction of its own. Nothing is lost:

* AA: applied, kept waiting for a person match, or kept but not used (an event or an
  out-patient visit Relais does not follow; MSA-3 says which).
* AE: the content is wrong (no MSH-10, no PID, a date that is not a date, a change the
  stay's rules refuse…). Kept, with the reason in MSA-3 and ERR. Resending it unchanged
  returns the same AE.
* AR: not for us now (unknown sending facility, not ADT, not v2, too large, not framed,
  an internal error, or the database failed). Kept when the database allows it. As HL7
  says of AR, the sender may resend: a resend is processed again (in place of the
  rejected copy), so fixing the configuration and resending works.

Group commit: the listener's `Feed` writes the messages waiting from all connections in
one transaction and ACKs each after that commit; a refusal in the group sends every
message back through the one-by-one path, so the answers are the same either way.

A repeated MSH-10 from the same sender (sender = first components of MSH-3 "^" MSH-4)
returns the original ACK byte for byte and changes nothing. ACKs are plain ASCII and are
written in English: they are read by interface engineers, not by patients.

Who: the person is found by the hospital's patient id (PID-3, type PI/MR) once linked
(`PatientLink`), else by national number (PID-3 typed NN/SS or assigned by NISS/INSZ/RRN,
else PID-19), which then links the patient id. Unknown: the message is kept `pending`
until a liaison nurse links it (`resolve_pending`) or creates the person
(`create_person_from`); then the person's waiting messages are applied in arrival order.

Order: events are matched to a stay by visit number (PV1-19). An event for a visit with
no stay yet creates it: an A03 first makes a stay already discharged, and the later A01
only fills in the admission data. An A08 first also creates the stay (an A08 carries the
whole visit, and waiting would hide a patient who is in a bed). An A11 first is kept and
stops that visit from being opened later. An A13 before its A03 is kept and not used.
"""

import logging
import queue
import re
import threading
import time
import unicodedata
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import hl7
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from stdnum.be import bis, nn

from relais.accounts.models import Ward
from relais.audit import log as audit
from relais.core import sql
from relais.core.transactions import all_or_nothing
from relais.interop.mllp import MAX_FRAME_BYTES, Frame, drop_broken_connections
from relais.network.models import Person
from relais.network.services import create_person
from relais.stays import services as stays
from relais.stays.models import (
    AdtMessage,
    AdtSource,
    AdtStatus,
    Destination,
    PatientLink,
    Stay,
    StaySource,
)

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = MAX_FRAME_BYTES
# Of a message too large to use, this much is kept for inspection.
KEPT_OF_TOO_LARGE = 65_536
SUPPORTED_EVENTS = frozenset({"A01", "A02", "A03", "A08", "A11", "A13"})
NEEDS_VISIT = frozenset({"A01", "A02", "A03", "A08"})
# Relais follows hospital stays, not consultations (HL7 table 0004).
NOT_FOLLOWED_CLASSES = frozenset({"O", "R"})
NISS_TYPES = frozenset({"NN", "SS", "NNBEL", "INSZ", "NISS"})
NISS_AUTHORITIES = frozenset({"NISS", "INSZ", "RRN", "SSIN", "NN", "BE", "BEL"})
PATIENT_ID_TYPES = frozenset({"PI", "MR", "PN", "PT"})
LATIN1_NAMES = frozenset({"8859/1", "ISO-8859-1", "ISO8859-1", "ISO_IR 100", "LATIN1"})
# HL7 table 0112 (discharge disposition), as Belgian systems send it.
DESTINATIONS = {"01": Destination.HOME, "02": Destination.OTHER_HOSPITAL,
                "03": Destination.NURSING_HOME, "04": Destination.NURSING_HOME,
                "06": Destination.HOME_WITH_SERVICES, "07": Destination.OTHER,
                "20": Destination.DECEASED, "40": Destination.DECEASED,
                "41": Destination.DECEASED, "42": Destination.DECEASED}


# HL7 table 0357, the error codes an ERR segment carries.
class Err:
    SEGMENT_SEQUENCE = ("100", "Segment sequence error")
    REQUIRED_FIELD = ("101", "Required field missing")
    DATA_TYPE = ("102", "Data type error")
    UNSUPPORTED_TYPE = ("200", "Unsupported message type")
    UNSUPPORTED_VERSION = ("203", "Unsupported version id")
    UNKNOWN_KEY = ("204", "Unknown key identifier")
    # HL7 has no code of its own for "a rule refused it": the application error, with
    # the rule in ERR-8 and MSA-3.
    INTERNAL = ("207", "Application internal error")


class Refused(Exception):
    """A message Relais keeps but does not use, with what the sender is told."""

    def __init__(self, reason: str, *, code: str = "AE", error=Err.DATA_TYPE):
        super().__init__(reason)
        self.reason, self.code, self.error = reason, code, error


# --- bytes, text and the header --------------------------------------------------------


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
    def control_id(self) -> str:
        return self.header.field(10).strip()[:199] if self.header else ""

    @property
    def trigger(self) -> str:
        return self.header.component(9, 2).upper()[:10] if self.header else ""


# --- the acknowledgement ---------------------------------------------------------------


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


def build_ack(header: Header | None, code: str, text: str = "", error=None) -> str:
    """MSH (sender and receiver swapped, our own control id), MSA and, unless AA, ERR."""
    header = header or STANDARD_HEADER
    separator, component = header.separator, header.encoding[0]
    trigger = header.component(9, 2)
    msh = ["MSH", header.encoding, header.field(5) or "RELAIS", header.field(6) or "RELAIS",
           header.field(3), header.field(4), timezone.localtime().strftime("%Y%m%d%H%M%S%z"),
           "", component.join(["ACK", trigger, "ACK"]) if trigger else "ACK",
           f"RELAIS{uuid.uuid4().hex[:14].upper()}", header.field(11) or "P",
           header.field(12) or "2.5"]
    segments = [[_ascii(part) for part in msh],
                ["MSA", code, _ascii(header.field(10)), escape(text[:80], header)]]
    if code != "AA":
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


# --- reading an ADT message ------------------------------------------------------------


@dataclass
class AdtEvent:
    """What Relais uses of one ADT message."""

    trigger: str
    patient_id: str = ""
    niss: str = ""
    family_name: str = ""
    given_name: str = ""
    birth_date: date | None = None
    sex: str = ""
    visit_number: str = ""
    ward_code: str = ""
    patient_class: str = ""
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    event_at: datetime | None = None
    expected_discharge_on: date | None = None
    destination: str = ""
    notes: list[str] = field(default_factory=list)


def parse(text: str) -> hl7.Message:
    """hl7.parse with the separators senders really use (\\r, \\n or \\r\\n)."""
    normalised = re.sub(r"\r\n|\n", "\r", text.lstrip("\ufeff")).strip()
    try:
        return hl7.parse(normalised)
    except Exception as error:  # noqa: BLE001 - any failure of the parser on hostile input
        raise Refused(f"The message cannot be read as HL7 v2 ({type(error).__name__}).",
                      error=Err.DATA_TYPE) from error


def segment(message, name: str):
    return next((s for s in message if len(s) and str(s[0]) == name), None)


def value(seg, number: int, component: int = 1, repetition: int = 1, sub: int = 1) -> str:
    """One value, "" when absent or malformed (the parser's IndexError means "not sent")."""
    if seg is None:
        return ""
    try:
        return str(seg.extract_field(1, number, repetition, component, sub)).strip()
    except Exception:  # noqa: BLE001 - a field shaped unlike its type counts as absent
        return ""


def repetitions(seg, number: int, limit: int = 20) -> list[int]:
    """The repetition numbers present in a field."""
    present = []
    for repetition in range(1, limit + 1):
        try:
            seg.extract_field(1, number, repetition, 1, 1)
        except Exception:  # noqa: BLE001 - past the last repetition
            break
        present.append(repetition)
    return present


TIMESTAMP = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?"
                       r"([+-]\d{4})?$")


def read_time(text: str, name: str) -> datetime | None:
    """An HL7 TS/DTM; without an offset it is Brussels time."""
    if not text:
        return None
    match = TIMESTAMP.match(text)
    if not match:
        raise Refused(f"{name} '{text[:40]}' is not a date and time.", error=Err.DATA_TYPE)
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                          int(minute or 0), int(second or 0))
    except ValueError as error:
        raise Refused(f"{name} '{text[:40]}' is not a valid date.") from error
    if offset:
        sign = -1 if offset[0] == "-" else 1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return moment.replace(tzinfo=dt_timezone(sign * delta))
    return timezone.make_aware(moment)


def read_date(text: str, name: str) -> date | None:
    moment = read_time(text[:8], name)
    return moment.date() if moment else None


def is_niss(text: str) -> bool:
    return len(text) == 11 and (nn.is_valid(text) or bis.is_valid(text))


def read_identifiers(pid, event: AdtEvent) -> None:
    """The national number and the hospital's own patient id, from PID-3 (and PID-19)."""
    others = []
    for repetition in repetitions(pid, 3):
        identifier = value(pid, 3, 1, repetition)
        digits = re.sub(r"\D", "", identifier)
        authority = value(pid, 3, 4, repetition).upper()
        kind = value(pid, 3, 5, repetition).upper()
        if kind in NISS_TYPES or (authority in NISS_AUTHORITIES and is_niss(digits)):
            event.niss = event.niss or digits
        elif identifier:
            others.append((kind not in PATIENT_ID_TYPES, identifier))
    if not event.niss:
        event.niss = re.sub(r"\D", "", value(pid, 19))
    if event.niss and not is_niss(event.niss):
        event.notes.append(f"National number '{event.niss[:20]}' is not valid: not used.")
        event.niss = ""
    # A typed hospital id (PI, MR…) first, else the first other identifier.
    event.patient_id = sorted(others, key=lambda other: other[0])[0][1][:80] if others else ""


def read_visit(pv1, pv2, event: AdtEvent) -> None:
    event.patient_class = value(pv1, 2).upper()
    event.ward_code = value(pv1, 3)
    event.visit_number = value(pv1, 19)[:40]
    event.destination = DESTINATIONS.get(value(pv1, 36), "")
    event.admitted_at = read_time(value(pv1, 44), "PV1-44 (admission)")
    event.discharged_at = read_time(value(pv1, 45), "PV1-45 (discharge)")
    event.expected_discharge_on = read_date(value(pv2, 9), "PV2-9 (expected discharge)")


def read_event(message, header: Header) -> AdtEvent:
    """The event, or Refused with what is missing or malformed."""
    evn = segment(message, "EVN")
    event = AdtEvent(trigger=header.component(9, 2).upper())
    pid, pv1 = segment(message, "PID"), segment(message, "PV1")
    if pid is None:
        raise Refused("The PID segment is missing.", error=Err.SEGMENT_SEQUENCE)
    if pv1 is None and event.trigger in NEEDS_VISIT:
        raise Refused(f"The PV1 segment is missing (required for {event.trigger}).",
                      error=Err.SEGMENT_SEQUENCE)
    read_identifiers(pid, event)
    if not (event.patient_id or event.niss):
        raise Refused("PID-3 carries no patient identifier.", error=Err.REQUIRED_FIELD)
    event.family_name, event.given_name = value(pid, 5, 1)[:100], value(pid, 5, 2)[:100]
    event.birth_date = read_date(value(pid, 7), "PID-7 (birth date)")
    event.sex = value(pid, 8).upper()[:1]
    read_visit(pv1, segment(message, "PV2"), event)
    event.event_at = (read_time(value(evn, 6), "EVN-6") or read_time(value(evn, 2), "EVN-2")
                      or read_time(header.field(7), "MSH-7") or timezone.now())
    return event


def read_stored(raw: str) -> AdtEvent:
    """A kept message read again, to apply it once its person is known."""
    header = read_header(raw)
    if header is None:
        raise Refused("The stored message has no MSH segment.", error=Err.SEGMENT_SEQUENCE)
    return read_event(parse(raw), header)


# --- whom and which stay ---------------------------------------------------------------


def hospital_for(header: Header):
    """The hospital whose systems send as MSH-4 (whole field or first component)."""
    names = {header.field(4).strip(), header.first(4)} - {""}
    source = AdtSource.objects.select_related("hospital").filter(
        sending_facility__in=names).first()
    if source is None:
        raise Refused(f"Unknown sending facility '{header.field(4)[:60]}' (MSH-4).", code="AR",
                      error=Err.UNKNOWN_KEY)
    return source.hospital


class Lookups:
    """Sending facilities and ward codes: configuration that rarely changes, read again
    after `ttl` seconds. A listener's connection keeps one (`ttl` 60: an edit in the
    admin counts within a minute); `handle()` alone reads every time (`ttl` 0)."""

    def __init__(self, ttl: float = 0.0):
        self.ttl = ttl
        self.known: dict[tuple, tuple[float, object]] = {}

    def _cached(self, key: tuple, load):
        now = time.monotonic()
        hit = self.known.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        found = load()  # an unknown facility raises: never remembered
        if self.ttl:
            self.known[key] = (now, found)
        return found

    def hospital(self, header: Header):
        return self._cached(("hospital", header.field(4)), lambda: hospital_for(header))

    def ward(self, hospital, code: str):
        return self._cached(("ward", hospital.pk, code.lower()),
                            lambda: ward_for(hospital, code))


def match_person(hospital, event: AdtEvent) -> int | None:
    """The id of the linked person, else of the person with this national number (and the
    patient id gets linked to them, and their kept messages applied); None when nobody
    matches yet. Ids, not rows: most events only need the id (measured: loading the
    person's wide row cost more than the rest of the match). The lookups of this module
    run on every message, hence plain SQL (relais.core.sql)."""
    link = None
    if event.patient_id:
        link = sql.fetch_one(
            "SELECT link.person_id, person.niss FROM {link} link "
            "JOIN {person} person ON person.id = link.person_id "
            "WHERE link.hospital_id = %s AND link.patient_id = %s",
            [hospital.pk, event.patient_id], link=PatientLink, person=Person)
    if link is not None:
        if event.niss and link[1] not in {"", event.niss}:
            raise Refused(f"Patient id {event.patient_id} is linked to a person with another "
                          "national number than PID-3: check the patient's identity.",
                          error=Err.UNKNOWN_KEY)
        return link[0]
    if not event.niss:
        return None
    found = sql.fetch_one("SELECT id FROM {person} WHERE niss = %s", [event.niss],
                          person=Person)
    person_id = found[0] if found else None
    if person_id is not None and event.patient_id:
        link = PatientLink.objects.create(hospital=hospital, patient_id=event.patient_id,
                                          person_id=person_id)
        record_link(link, actor=None, how="niss")
        apply_waiting(hospital, event.patient_id, person_id, actor=None)
    return person_id


def link_patient(hospital, patient_id: str, person_id: int, *, actor, how: str) -> None:
    """Remember that this hospital's patient id is this person."""
    link, created = PatientLink.objects.get_or_create(
        hospital=hospital, patient_id=patient_id, defaults={"person_id": person_id})
    if link.person_id != person_id:
        raise ValidationError(_("This hospital patient id is already linked to another "
                                "person."), code="linked")
    if created:
        record_link(link, actor=actor, how=how)


def record_link(link: PatientLink, *, actor, how: str) -> None:
    """Audited: it joins a hospital's record to a Relais record."""
    audit.record("patient_link.create", actor=actor, target=link, person_id=link.person_id,
                 organisation=link.hospital, detail={"how": how})


def ward_for(hospital, code: str):
    if not code:
        return None
    return Ward.objects.filter(organisation=hospital, code__iexact=code).first()


def stay_for(hospital, person_id: int, event: AdtEvent):
    """The visit's stay; without a visit number, the person's open (or, for A13, last
    discharged) stay in this hospital."""
    if event.visit_number:
        stay = sql.instance(Stay, sql.fetch_one(
            "SELECT {stay_columns} FROM {stay} WHERE hospital_id = %s AND visit_number = %s",
            [hospital.pk, event.visit_number], stay=Stay))
        if stay is not None and stay.person_id != person_id:
            raise Refused(f"Visit {event.visit_number} belongs to another patient.",
                          error=Err.UNKNOWN_KEY)
    else:
        candidates = Stay.objects.filter(hospital=hospital, person_id=person_id,
                                         cancelled_at__isnull=True)
        stay = (candidates.filter(discharged_at__isnull=False).order_by("-discharged_at")
                if event.trigger == "A13" else candidates.filter(discharged_at__isnull=True)
                ).first()
    if stay is not None:
        stay.hospital = hospital  # known already: the services' audit event reads it
    return stay


def cancelled_earlier(hospital, event: AdtEvent) -> bool:
    """An A11 for this visit came before any stay existed (kept, not used then)."""
    if not event.visit_number:
        return False
    earlier = AdtMessage.objects.filter(hospital=hospital, event="A11",
                                        status=AdtStatus.IGNORED)
    earlier = earlier.filter(patient_id=event.patient_id) if event.patient_id else earlier.filter(
        niss=event.niss)
    for message in earlier.only("raw"):
        try:
            if read_stored(message.raw).visit_number == event.visit_number:
                return True
        except Refused:
            continue
    return False


# --- applying an event -----------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    note: str = ""
    stay: Stay | None = None


def ignored(note: str, stay=None) -> Outcome:
    return Outcome(AdtStatus.IGNORED, note, stay)


def open_from_feed(event: AdtEvent, person_id: int, hospital, actor, ward_notes: list[str],
                   lookups: "Lookups"):
    """A stay for a visit not seen before (also for events that came before their A01)."""
    if cancelled_earlier(hospital, event):
        return None
    return stays.open_stay(
        Person.objects.get(pk=person_id), hospital=hospital, actor=actor,
        ward=_ward(hospital, event, ward_notes, lookups),
        admitted_at=event.admitted_at or event.discharged_at or event.event_at,
        expected_discharge_on=event.expected_discharge_on, visit_number=event.visit_number,
        source=StaySource.HL7)


def _ward(hospital, event: AdtEvent, notes: list[str], lookups: "Lookups"):
    ward = lookups.ward(hospital, event.ward_code)
    if event.ward_code and ward is None:
        notes.append(f"Ward '{event.ward_code[:40]}' (PV1-3) is not a ward of this hospital "
                     "in Relais.")
    return ward


CANCELLED_VISIT = "This visit's admission was cancelled (A11): not used."


def admit(event, person_id, hospital, actor, lookups) -> Outcome:
    notes: list[str] = []
    stay = stay_for(hospital, person_id, event)
    if stay is None:
        stay = open_from_feed(event, person_id, hospital, actor, notes, lookups)
        return Outcome(AdtStatus.APPLIED, " ".join(notes), stay) if stay else ignored(
            CANCELLED_VISIT)
    if stay.cancelled_at:
        raise Refused(f"Visit {event.visit_number} was cancelled (A11) in Relais; a new "
                      "admission needs a new visit number.", error=Err.UNKNOWN_KEY)
    # The stay came first (A02/A03/A08 before A01): fill in the admission, never reopen.
    # Without PV1-44 the A01's own time counts only if earlier (a resend is not).
    admitted_at = event.admitted_at or min(event.event_at, stay.admitted_at)
    changes = {"admitted_at": admitted_at}
    if stay.ward_id is None and event.ward_code:
        changes["ward"] = _ward(hospital, event, notes, lookups)
    stays.update_stay(stay, actor=actor, **changes)
    return Outcome(AdtStatus.APPLIED, " ".join(["Admission data completed.", *notes]), stay)


def transfer(event, person_id, hospital, actor, lookups) -> Outcome:
    notes: list[str] = []
    stay = stay_for(hospital, person_id, event)
    if stay is None:
        stay = open_from_feed(event, person_id, hospital, actor, notes, lookups)
        return Outcome(AdtStatus.APPLIED, " ".join(notes), stay) if stay else ignored(
            CANCELLED_VISIT)
    if not stay.is_open:
        return ignored("The stay is already closed: the transfer changes nothing.", stay)
    ward = _ward(hospital, event, notes, lookups)
    if (ward.pk if ward else None) != stay.ward_id:
        stays.transfer(stay, ward=ward, actor=actor)
    return Outcome(AdtStatus.APPLIED, " ".join(notes), stay)


def discharge(event, person_id, hospital, actor, lookups) -> Outcome:
    notes: list[str] = []
    stay = stay_for(hospital, person_id, event)
    if stay is None:
        stay = open_from_feed(event, person_id, hospital, actor, notes, lookups)
        if stay is None:
            return ignored(CANCELLED_VISIT)
    elif stay.cancelled_at:
        return ignored(CANCELLED_VISIT, stay)
    elif stay.discharged_at:
        return ignored("The stay is already discharged.", stay)
    stays.discharge(stay, actor=actor, discharged_at=event.discharged_at or event.event_at,
                    destination=event.destination, from_feed=True)
    return Outcome(AdtStatus.APPLIED, " ".join(notes), stay)


def update(event, person_id, hospital, actor, lookups) -> Outcome:
    notes: list[str] = []
    stay = stay_for(hospital, person_id, event)
    if stay is None:
        if event.discharged_at:
            return discharge(event, person_id, hospital, actor, lookups)
        stay = open_from_feed(event, person_id, hospital, actor, notes, lookups)
        return Outcome(AdtStatus.APPLIED, " ".join(notes), stay) if stay else ignored(
            CANCELLED_VISIT)
    if stay.cancelled_at:
        return ignored(CANCELLED_VISIT, stay)
    changes = {name: getattr(event, name) for name in ("admitted_at", "expected_discharge_on")
               if getattr(event, name)}
    if event.ward_code and stay.is_open:
        ward = _ward(hospital, event, notes, lookups)
        if (ward.pk if ward else None) != stay.ward_id:
            changes["ward"] = ward
    stays.update_stay(stay, actor=actor, **changes)
    return Outcome(AdtStatus.APPLIED, " ".join(notes), stay)


def cancel_admit(event, person_id, hospital, actor, lookups) -> Outcome:
    stay = stay_for(hospital, person_id, event)
    if stay is None:
        return ignored("No stay for this visit yet: kept, the visit will not be opened.")
    if stay.cancelled_at:
        return ignored("The admission was already cancelled.", stay)
    stays.cancel_admission(stay, actor=actor)
    return Outcome(AdtStatus.APPLIED, "", stay)


def cancel_discharge(event, person_id, hospital, actor, lookups) -> Outcome:
    stay = stay_for(hospital, person_id, event)
    if stay is None or stay.cancelled_at or not stay.discharged_at:
        return ignored("No discharged stay for this visit: nothing to cancel.", stay)
    stays.cancel_discharge(stay, actor=actor)
    return Outcome(AdtStatus.APPLIED, "", stay)


APPLY = {"A01": admit, "A02": transfer, "A03": discharge, "A08": update, "A11": cancel_admit,
         "A13": cancel_discharge}


def run_event(event: AdtEvent, person_id: int, hospital, actor=None, lookups=None) -> Outcome:
    """The stay services' rules decide; what they refuse becomes a Refused. The caller
    undoes a refused event's changes (the feed its whole transaction, `apply_event` a
    savepoint)."""
    if event.trigger not in APPLY:
        return ignored(f"Event '{event.trigger}' is not used by Relais.")
    try:
        return APPLY[event.trigger](event, person_id, hospital, actor, lookups or Lookups())
    except ValidationError as error:
        raise Refused(" ".join(error.messages), error=Err.INTERNAL) from error
    except IntegrityError as error:
        raise Refused("The change conflicts with what Relais already holds for this stay.",
                      error=Err.INTERNAL) from error


def apply_event(event: AdtEvent, person_id: int, hospital, actor=None) -> Outcome:
    """`run_event` in a savepoint: several kept messages are applied in one transaction,
    and one refused must not undo the others."""
    with audit.savepoint():
        return run_event(event, person_id, hospital, actor)


# --- the message's fate ----------------------------------------------------------------


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
    if event.patient_class in NOT_FOLLOWED_CLASSES:
        return ignored(f"Patient class {event.patient_class}: Relais follows in-patient stays.")
    person_id = match_person(message.hospital, event)
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
    if not (received.whole and received.control_id):
        return None
    found = sql.fetch_one("SELECT id, status, ack FROM {message} "
                          "WHERE sender = %s AND control_id = %s",
                          [received.sender, received.control_id], message=AdtMessage)
    return Earlier(*found) if found else None


def record_for(received: Received, earlier: Earlier | None) -> AdtMessage:
    """The row to store: new, or the rejected copy a resend replaces (same pk)."""
    if not received.whole and received.control_id:
        received.notes.append(f"Control id seen: {received.control_id[:60]}.")
    return AdtMessage(pk=earlier.pk if earlier else None, received_at=timezone.now(),
                      sender=received.sender, event=received.trigger, raw=received.text,
                      control_id=received.control_id if received.whole else "")


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
        from django.db import connections

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


# --- pending messages: a liaison nurse says who the patient is -------------------------


def waiting_messages(hospital, *, patient_id: str, niss: str = ""):
    waiting = AdtMessage.objects.filter(hospital=hospital, status=AdtStatus.PENDING_MATCH)
    waiting = waiting.filter(patient_id=patient_id) if patient_id else waiting.filter(
        patient_id="", niss=niss)
    return waiting.order_by("received_at", "pk")


def apply_waiting(hospital, patient_id: str, person_id: int, *, actor, niss: str = "") -> int:
    """Apply the person's kept messages in the order they arrived; each gets its own fate
    (a refused one does not stop the others). Their ACKs were sent long ago and stay."""
    applied = 0
    for message in waiting_messages(hospital, patient_id=patient_id, niss=niss):
        apply_stored(message, person_id, actor=actor)
        applied += 1
    return applied


def apply_stored(message: AdtMessage, person_id: int, *, actor) -> None:
    with translation.override("en"):
        try:
            outcome = apply_event(read_stored(message.raw), person_id, message.hospital, actor)
            message.status, message.stay, note = outcome.status, outcome.stay, outcome.note
        except Refused as refusal:
            message.status, note = AdtStatus.REJECTED, refusal.reason
    earlier = f"(When received: {message.problem})" if message.problem else ""
    message.problem = " ".join(filter(None, [note, earlier]))
    message.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    message.resolved_at = timezone.now()
    message.save(update_fields=["status", "stay", "problem", "resolved_by", "resolved_at"])


@transaction.atomic
def resolve_pending(message: AdtMessage, person, actor) -> int:
    """Link the message's patient id to `person` and apply every message kept for that
    patient, in arrival order. Returns how many were applied or refused."""
    message = AdtMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != AdtStatus.PENDING_MATCH:
        raise ValidationError(_("This message was already dealt with."), code="resolved")
    if message.patient_id:
        link_patient(message.hospital, message.patient_id, person.pk, actor=actor,
                     how="by hand")
    return apply_waiting(message.hospital, message.patient_id, person.pk, actor=actor,
                         niss=message.niss)


def person_data(message: AdtMessage) -> dict:
    """What the message says about the patient, to open their record."""
    with translation.override("en"):
        event = read_stored(message.raw)
    sex = event.sex if event.sex in {"M", "F"} else "X"
    return {"first_name": event.given_name, "last_name": event.family_name,
            "birth_date": event.birth_date, "sex": sex, "niss": event.niss}


@transaction.atomic
def create_person_from(message: AdtMessage, actor):
    """Open a record from the message (PID-5 name, PID-7 birth date, PID-8 sex, the
    national number), kept by the hospital, then resolve the message to it. A record with
    that national number opened since the message came is used instead."""
    try:
        data = person_data(message)
    except Refused as refusal:
        raise ValidationError(refusal.reason) from refusal
    # Opened since the message came (perhaps by someone the nurse cannot see): the feed
    # itself would now match by national number, so do the same rather than a dead end.
    person = Person.objects.filter(niss=data["niss"]).first() if data["niss"] else None
    if person is None:
        person = create_person(data, actor=actor, organisation=message.hospital)
    resolve_pending(message, person, actor)
    return person
