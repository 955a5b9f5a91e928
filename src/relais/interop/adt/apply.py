"""Applying an event to the visit's stay (A01/A04 admit, A05 pre-admit, A02 transfer, A12
cancel transfer, A03 discharge, A08 update, A11/A38 cancel admission, A13 cancel
discharge) through the stay services, so the rules are those of a stay opened by hand;
events that come before their A01 open the stay. The person's demographics (A08, A28,
A31) go through the person service. What the services refuse becomes a `Refused`.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from relais.audit import log as audit
from relais.core import sql
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.event import AdtEvent, read_stored
from relais.interop.adt.lookups import Lookups
from relais.network.models import Person
from relais.network.services import update_person
from relais.stays import services as stays
from relais.stays.models import AdtMessage, AdtStatus, Stay, StaySource
from relais.stays.readmissions import admission_type_from_hl7


@dataclass
class Outcome:
    status: str
    note: str = ""
    stay: Stay | None = None


def ignored(note: str, stay=None) -> Outcome:
    return Outcome(AdtStatus.IGNORED, note, stay)


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
        source=StaySource.HL7, admission_type=admission_type_from_hl7(event.admission_type),
        pre_admitted=event.patient_class == "P" or event.trigger == "A05")


def _ward(hospital, event: AdtEvent, notes: list[str], lookups: "Lookups"):
    ward = lookups.ward(hospital, event.ward_code)
    if event.ward_code and ward is None:
        notes.append(f"Ward '{event.ward_code[:40]}' (PV1-3) is not a ward of this hospital "
                     "in Relais.")
    return ward


CANCELLED_VISIT = "This visit's admission was cancelled (A11): not used."


PRE_ADMISSION_WAITS = ("Kept: the person is in another stay in this hospital; the "
                       "pre-admitted visit opens with its A01.")


def admit(event, person_id, hospital, actor, lookups) -> Outcome:
    notes: list[str] = []
    stay = stay_for(hospital, person_id, event)
    if stay is None and event.trigger == "A05" and Stay.objects.open().filter(
            person_id=person_id, hospital=hospital).exists():
        return ignored(PRE_ADMISSION_WAITS)  # planned while still in: not an error
    if stay is None:
        stay = open_from_feed(event, person_id, hospital, actor, notes, lookups)
        return Outcome(AdtStatus.APPLIED, " ".join(notes), stay) if stay else ignored(
            CANCELLED_VISIT)
    if stay.cancelled_at:
        raise Refused(f"Visit {event.visit_number} was cancelled (A11) in Relais; a new "
                      "admission needs a new visit number.", error=Err.UNKNOWN_KEY)
    if event.visit_number and was_admitted(stay):
        return admitted_again(event, stay, hospital, actor, lookups)
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
    """A08: the person's demographics, then (when a PV1 came) the visit."""
    changed = update_demographics(event, person_id, actor)
    if not event.has_visit:
        return Outcome(AdtStatus.APPLIED, _changed_note(changed))
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
    stays.update_stay(stay, actor=actor, **visit_changes(event, stay, hospital, notes, lookups))
    return Outcome(AdtStatus.APPLIED, " ".join(notes), stay)


def visit_changes(event, stay, hospital, notes: list[str], lookups) -> dict:
    """What the message says of the visit (ward PV1-3, admission PV1-44, expected discharge
    PV2-9), as changes to the stay; "" clears; the ward only while the stay is open."""
    changes = {name: getattr(event, name) for name in ("admitted_at", "expected_discharge_on")
               if getattr(event, name)}
    if "expected_discharge_on" in event.cleared:
        changes["expected_discharge_on"] = None
    if "ward" in event.cleared and stay.is_open:
        changes["ward"] = None
    if event.ward_code and stay.is_open:
        ward = _ward(hospital, event, notes, lookups)
        if (ward.pk if ward else None) != stay.ward_id:
            changes["ward"] = ward
    return changes


# Messages that say where the patient is and since when: an admission sent again must
# not undo what a later one of these said.
VISIT_EVENTS = ("A01", "A02", "A04", "A08", "A12")


def was_admitted(stay) -> bool:
    """An admission (A01/A04) of this visit was applied already: the stay did not merely
    come first from an A02/A03/A08, nor from a pre-admission (A05)."""
    return AdtMessage.objects.filter(stay=stay, status=AdtStatus.APPLIED,
                                     event__in=("A01", "A04")).exists()


