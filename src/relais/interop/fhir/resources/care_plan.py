"""CarePlan (BeCarePlan), read-only, of two kinds under one type (`rows.Parts`):

* `discharge-<stay id>`: a hospital stay's discharge plan, its checklist items as
  activities (domain, what, status, owner, due date, whether it blocks discharge), as
  the stay's page shows it to whoever sees the stay (stays/rules.py).
* `followup-<id>`: the follow-up at home after that discharge (followup/): what it needs,
  its protocol, its planned contacts as activities pointing at their Tasks
  (`Task/contact-<id>`); professionals who see the person only, as the follow-up page.

Neither the screenings nor the referrals are in the plan: they are QuestionnaireResponses
and ServiceRequests of their own, read through their own rules.
"""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from relais.followup.models import Contact, FollowUp
from relais.interop.fhir import identifiers, registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.rows import PART_ID_PARAM, Parts, any_of, part_id
from relais.interop.fhir.values import (
    date_condition,
    date_range,
    reference_id,
    token,
)
from relais.network.models import choice_label
from relais.stays.models import Domain, ItemStatus, PlanItem, Stay

DISCHARGE, FOLLOWUP = "discharge", "followup"
CATEGORY = "urn:relais:care-plan"
PLAN_DOMAIN = "urn:relais:plan-domain"
BLOCKS_DISCHARGE = "urn:relais:blocks-discharge"
PROTOCOL = "urn:relais:followup-protocol"
ACTIVITY_STATUS = {ItemStatus.TODO: "not-started", ItemStatus.IN_PROGRESS: "in-progress",
                   ItemStatus.DONE: "completed", ItemStatus.NOT_APPLICABLE: "cancelled"}
STATUSES = {"active", "completed", "revoked"}
CARE_PLAN_ID = part_id({Stay: DISCHARGE, FollowUp: FOLLOWUP})


def visible(user):
    followups = FollowUp.objects.none()
    if user.is_professional:  # the follow-up page is professionals' only
        followups = FollowUp.objects.visible_to(user)
    items = PlanItem.objects.select_related("owner").order_by("position", "pk")
    contacts = Contact.objects.order_by("due_on", "pk")
    return Parts({
        DISCHARGE: Stay.objects.visible_to(user).prefetch_related(
            Prefetch("plan_items", queryset=items, to_attr="items")),
        FOLLOWUP: followups.select_related("stay", "protocol").prefetch_related(
            Prefetch("contacts", queryset=contacts, to_attr="planned")),
    })


def render(row) -> dict:
    return _discharge(row) if isinstance(row, Stay) else _followup(row)


def last_updated(row):
    """The latest change to the plan or to one of its activities."""
    parts = row.items if isinstance(row, Stay) else row.planned
    return max([row.updated_at, *(part.updated_at for part in parts)])


def _discharge(stay: Stay) -> dict:
    body = {
        "status": discharge_status(stay),
        "intent": "plan",
        "category": [codes.concept(CATEGORY, DISCHARGE, _("Discharge plan"))],
        "title": _("Discharge plan"),
        "subject": {"reference": f"Patient/{stay.person_id}"},
        "encounter": {"reference": f"Encounter/{stay.pk}"},
        "period": _stay_period(stay),
        "created": stay.created_at.isoformat(timespec="seconds"),
        "author": {"reference": f"Organization/{stay.hospital_id}"},
    }
    if stay.items:
        body["activity"] = [_item(item) for item in stay.items]
    if stay.discharge_reason:
        body["note"] = [{"text": _("Left with open items because: %(reason)s")
                         % {"reason": stay.discharge_reason}}]
    return body


def discharge_status(stay: Stay) -> str:
    if stay.cancelled_at:
        return "revoked"
    return "completed" if stay.discharged_at else "active"


def _stay_period(stay: Stay) -> dict:
    period = {"start": stay.admitted_at.isoformat(timespec="seconds")}
    if stay.discharged_at:
        period["end"] = stay.discharged_at.isoformat(timespec="seconds")
    elif stay.expected_discharge_on:
        period["end"] = stay.expected_discharge_on.isoformat()
    return period


def _item(item: PlanItem) -> dict:
    detail = {"code": codes.concept(PLAN_DOMAIN, item.domain, choice_label(Domain, item.domain)),
              "status": ACTIVITY_STATUS[item.status], "description": item.text}
    if item.blocking:
        detail["extension"] = [{"url": BLOCKS_DISCHARGE, "valueBoolean": True}]
    if item.due_on:
        detail["scheduledPeriod"] = {"end": item.due_on.isoformat()}
    if item.owner_id:
        detail["performer"] = [{"reference": f"Practitioner/{item.owner_id}",
                                "display": item.owner.get_full_name()}]
    activity = {"detail": detail}
    if item.note:
        activity["progress"] = [{"text": item.note}]
    return activity


