"""Who the patient is: the feed finds the person by the hospital's patient id once linked
(`PatientLink`), else by national number, which then links the patient id and applies
the person's kept messages. Unknown, the message is kept until a liaison nurse links it
(`resolve_pending`) or opens a record from it (`create_person_from`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from relais.audit import log as audit
from relais.core import sql
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.event import AdtEvent, read_stored
from relais.interop.adt.pending import apply_waiting
from relais.network.models import Person
from relais.network.services import create_person
from relais.stays.models import AdtMessage, AdtStatus, PatientLink


def match_person(hospital, event: AdtEvent) -> int | None:
    """The id of the linked person, else of the person with this national number (and the
    patient id gets linked to them, and their kept messages applied); None when nobody
    matches yet. Ids, not rows: most events only need the id (measured: loading the
    person's wide row cost more than the rest of the match). The feed's own lookups run
    on every message, hence plain SQL (relais.core.sql)."""
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


# --- pending messages: a liaison nurse says who the patient is -------------------------


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
