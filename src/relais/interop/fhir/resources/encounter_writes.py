"""Encounter create and update: a hospital without an HL7 v2 engine admits, moves,
discharges and cancels its stays through the stays' services — the same functions the
ADT feed calls (`stays.services`: open_stay, transfer, update_stay, discharge as a
reported fact, cancel_admission, cancel_discharge), so the checklist, the readmission
link, the alerts, the follow-up and the audit are the same.

What the feed's events are here:
- create `in-progress` (A01); create `finished` (an A03 for a visit not seen: the stay
  opens already discharged); with `If-None-Exist: identifier=<visit number>` a retried
  POST finds the stay it made (conditional create) instead of a second one;
- update: a new `location` is a transfer (A02); a `location` left out leaves the ward
  as it is (the stay's ward is the hospital's, sent when it changes, as PV1-3), and
  locations sent that are all `completed` clear it; a new `period.start` completes the
  admission (A08); `finished` discharges (A03); `in-progress` again after `finished`
  cancels the discharge (A13); `cancelled` (or `entered-in-error`) cancels the admission
  (A11). The same state sent again changes nothing (no event, the same version).

Only a client acting for the hospital writes its stays (`serviceProvider`, and the
stays' rule: only the hospital's staff change a stay). The person is `Patient/<id>`
(one the client may read) or, as the feed finds them, the SSIN in `subject.identifier`;
a person Relais does not know is a 422 (the feed keeps such a message for a liaison
nurse; here the sender knows at once).
"""

from dataclasses import dataclass
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from relais.accounts.models import OrganisationType, Ward
from relais.core.text import is_digits
from relais.interop.fhir import identifiers, registry, writes
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.resources.encounter_codes import (
    DESTINATION,
    DISPOSITIONS,
    PRIORITIES,
)
from relais.interop.fhir.values import invalid
from relais.network.models import Person
from relais.stays import services as stays
from relais.stays.models import AdmissionType, Destination, Stay, StaySource

# FHIR R4's elements of Encounter: anything else is a 400. Those Relais does not keep
# (reasonCode, participant…) are accepted and not kept: the answer shows what was.
ELEMENTS = frozenset({
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained",
    "extension", "modifierExtension", "identifier", "status", "statusHistory", "class",
    "classHistory", "type", "serviceType", "priority", "subject", "episodeOfCare",
    "basedOn", "participant", "appointment", "period", "length", "reasonCode",
    "reasonReference", "diagnosis", "account", "hospitalization", "location",
    "serviceProvider", "partOf"})
REFERENCE = frozenset({"id", "extension", "reference", "type", "identifier", "display"})
PERIOD = frozenset({"id", "extension", "start", "end"})
INPATIENT = {"IMP", "ACUTE", "NONAC"}  # v3 ActCode: the stays Relais follows
LOCATION_STATUSES = {"planned", "active", "reserved", "completed"}
CANCELLED = {"cancelled", "entered-in-error"}
WRITTEN = {"in-progress", "finished", *CANCELLED}
STATUSES = {"planned", "arrived", "triaged", "in-progress", "onleave", "finished",
            "cancelled", "entered-in-error", "unknown"}
ADMISSION_TYPES = {code: kind for kind, (code, _display) in PRIORITIES.items()}
DESTINATIONS = {code: destination for destination, code in DISPOSITIONS.items()
                if destination != Destination.HOME_WITH_SERVICES}


@dataclass
class Visit:
    """What an Encounter says of a stay, read and checked."""

    status: str
    person: Person | None
    visit_number: str
    admitted_at: datetime
    discharged_at: datetime | None
    ward: Ward | None
    ward_sent: bool  # a current location was sent, or every one sent is completed
    admission_type: str
    destination: str


def create(caller, body: dict) -> Stay:
    hospital = _hospital(caller, body)
    visit = read_visit(body, hospital, caller.user)
    if visit.status not in ("in-progress", "finished"):
        raise _rule(_("An encounter is created in progress or finished."))
    _refuse_taken(hospital, visit.visit_number)
    with _services():
        stay = stays.open_stay(
            visit.person, hospital=hospital, actor=caller.user, ward=visit.ward,
            admitted_at=visit.admitted_at, visit_number=visit.visit_number,
            source=StaySource.FHIR, admission_type=visit.admission_type)
        if visit.status == "finished":
            stays.discharge(stay, actor=caller.user, discharged_at=visit.discharged_at,
                            destination=visit.destination, from_feed=True)
    return stay