def _followup(followup: FollowUp) -> dict:
    body = {
        "instantiatesUri": [f"{PROTOCOL}:{followup.protocol.family}:"
                            f"{followup.protocol.version}"],
        "status": followup_status(followup),
        "intent": "plan",
        "category": [codes.concept(CATEGORY, FOLLOWUP, _("Follow-up after discharge"))],
        "title": _("Follow-up after discharge"),
        "subject": {"reference": f"Patient/{followup.person_id}"},
        "period": _followup_period(followup),
        "created": followup.created_at.isoformat(timespec="seconds"),
    }
    if followup.stay_id:
        body["basedOn"] = [{"reference": f"CarePlan/{DISCHARGE}-{followup.stay_id}"}]
        body["encounter"] = {"reference": f"Encounter/{followup.stay_id}"}
        if followup.stay.followup_needs:
            body["description"] = followup.stay.followup_needs
    if followup.planned:
        body["activity"] = [{"reference": {"reference": f"Task/contact-{contact.pk}"}}
                            for contact in followup.planned]
    if followup.close_reason:
        body["note"] = [{"text": followup.close_reason}]
    return body


def followup_status(followup: FollowUp) -> str:
    """Closed because the discharge was cancelled (the stay is open again): revoked."""
    if followup.closed_at is None:
        return "active"
    undone = followup.stay_id and followup.stay.discharged_at is None
    return "revoked" if undone else "completed"


def _followup_period(followup: FollowUp) -> dict:
    period = {"start": followup.started_on.isoformat()}
    if followup.closed_at:
        period["end"] = followup.closed_at.isoformat(timespec="seconds")
    return period


# --- search -----------------------------------------------------------------------------


def _patient(parts, value, modifier):
    def conditions(v):
        person = Q(person_id=reference_id("patient", v, "Patient"))
        return {DISCHARGE: person, FOLLOWUP: person}
    return parts.narrow(**any_of(value, conditions))


def _encounter(parts, value, modifier):
    def conditions(v):
        stay = reference_id("encounter", v, "Encounter")
        return {DISCHARGE: Q(pk=stay), FOLLOWUP: Q(stay_id=stay)}
    return parts.narrow(**any_of(value, conditions))


# The followup's status read from its row and its stay's, as `followup_status` does.
FOLLOWUP_STATUS = {
    "active": Q(closed_at__isnull=True),
    "revoked": Q(closed_at__isnull=False, stay__isnull=False, stay__discharged_at__isnull=True),
    "completed": Q(closed_at__isnull=False) & ~Q(stay__isnull=False,
                                                  stay__discharged_at__isnull=True),
}
DISCHARGE_STATUS = {
    "active": Q(cancelled_at__isnull=True, discharged_at__isnull=True),
    "completed": Q(cancelled_at__isnull=True, discharged_at__isnull=False),
    "revoked": Q(cancelled_at__isnull=False),
}


def _status(parts, value, modifier):
    def conditions(v):
        code = token(v)[1]
        if code not in STATUSES:
            return {}
        return {DISCHARGE: DISCHARGE_STATUS[code], FOLLOWUP: FOLLOWUP_STATUS[code]}
    return parts.narrow(**any_of(value, conditions))


def _category(parts, value, modifier):
    def conditions(v):
        system, code = token(v)
        if system not in (None, CATEGORY) or code not in (DISCHARGE, FOLLOWUP):
            return {}
        return {code: Q(pk__isnull=False)}  # every row of that kind
    return parts.narrow(**any_of(value, conditions))


def _date(parts, value, modifier):
    prefix, start, end = date_range("date", value)
    return parts.narrow(
        **{DISCHARGE: date_condition("admitted_at__date", prefix, start, end),
           FOLLOWUP: date_condition("started_on", prefix, start, end)})


SEARCH = (
    PART_ID_PARAM,
    SearchParam("patient", "reference", "The person (Patient/<id>) it is for.", _patient),
    SearchParam("subject", "reference", "The same as patient.", _patient),
    SearchParam("encounter", "reference", "The stay (Encounter/<id>): its discharge plan and "
                "the follow-up after it.", _encounter),
    SearchParam("status", "token", "active | completed | revoked (the stay cancelled, or "
                "its discharge).", _status),
    SearchParam("category", "token", "urn:relais:care-plan|discharge or |followup.",
                _category),
    SearchParam("date", "date", "The day it starts (admission, discharge), with eq, ge, le, "
                "gt, lt prefixes.", _date),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="CarePlan", profile=f"{identifiers.PATIENT_CARE_PROFILE}be-care-plan",
        model=None, visible=visible, render=render, search_params=SEARCH, order=("pk",),
        documentation="Discharge plans (discharge-<stay id>) of the stays the caller may "
                      "read, and the follow-up at home after them (followup-<id>).",
        person_of=lambda row: row.person_id, read_action="fhir.careplan.read",
        search_action="fhir.careplan.search", version_of=lambda row: None,
        last_updated=last_updated, find=Parts.find, id_of=CARE_PLAN_ID))