def admitted_again(event, stay, hospital, actor, lookups) -> Outcome:
    """A01/A04 for a visit already admitted (a new control id: an interface engine's
    replay, or a system that corrects by sending the admission again): an update of the
    open stay, as an A08 with its PV1 would be; never a second stay, never a reopening,
    and never undoing what a later message said (an older admission replayed after a
    transfer changes nothing)."""
    if stay.discharged_at:
        return ignored("Visit already discharged: an admission does not reopen it (send "
                       "A13).", stay)
    if applied_later(stay, event):
        return ignored("Already admitted; a later message was applied: nothing changed.",
                       stay)
    notes: list[str] = []
    changed = stays.update_stay(stay, actor=actor,
                                **visit_changes(event, stay, hospital, notes, lookups))
    said = (f"Already admitted: stay updated ({', '.join(VISIT_FIELDS[n] for n in changed)})."
            if changed else "Already admitted: nothing to change.")
    return Outcome(AdtStatus.APPLIED, " ".join([said, *notes]), stay)


# MSA-3 holds 80 characters: what changed, in the sender's words.
VISIT_FIELDS = {"ward": "ward", "admitted_at": "admission time",
                "expected_discharge_on": "expected discharge"}


def applied_later(stay, event: AdtEvent) -> bool:
    """A message about this visit applied before, with a later event time (EVN-6, EVN-2,
    else MSH-7) than `event`'s. The recent ones suffice: a replay comes soon after."""
    earlier = AdtMessage.objects.filter(stay=stay, status=AdtStatus.APPLIED,
                                        event__in=VISIT_EVENTS).order_by("-pk")[:20]
    for message in earlier.only("raw"):
        try:
            if read_stored(message.raw).event_at > event.event_at:
                return True
        except Refused:
            continue
    return False


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


# What a hospital sends as demographics, and the Relais field each one fills.
DEMOGRAPHICS = {"last_name": "family_name", "first_name": "given_name",
                "birth_date": "birth_date", "sex": "sex"}


def update_demographics(event: AdtEvent, person_id: int, actor) -> list[str]:
    """Name, birth date and sex as the hospital registered them (what the message carries;
    a birth date sent as HL7's null "" is cleared). Audited by the person service, with
    the field names only."""
    person = Person.objects.get(pk=person_id)
    data = {name: getattr(event, source) for name, source in DEMOGRAPHICS.items()
            if getattr(event, source)}
    if data.get("sex") not in {None, "M", "F"}:
        del data["sex"]  # U, O, A…: not a reason to overwrite what Relais holds
    if "birth_date" in event.cleared:
        data["birth_date"] = None
    changes = {name: data_value for name, data_value in data.items()
               if not _same(getattr(person, name), data_value)}
    if not changes:
        return []
    return update_person(person, changes, actor=actor, expected_version=person.version)


def _same(held, sent) -> bool:
    """LAMBERT is Lambert: many hospital systems send names in capitals."""
    if isinstance(held, str) and isinstance(sent, str):
        return held.casefold() == sent.casefold()
    return held == sent


def _changed_note(changed: list[str]) -> str:
    if not changed:
        return "Demographics already up to date."
    return "Demographics updated: " + ", ".join(changed) + "."


def person_update(event, person_id, hospital, actor, lookups) -> Outcome:
    """A28 (add person) and A31 (update person) for someone Relais holds."""
    return Outcome(AdtStatus.APPLIED, _changed_note(update_demographics(event, person_id,
                                                                         actor)))


def cancel_transfer(event, person_id, hospital, actor, lookups) -> Outcome:
    """A12: HL7 sends the ward the patient was in before the transfer in PV1-3. A visit
    Relais does not hold is not opened by a cancellation."""
    if stay_for(hospital, person_id, event) is None:
        return ignored("No stay for this visit: no transfer to cancel.")
    return transfer(event, person_id, hospital, actor, lookups)


APPLY = {"A01": admit, "A02": transfer, "A03": discharge, "A04": admit, "A05": admit,
         "A08": update, "A11": cancel_admit, "A12": cancel_transfer, "A13": cancel_discharge,
         "A28": person_update, "A31": person_update, "A38": cancel_admit}


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