def update(caller, stay: Stay, body: dict) -> Stay:
    visit = read_visit(body, stay.hospital, caller.user, stay=stay)
    _unchanged(visit, stay, body)
    if stay.cancelled_at:
        if visit.status not in CANCELLED:
            raise _rule(_("This encounter was cancelled: it does not change any more (a new "
                          "admission needs a new identifier)."))
        return stay
    with _services():
        _give_number(caller, stay, visit)
        if visit.status in CANCELLED:
            stays.cancel_admission(stay, actor=caller.user)
            return stay
        if stay.discharged_at and visit.status == "in-progress":
            stays.cancel_discharge(stay, actor=caller.user)
        _move(caller, stay, visit)
        if visit.status == "finished":
            _discharge(caller, stay, visit)
    return stay


def _give_number(caller, stay: Stay, visit: Visit) -> None:
    """A stay opened on the pages has no visit number until the hospital's system sends
    its Encounter back with one (once: then it is the encounter's identifier)."""
    if stay.visit_number or not visit.visit_number:
        return
    _refuse_taken(stay.hospital, visit.visit_number)
    stays.give_visit_number(stay, visit.visit_number, actor=caller.user)


def _refuse_taken(hospital, visit_number: str) -> None:
    """409 when another stay of the hospital has this visit number."""
    if Stay.objects.filter(hospital=hospital, visit_number=visit_number).exists():
        raise FhirError(409, "duplicate", _(
            "This hospital already has an encounter with the identifier “%(value)s”: "
            "update it (PUT), or create with If-None-Exist.") % {"value": visit_number})


def _same_moment(sent, held) -> bool:
    """To the second: what the API serves, and so what a client sends back."""
    if sent is None or held is None:
        return sent is held
    return sent.replace(microsecond=0) == held.replace(microsecond=0)


def _move(caller, stay: Stay, visit: Visit) -> None:
    if not _same_moment(visit.admitted_at, stay.admitted_at):
        stays.update_stay(stay, actor=caller.user, admitted_at=visit.admitted_at)
    if visit.ward_sent and visit.ward != stay.ward and stay.is_open:
        stays.transfer(stay, ward=visit.ward, actor=caller.user)


def _discharge(caller, stay: Stay, visit: Visit) -> None:
    if stay.discharged_at is None:
        stays.discharge(stay, actor=caller.user, discharged_at=visit.discharged_at,
                        destination=visit.destination, from_feed=True)
    elif not (_same_moment(visit.discharged_at, stay.discharged_at)
              and visit.destination == stay.destination):
        raise _rule(_("A discharge is not changed: set the encounter in progress again "
                      "(the discharge is cancelled), then finished."))


def _unchanged(visit: Visit, stay: Stay, body: dict) -> None:
    """What identifies the stay, where and how it began, are not changed by an update
    (a priority or a serviceProvider left out is left as it is)."""
    fixed = {"subject": (visit.person.pk, stay.person_id)}
    if stay.visit_number:  # else it is given now (_give_number)
        fixed["identifier"] = (visit.visit_number, stay.visit_number)
    if visit.admission_type:
        fixed["priority"] = (visit.admission_type, stay.admission_type)
    if body.get("serviceProvider") is not None:
        fixed["serviceProvider"] = (
            _reference(body["serviceProvider"], "serviceProvider", "Organization"),
            stay.hospital_id)
    for path, (sent, held) in fixed.items():
        if sent != held:
            raise _rule(_("“%(path)s” cannot change on an existing encounter.")
                        % {"path": path})


class _services:
    """What the stays' services refuse, as an OperationOutcome: another open stay is a
    conflict, any other rule a 422. (A visit number taken meanwhile is the database's
    IntegrityError: the view answers it.)"""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if isinstance(error, ValidationError):
            status = 409 if getattr(error, "code", None) == "stay_open" else 422
            raise FhirError(status, "conflict" if status == 409 else "business-rule",
                            " ".join(error.messages)) from error
        return False


