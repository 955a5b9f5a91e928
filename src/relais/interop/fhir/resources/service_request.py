"""ServiceRequest: a referral to a directory service with its needs analysis (R9, R13),
read-only. Seen as the referral page is (stays/rules.py): by the sending and the
receiving organisation and by professionals who see the person, never by anyone the
person excluded, never by a portal account. Its progress (sent, accepted, declined…) is
the referral's Task (`task.py`, whose focus is this request).

No be-core or be.patient-care profile fits: HL7 Belgium's referral guide
(BeReferralServiceRequest) is a physiotherapy or nursing prescription, still in
development, not a social or home-care referral; so the base R4 profile is claimed.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from relais.directory.models import Category
from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.values import (
    ID_PARAM,
    LAST_UPDATED,
    any_of,
    date_condition,
    date_range,
    reference_id,
    token,
)
from relais.network.models import choice_label
from relais.stays.models import Referral, ReferralStatus, Urgency

SERVICE_REQUEST_PROFILE = "http://hl7.org/fhir/StructureDefinition/ServiceRequest"
SNOMED = "http://snomed.info/sct"
PATIENT_REFERRAL = "3457005"
DIRECTORY_CATEGORY = "urn:relais:directory-category"
# The request stands while the receiving organisation has it in hand; a decline or a
# cancellation ends it (the Task says which).
STATUS = {ReferralStatus.SENT: "active", ReferralStatus.ACCEPTED: "active",
          ReferralStatus.STARTED: "active", ReferralStatus.COMPLETED: "completed",
          ReferralStatus.DECLINED: "revoked", ReferralStatus.CANCELLED: "revoked"}
PRIORITY = {Urgency.ROUTINE: "routine", Urgency.WITHIN_72H: "urgent",
            Urgency.WITHIN_24H: "asap"}


def candidates():
    return Referral.objects.select_related("service", "sender")


def visible(user):
    return candidates().visible_to(user)


def render(referral: Referral) -> dict:
    body = {
        "status": STATUS[referral.status],
        "intent": "order",
        "category": [codes.concept(SNOMED, PATIENT_REFERRAL, "Patient referral")],
        "priority": PRIORITY[referral.urgency],
        "code": service_code(referral.service),
        "subject": {"reference": f"Patient/{referral.person_id}"},
        "occurrencePeriod": {"start": referral.start_on.isoformat()},
        "authoredOn": referral.created_at.isoformat(timespec="seconds"),
        "requester": {"reference": f"Practitioner/{referral.sender_id}",
                      "display": referral.sender.get_full_name()},
        "performer": [{"reference": f"Organization/{referral.organisation_id}"}],
        "reasonCode": [{"text": referral.reason}],
        "note": needs_analysis(referral),
    }
    if referral.stay_id:
        body["encounter"] = {"reference": f"Encounter/{referral.stay_id}"}
    return body


def service_code(service) -> dict:
    """The kind of help (the directory's category) and the service asked for, by name."""
    label = choice_label(Category, service.category)
    return {"coding": [{"system": DIRECTORY_CATEGORY, "code": service.category,
                        "display": label}], "text": service.name or label}


def needs_analysis(referral: Referral) -> list[dict]:
    """The needs analysis as the referral page shows it; the reason is `reasonCode`."""
    return [{"text": _("What help is needed: %(text)s") % {"text": referral.help_needed}},
            {"text": _("How often: %(text)s") % {"text": referral.frequency}},
            {"text": _("What the person wants: %(text)s") % {"text": referral.person_wishes}}]


# --- search -----------------------------------------------------------------------------


def _patient(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(person_id=reference_id("patient", v, "Patient")))


def _status(queryset, value, modifier):
    def condition(v):
        statuses = [status for status, code in STATUS.items() if code == token(v)[1]]
        return Q(status__in=statuses)
    return any_of(queryset, value, condition)


def _performer(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(
        organisation_id=reference_id("performer", v, "Organization")))


def _requester(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(
        sender_id=reference_id("requester", v, "Practitioner")))


def _authored(queryset, value, modifier):
    prefix, start, end = date_range("authored", value)
    return queryset.filter(date_condition("created_at__date", prefix, start, end))


SEARCH = (
    ID_PARAM,
    LAST_UPDATED,
    SearchParam("patient", "reference", "The person (Patient/<id>) referred.", _patient),
    SearchParam("subject", "reference", "The same as patient.", _patient),
    SearchParam("status", "token", "active (sent, accepted, started) | completed | revoked "
                "(declined or cancelled).", _status),
    SearchParam("performer", "reference", "The receiving organisation "
                "(Organization/<id>): a receiver's inbox.", _performer),
    SearchParam("requester", "reference", "The professional who sent it "
                "(Practitioner/<id>).", _requester),
    SearchParam("authored", "date", "The day it was sent, with eq, ge, le, gt, lt prefixes.",
                _authored),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="ServiceRequest", profile=SERVICE_REQUEST_PROFILE, model=Referral,
        visible=visible, render=render, search_params=SEARCH, order=("-created_at", "pk"),
        documentation="Referrals with their needs analysis: those the caller's organisation "
                      "sent or received, and those of the persons the caller may read.",
        person_of=lambda referral: referral.person_id, read_action="referral.read",
        search_action="referral.list", candidates=candidates, person_field="person_id"))
