"""What the listener decides before it stores a message: refused now (AE/AR), kept and not
used (an event or a visit Relais does not follow), or put in the inbox, in its patient's
lane, to be applied behind (relais.interop.adt.inbox).

Only what storing and ordering need is read here: the MSH header, the sender's hospital,
and of PID, PV1 and MRG the few fields that say who the patient is, which visit class
and which id a merge retires. They are read by splitting the segments (`Segment`): the
full parse (python-hl7, about 1.4 ms a message) is the applier's, so that the ACK waits
only for the commit. What only the full reading finds (a date that is not a date, a rule
of the stay) is found when the message is applied; the application acknowledgement
(`AdtMessage.result`) then says AE, and the message is shown on the pending page.
"""

import re
from dataclasses import dataclass

from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.event import NEEDS_VISIT, AdtEvent, read_identifiers, value
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.merge import MERGES
from relais.interop.adt.received import MAX_MESSAGE_BYTES, Header, Received
from relais.stays.models import AdtStatus

SUPPORTED_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A05", "A08", "A11", "A12", "A13",
                              "A28", "A31", "A38", *MERGES})
# Relais follows hospital stays, not consultations (HL7 table 0004).
NOT_FOLLOWED_CLASSES = frozenset({"O", "R"})
STORED = "Stored; it will be applied in order."


@dataclass(frozen=True)
class Verdict:
    """A message's fate on receipt, when it is not refused."""

    status: str  # RECEIVED (into the inbox) or IGNORED
    note: str  # MSA-3
    lane: str = ""
    lane_also: str = ""


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


def judge(received: Received, message, lookups: Lookups) -> Verdict:
    """The verdict; fills in the row's hospital as it is read. Raises Refused (AE: the
    message is wrong, AR: not for Relais now). Reads no more than storing it needs."""
    header = check_header(received)
    message.hospital = hospital = lookups.hospital(header)
    if received.trigger not in SUPPORTED_EVENTS:
        return Verdict(AdtStatus.IGNORED, f"Event '{received.trigger}' is not used by "
                                          "Relais.")
    patient = glance(received.text, header)
    received.notes.extend(patient.notes)
    message.patient_id, message.niss = patient.patient_id, patient.niss
    if received.trigger in MERGES:
        check_merge(patient)
    elif patient.patient_class in NOT_FOLLOWED_CLASSES:
        return Verdict(AdtStatus.IGNORED, f"Patient class {patient.patient_class}: Relais "
                                          "follows in-patient stays.")
    return Verdict(AdtStatus.RECEIVED, STORED, lane=lane(hospital.pk, patient),
                   lane_also=(f"{hospital.pk}:{patient.prior_patient_id}"
                              if received.trigger in MERGES else ""))


def lane(hospital_id: int, patient: AdtEvent) -> str:
    """Who the message's order is kept with: the hospital's patient id, else the national
    number (a sender that sends one patient both ways has two lanes)."""
    return f"{hospital_id}:{patient.patient_id or 'niss:' + patient.niss}"[:200]


def check_merge(patient: AdtEvent) -> None:
    if not patient.prior_patient_id:
        raise Refused("MRG-1 (the patient id to merge) is missing.", error=Err.REQUIRED_FIELD)
    if not patient.patient_id or patient.patient_id == patient.prior_patient_id:
        raise Refused("PID-3 must carry the surviving patient id, other than MRG-1.",
                      error=Err.REQUIRED_FIELD)


def glance(text: str, header: Header) -> AdtEvent:
    """PID-3 and PID-19 (who), PV1-2 (the patient class) and MRG-1 (a merge's retired id),
    read as the full reading reads them (`read_identifiers`), from the split segments."""
    segments = first_segments(text, header.separator, {"PID", "PV1", "MRG"})
    patient = AdtEvent(trigger=header.component(9, 2).upper())
    pid, pv1 = segments.get("PID"), segments.get("PV1")
    if pid is None:
        raise Refused("The PID segment is missing.", error=Err.SEGMENT_SEQUENCE)
    if pv1 is None and patient.trigger in NEEDS_VISIT:
        raise Refused(f"The PV1 segment is missing (required for {patient.trigger}).",
                      error=Err.SEGMENT_SEQUENCE)
    read_identifiers(Segment(pid, header), patient)
    if not (patient.patient_id or patient.niss):
        raise Refused("PID-3 carries no patient identifier.", error=Err.REQUIRED_FIELD)
    patient.patient_class = value(Segment(pv1, header), 2).upper() if pv1 else ""
    if "MRG" in segments:
        patient.prior_patient_id = value(Segment(segments["MRG"], header), 1)[:80]
    return patient


def first_segments(text: str, separator: str, names: set[str]) -> dict[str, str]:
    """The first segment of each name, as a line (segments end in CR, LF or CRLF)."""
    found: dict[str, str] = {}
    for line in re.split(r"\r\n|\r|\n", text):
        name = line[:3]
        if name in names and name not in found and line[3:4] == separator:
            found[name] = line
    return found


class Segment:
    """One segment split on the sender's separators, read like python-hl7's
    `extract_field` (a missing repetition raises IndexError, a missing component is "")."""

    def __init__(self, line: str, header: Header):
        self.fields = line.split(header.separator)
        self.component, self.repetition = header.encoding[0], header.encoding[1]
        self.subcomponent = header.encoding[3]

    def extract_field(self, segment_num, field_num, repetition=1, component=1,
                      subcomponent=1) -> str:
        if field_num >= len(self.fields):
            return ""
        repetitions = self.fields[field_num].split(self.repetition)
        if repetition > len(repetitions):
            raise IndexError(repetition)
        components = repetitions[repetition - 1].split(self.component)
        if component > len(components):
            return ""
        parts = components[component - 1].split(self.subcomponent)
        return parts[subcomponent - 1] if subcomponent <= len(parts) else ""