def _rule(text: str) -> FhirError:
    return FhirError(422, "business-rule", text)


# --- reading the Encounter ------------------------------------------------------------


def _hospital(caller, body: dict):
    """The client's organisation, which must be a hospital and the serviceProvider."""
    hospital = caller.client.organisation
    sent = body.get("serviceProvider")
    if hospital.type != OrganisationType.HOSPITAL or (
            sent is not None and _reference(sent, "serviceProvider", "Organization")
            != hospital.pk):
        raise writes.forbidden(caller.user, registry.TYPES["Encounter"], "", "create",
                               "hospital", _("A client writes the encounters of the "
                                             "hospital it acts for, and only those."))
    return hospital


def read_visit(body: dict, hospital, user, *, stay: Stay | None = None) -> Visit:
    writes.check_elements(body, ELEMENTS, "Encounter")
    status = _status(body)
    _class(body)
    start, end = _period(body, status)
    ward, ward_sent = _ward(body, hospital)
    return Visit(status=status, person=_person(body, user, stay),
                 visit_number=_visit_number(body, stay), admitted_at=start, discharged_at=end,
                 ward=ward, ward_sent=ward_sent, admission_type=_admission_type(body),
                 destination=_destination(body, status))


def _required(body: dict, name: str):
    if body.get(name) in (None, "", [], {}):
        raise FhirError(400, "required", _("“%(path)s” is required.") % {"path": name})
    return body[name]


def _object(value, path: str, known: frozenset) -> dict:
    if not isinstance(value, dict):
        raise invalid(path, str(value))
    writes.check_elements(value, known, path)
    return value


def _status(body: dict) -> str:
    status = _required(body, "status")
    if not isinstance(status, str) or status not in STATUSES:
        raise invalid("status", str(status))
    if status not in WRITTEN:
        raise _rule(_("Relais keeps encounters in progress, finished or cancelled; "
                      "“%(status)s” is not one of them.") % {"status": status})
    return status


def _class(body: dict) -> None:
    coding = _object(_required(body, "class"), "class",
                     frozenset({"id", "extension", "system", "version", "code", "display",
                                "userSelected"}))
    if coding.get("code") not in INPATIENT:
        raise _rule(_("Relais follows hospital stays (inpatient encounters) only."))


def _period(body: dict, status: str) -> tuple[datetime, datetime | None]:
    period = _object(_required(body, "period"), "period", PERIOD)
    if not period.get("start"):
        raise FhirError(400, "required", _("“%(path)s” is required.") % {"path": "period.start"})
    start = _moment(period["start"], "period.start")
    end = _moment(period["end"], "period.end") if period.get("end") else None
    if status == "finished" and end is None:
        raise FhirError(400, "required", _("“%(path)s” is required.") % {"path": "period.end"})
    if status == "in-progress" and end is not None:
        raise _rule(_("An encounter in progress has no end yet: send period.end with "
                      "status finished."))
    return start, end


def _moment(value, path: str) -> datetime:
    """A FHIR dateTime: with a time, it carries its offset; a day alone is its first
    moment in Brussels."""
    text = str(value)
    moment = parse_datetime(text) if "T" in text else None
    if moment is not None and moment.tzinfo is not None:
        return moment
    day = parse_date(text) if "T" not in text else None
    if day is None:
        raise invalid(path, text)
    return timezone.make_aware(datetime.combine(day, time()))


def _person(body: dict, user, stay: Stay | None) -> Person:
    subject = _object(_required(body, "subject"), "subject", REFERENCE)
    if "reference" in subject:
        pk = _reference(subject, "subject", "Patient")
        person = Person.objects.visible_to(user).filter(pk=pk).first()
        if person is None and stay is not None and stay.person_id == pk:
            person = stay.person  # the stay's own person, whom the hospital wrote before
    else:
        person = _by_ssin(subject)
    if person is None:
        raise _rule(_("%(reference)s is not known to this server.")
                    % {"reference": str(subject.get("reference", "Patient"))[:80]})
    return person


