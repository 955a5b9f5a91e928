"""Task (BeTask), read-only, of two kinds under one type (`rows.Parts`):

* `referral-<id>`: where a referral stands, its state machine (stays.models.TRANSITIONS)
  as Task statuses: `focus` is the referral's ServiceRequest, `owner` the receiving
  organisation, `requester` the sending one, `businessStatus` Relais's own status,
  `statusReason` why it was declined, `restriction.period.end` when an answer is due.
  Seen as the referral (stays/rules.py: the two organisations, professionals who see
  the person).
* `contact-<id>`: a planned contact of the follow-up after discharge (followup/): a
  phone call or a visit, its owner, when it is due, what came of it; `basedOn` is the
  follow-up's CarePlan. Seen by professionals who see the person, as the follow-up page.

`REFERRAL_TASK_STATUS` and `TASK_STATUS_REFERRAL` map Relais's referral statuses to
FHIR's and back: a Task update (accept, decline, start, complete, cancel) reads the
second and goes through `stays.referrals.transition`, which refuses what TRANSITIONS
does not allow.

BeTask requires the `task-candidateList` extension: those who may do the task — the
receiving organisation; a contact's owner and their organisation, or, with no owner,
the organisation that keeps the person's record.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from relais.followup.models import Channel, Contact, ContactStatus
from relais.interop.fhir import identifiers, registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.resources.service_request import PRIORITY
from relais.interop.fhir.rows import PART_ID_PARAM, Parts, any_of, part_id
from relais.interop.fhir.values import (
    LAST_UPDATED,
    date_condition,
    date_range,
    reference_id,
    token,
)
from relais.network.models import choice_label
from relais.stays.models import DeclineReason, Referral, ReferralStatus

REFERRAL, CONTACT = "referral", "contact"
CANDIDATE_LIST = "http://hl7.org/fhir/StructureDefinition/task-candidateList"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
REFERRAL_STATUS = "urn:relais:referral-status"
DECLINE_REASON = "urn:relais:decline-reason"
CONTACT_STATUS = "urn:relais:contact-status"
CONTACT_CHANNEL = "urn:relais:contact-channel"

# A referral's status as a Task's, and back (one FHIR status per Relais status).
REFERRAL_TASK_STATUS = {
    ReferralStatus.SENT: "requested", ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.DECLINED: "rejected", ReferralStatus.STARTED: "in-progress",
    ReferralStatus.COMPLETED: "completed", ReferralStatus.CANCELLED: "cancelled"}
TASK_STATUS_REFERRAL = {task: referral for referral, task in REFERRAL_TASK_STATUS.items()}
# A contact's outcome as a Task's: "not reached" failed (the next attempt is a new
# contact); a problem found is done too, its businessStatus says so.
CONTACT_TASK_STATUS = {
    ContactStatus.PLANNED: "ready", ContactStatus.REACHED: "completed",
    ContactStatus.PROBLEM: "completed", ContactStatus.NOT_REACHED: "failed",
    ContactStatus.CANCELLED: "cancelled"}
TASK_ID = part_id({Referral: REFERRAL, Contact: CONTACT})


def visible(user):
    contacts = Contact.objects.none()
    if user.is_professional:  # the follow-up page is professionals' only
        contacts = Contact.objects.visible_to(user)
    return Parts({
        REFERRAL: Referral.objects.visible_to(user),
        CONTACT: contacts.select_related("followup__person"),
    })


def render(row) -> dict:
    return _referral(row) if isinstance(row, Referral) else _contact(row)


def person_of(row) -> int:
    return row.person_id if isinstance(row, Referral) else row.followup.person_id


def _referral(referral: Referral) -> dict:
    receiver = {"reference": f"Organization/{referral.organisation_id}"}
    body = {
        "extension": [_candidate(receiver)],
        "status": REFERRAL_TASK_STATUS[referral.status],
        "businessStatus": codes.concept(REFERRAL_STATUS, referral.status,
                                        choice_label(ReferralStatus, referral.status)),
        "intent": "order",
        "priority": PRIORITY[referral.urgency],
        "code": codes.concept(TASK_CODE, "fulfill", "Fulfill the focal request"),
        "focus": {"reference": f"ServiceRequest/{referral.pk}"},
        "for": {"reference": f"Patient/{referral.person_id}"},
        "authoredOn": referral.created_at.isoformat(timespec="seconds"),
        "lastModified": referral.updated_at.isoformat(timespec="seconds"),
        "requester": {"reference": f"Organization/{referral.sender_organisation_id}"},
        "owner": receiver,
        "restriction": {"period": {"end": referral.respond_by.isoformat(timespec="seconds")}},
    }
    if referral.stay_id:
        body["encounter"] = {"reference": f"Encounter/{referral.stay_id}"}
    if referral.decline_reason:
        body["statusReason"] = codes.concept(DECLINE_REASON, referral.decline_reason,
                                             choice_label(DeclineReason,
                                                          referral.decline_reason))
        if referral.decline_note:
            body["note"] = [{"text": referral.decline_note}]
    return body


def _contact(contact: Contact) -> dict:
    followup = contact.followup
    owners = _owners(contact)
    body = {
        "extension": [_candidate(owner) for owner in owners] or [_candidate(
            {"reference": f"Organization/{followup.person.owner_organisation_id}"})],
        "basedOn": [{"reference": f"CarePlan/followup-{followup.pk}"}],
        "status": CONTACT_TASK_STATUS[contact.status],
        "businessStatus": codes.concept(CONTACT_STATUS, contact.status,
                                        choice_label(ContactStatus, contact.status)),
        "intent": "plan",
        "code": codes.concept(CONTACT_CHANNEL, contact.channel,
                              choice_label(Channel, contact.channel)),
        "description": contact.what_to_check or _("Follow-up contact after discharge"),
        "for": {"reference": f"Patient/{followup.person_id}"},
        "authoredOn": contact.created_at.isoformat(timespec="seconds"),
        "lastModified": contact.updated_at.isoformat(timespec="seconds"),
        "restriction": {"period": {"end": contact.due_on.isoformat()}},
    }
    if owners:
        body["owner"] = owners[0]
    if followup.stay_id:
        body["encounter"] = {"reference": f"Encounter/{followup.stay_id}"}
    if contact.happened_at:
        body["executionPeriod"] = {"end": contact.happened_at.isoformat(timespec="seconds")}
    if contact.note:
        body["note"] = [{"text": contact.note}]
    return body


def _owners(contact: Contact) -> list[dict]:
    """The owner (a professional), then their organisation; or the organisation alone
    (anyone working there)."""
    owners = []
    if contact.owner_id:
        owners.append({"reference": f"Practitioner/{contact.owner_id}"})
    if contact.owner_organisation_id:
        owners.append({"reference": f"Organization/{contact.owner_organisation_id}"})
    return owners


def _candidate(reference: dict) -> dict:
    return {"url": CANDIDATE_LIST, "valueReference": reference}


# --- search -----------------------------------------------------------------------------


def _patient(parts, value, modifier):
    def conditions(v):
        person = reference_id("patient", v, "Patient")
        return {REFERRAL: Q(person_id=person), CONTACT: Q(followup__person_id=person)}
    return parts.narrow(**any_of(value, conditions))


def _status(parts, value, modifier):
    def conditions(v):
        code = token(v)[1]
        return {REFERRAL: Q(status__in=_having(REFERRAL_TASK_STATUS, code)),
                CONTACT: Q(status__in=_having(CONTACT_TASK_STATUS, code))}
    return parts.narrow(**any_of(value, conditions))


def _having(statuses: dict, code: str) -> list[str]:
    return [relais for relais, fhir in statuses.items() if fhir == code]


def _business_status(parts, value, modifier):
    def conditions(v):
        system, code = token(v)
        found = {}
        if system in (None, REFERRAL_STATUS):
            found[REFERRAL] = Q(status=code)
        if system in (None, CONTACT_STATUS):
            found[CONTACT] = Q(status=code)
        return found
    return parts.narrow(**any_of(value, conditions))


def _owner(parts, value, modifier):
    def conditions(v):
        if v.startswith("Practitioner/"):
            return {CONTACT: Q(owner_id=reference_id("owner", v, "Practitioner"))}
        organisation = reference_id("owner", v, "Organization")
        return {REFERRAL: Q(organisation_id=organisation),
                CONTACT: Q(owner_organisation_id=organisation)}
    return parts.narrow(**any_of(value, conditions))


def _focus(parts, value, modifier):
    return parts.narrow(**any_of(value, lambda v: {
        REFERRAL: Q(pk=reference_id("focus", v, "ServiceRequest"))}))


def _authored(parts, value, modifier):
    prefix, start, end = date_range("authored-on", value)
    return parts.filter(date_condition("created_at__date", prefix, start, end))


SEARCH = (
    PART_ID_PARAM,
    LAST_UPDATED,
    SearchParam("patient", "reference", "The person (Patient/<id>) it is for.", _patient),
    SearchParam("subject", "reference", "The same as patient.", _patient),
    SearchParam("status", "token", "A referral: requested | accepted | rejected | "
                "in-progress | completed | cancelled; a follow-up contact: ready | completed "
                "| failed | cancelled.", _status),
    SearchParam("business-status", "token", "Relais's own status: urn:relais:referral-status"
                "|sent… or urn:relais:contact-status|planned…", _business_status),
    SearchParam("owner", "reference", "Organization/<id> (a referral's receiver, a contact "
                "owned by the organisation) or Practitioner/<id> (a contact's owner).",
                _owner),
    SearchParam("focus", "reference", "The referral's ServiceRequest/<id>.", _focus),
    SearchParam("authored-on", "date", "The day it was created, with eq, ge, le, gt, lt "
                "prefixes.", _authored),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Task", profile=f"{identifiers.PATIENT_CARE_PROFILE}be-task", model=None,
        visible=visible, render=render, search_params=SEARCH, order=("pk",),
        documentation="Where each referral the caller may read stands (referral-<id>, its "
                      "focus the ServiceRequest), and the follow-up contacts after discharge "
                      "(contact-<id>).",
        person_of=person_of, read_action="fhir.task.read", search_action="fhir.task.search",
        find=Parts.find, id_of=TASK_ID))
