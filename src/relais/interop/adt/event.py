"""Reading an ADT message: the segments Relais uses (PID, PV1, PV2, EVN) become an
`AdtEvent` (who, which visit, which ward, when); what is missing or malformed is a
`Refused`.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone

import hl7
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.be import bis, nn

from relais.core.validators import validate_birth_date
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.received import Header, read_header
from relais.stays.models import Destination

NEEDS_VISIT = frozenset({"A01", "A02", "A03", "A04", "A05", "A12"})
# HL7's explicit null: the sender says "this value is now empty", not "not sent".
HL7_NULL = '""'
NISS_TYPES = frozenset({"NN", "SS", "NNBEL", "INSZ", "NISS"})
NISS_AUTHORITIES = frozenset({"NISS", "INSZ", "RRN", "SSIN", "NN", "BE", "BEL"})
PATIENT_ID_TYPES = frozenset({"PI", "MR", "PN", "PT"})
# HL7 table 0112 (discharge disposition), as Belgian systems send it.
DESTINATIONS = {"01": Destination.HOME, "02": Destination.OTHER_HOSPITAL,
                "03": Destination.NURSING_HOME, "04": Destination.NURSING_HOME,
                "06": Destination.HOME_WITH_SERVICES, "07": Destination.OTHER,
                "20": Destination.DECEASED, "40": Destination.DECEASED,
                "41": Destination.DECEASED, "42": Destination.DECEASED}


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
    admission_type: str = ""  # PV1-4, HL7 table 0007
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    event_at: datetime | None = None
    expected_discharge_on: date | None = None
    destination: str = ""
    has_visit: bool = True  # a PV1 was sent (an A08 or A31 may update the person only)
    prior_patient_id: str = ""  # MRG-1: the id a merge (A34, A40, A47) retires
    cleared: set[str] = field(default_factory=set)  # fields sent as "" (clear them)
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
    text = raw_value(seg, number, component, repetition, sub)
    return "" if text == HL7_NULL else text


def raw_value(seg, number: int, component: int = 1, repetition: int = 1, sub: int = 1) -> str:
    if seg is None:
        return ""
    try:
        return str(seg.extract_field(1, number, repetition, component, sub)).strip()
    except Exception:  # noqa: BLE001 - a field shaped unlike its type counts as absent
        return ""


def is_cleared(seg, number: int, component: int = 1) -> bool:
    """The field was sent as HL7's explicit null (two double quotes): clear the value."""
    return raw_value(seg, number, component) == HL7_NULL


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
        moment = _with_offset(moment, offset)
        # What the database stores is UTC: the first and last hours HL7 can write
        # (0001-01-01, 9999-12-31) may have none (found by bench/adt_fuzz.py).
        moment.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise Refused(f"{name} '{text[:40]}' is not a valid date.") from error
    return moment


def _with_offset(moment: datetime, offset: str | None) -> datetime:
    """The offset sent (±HHMM; ValueError beyond a day), else Brussels time."""
    if not offset:
        return timezone.make_aware(moment)
    sign = -1 if offset[0] == "-" else 1
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
    return moment.replace(tzinfo=dt_timezone(sign * delta))


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


def read_birth_date(pid, event: AdtEvent) -> date | None:
    """PID-7, unless it cannot be right (before 1900, in the future): then the record
    opened from the message says "unknown" rather than the sender's typing error."""
    birth_date = read_date(value(pid, 7), "PID-7 (birth date)")
    try:
        validate_birth_date(birth_date)
    except ValidationError:
        event.notes.append(f"Birth date {birth_date.isoformat()} (PID-7) is not plausible: "
                           "not used.")
        return None
    return birth_date


def read_visit(pv1, pv2, event: AdtEvent) -> None:
    event.has_visit = pv1 is not None
    for seg, number, name in ((pv1, 3, "ward"), (pv2, 9, "expected_discharge_on")):
        if is_cleared(seg, number):
            event.cleared.add(name)
    event.patient_class = value(pv1, 2).upper()
    event.admission_type = value(pv1, 4).upper()[:2]
    event.ward_code = value(pv1, 3)
    event.visit_number = value(pv1, 19)[:40]
    event.destination = DESTINATIONS.get(value(pv1, 36), "")
    event.admitted_at = read_time(value(pv1, 44), "PV1-44 (admission)")
    event.discharged_at = read_time(value(pv1, 45), "PV1-45 (discharge)")
    event.expected_discharge_on = read_date(value(pv2, 9), "PV2-9 (expected discharge)")


def read_event(message, header: Header, *, received_at: datetime | None = None) -> AdtEvent:
    """The event, or Refused with what is missing or malformed. Without a time in EVN or
    MSH, the event happened when it was received."""
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
    event.birth_date = read_birth_date(pid, event)
    if is_cleared(pid, 7):
        event.cleared.add("birth_date")
    event.prior_patient_id = value(segment(message, "MRG"), 1)[:80]
    event.sex = value(pid, 8).upper()[:1]
    read_visit(pv1, segment(message, "PV2"), event)
    event.event_at = (read_time(value(evn, 6), "EVN-6") or read_time(value(evn, 2), "EVN-2")
                      or read_time(header.field(7), "MSH-7") or received_at or timezone.now())
    return event


def read_stored(raw: str, *, received_at: datetime | None = None) -> AdtEvent:
    """A kept message read again, to apply it (from the inbox, or once its person is
    known)."""
    header = read_header(raw)
    if header is None:
        raise Refused("The stored message has no MSH segment.", error=Err.SEGMENT_SEQUENCE)
    return read_event(parse(raw), header, received_at=received_at)