def _by_ssin(subject: dict) -> Person | None:
    """The person with this national number, as the ADT feed finds them (the hospital
    has the patient in front of it: not only those it may read already)."""
    identifier = _object(subject.get("identifier"), "subject.identifier",
                         frozenset({"id", "extension", "use", "type", "system", "value",
                                    "period", "assigner"}))
    if identifier.get("system") not in (identifiers.SSIN, identifiers.SSIN_OLD):
        raise invalid("subject.identifier.system", str(identifier.get("system")))
    number = identifiers.ssin(str(identifier.get("value", "")))
    person = Person.objects.filter(niss=number).first()
    if person is None:
        raise _rule(_("No person with this SSIN is known to Relais: a liaison nurse opens "
                      "the record first."))
    return person


def _reference(value, path: str, target: str) -> int:
    reference = _object(value, path, REFERENCE).get("reference", "")
    local = str(reference).removeprefix(f"{target}/")
    if not is_digits(local) or len(local) > 18:
        raise invalid(path, str(reference))
    return int(local)


def _visit_number(body: dict, stay: Stay | None) -> str:
    """The hospital's visit number: required, except on an update of a stay opened
    without one (on the pages): its Encounter is served without `identifier`, and may be
    sent back so, or with the number the hospital gives it (once)."""
    if stay is not None and not stay.visit_number and body.get("identifier") in (None, []):
        return ""
    found = _required(body, "identifier")
    if not isinstance(found, list):
        raise invalid("identifier", str(found))
    values = [i.get("value") for i in found if isinstance(i, dict) and i.get("value")]
    if not values or not isinstance(values[0], str) or len(values[0]) > 40:
        raise FhirError(400, "required", _("“%(path)s” is required.")
                        % {"path": "identifier.value"})
    return values[0]


def _ward(body: dict, hospital) -> tuple[Ward | None, bool]:
    """(the ward, whether the Encounter says where the person is). The first current
    location (its `status` active or left out): the ward's code in the hospital's systems
    (its identifier), else its name (display). No `location`, or only planned or
    reserved ones: not said (an update leaves the ward as it is); `completed` ones and
    no active one: in no ward now."""
    locations = body.get("location") or []
    if not isinstance(locations, list) or not all(isinstance(x, dict) for x in locations):
        raise invalid("location", str(locations)[:64])
    statuses = [x.get("status", "active") for x in locations]
    for status in statuses:
        if not isinstance(status, str) or status not in LOCATION_STATUSES:
            raise invalid("location.status", str(status))
    current = [x for x, status in zip(locations, statuses, strict=True) if status == "active"]
    if not current:
        return None, "completed" in statuses
    reference = _object(current[0].get("location"), "location.location", REFERENCE)
    code = (reference.get("identifier") or {}).get("value", "")
    wards = Ward.objects.filter(organisation=hospital)
    ward = wards.filter(code__iexact=code).first() if code else wards.filter(
        name__iexact=str(reference.get("display", ""))).first()
    if ward is None:
        raise _rule(_("“%(ward)s” is not a ward of this hospital in Relais.")
                    % {"ward": str(code or reference.get("display", ""))[:64]})
    return ward, True


def _admission_type(body: dict) -> str:
    codes = _codes(body.get("priority"), "priority")
    return next((ADMISSION_TYPES[c] for c in codes if c in ADMISSION_TYPES),
                AdmissionType.UNKNOWN)


def _destination(body: dict, status: str) -> str:
    hospitalization = body.get("hospitalization") or {}
    if not isinstance(hospitalization, dict):
        raise invalid("hospitalization", str(hospitalization)[:64])
    codings = _codings(hospitalization.get("dischargeDisposition"),
                       "hospitalization.dischargeDisposition")
    own = [c.get("code") for c in codings if c.get("system") == DESTINATION]
    if own and own[0] in Destination.values:
        return own[0]
    return next((DESTINATIONS[c.get("code")] for c in codings
                 if c.get("code") in DESTINATIONS), "")


def _codes(concept, path: str) -> list[str]:
    return [coding.get("code") for coding in _codings(concept, path)]


def _codings(concept, path: str) -> list[dict]:
    if concept is None:
        return []
    if not isinstance(concept, dict) or not isinstance(concept.get("coding", []), list):
        raise invalid(path, str(concept)[:64])
    return [c for c in concept.get("coding", []) if isinstance(c, dict)]
