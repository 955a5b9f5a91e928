"""Encounter: a hospital stay, read-only (no be-core profile: FHIR R4's own). Seen by the
hospital's staff (their patient) and by whoever sees the person, never by anyone the
person excluded, as on the pages (stays/rules.py). Served: the hospital, the ward's name,
the visit number, admission and discharge, the destination; not the plan, the
screenings nor the notes."""

from django.db.models import Q

from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes, encounter_writes
from relais.interop.fhir.resources.encounter_codes import (
    ACT_CODE,
    DESTINATION,
    DISPOSITION,
    DISPOSITIONS,
    PRIORITIES,
    PRIORITY,
)
from relais.interop.fhir.values import (
    ID_PARAM,
    LAST_UPDATED,
    any_of,
    date_condition,
    date_range,
    reference_id,
    token,
)
from relais.stays import rules as stays_rules
from relais.stays.models import Stay

ENCOUNTER_PROFILE = "http://hl7.org/fhir/StructureDefinition/Encounter"
STATUSES = {"cancelled": Q(cancelled_at__isnull=False),
            "finished": Q(cancelled_at__isnull=True, discharged_at__isnull=False),
            "in-progress": Q(cancelled_at__isnull=True, discharged_at__isnull=True)}


def candidates():
    return Stay.objects.select_related("ward")


def visible(user):
    return candidates().visible_to(user)


def shown(user, pks: list) -> set:
    """The stays among `pks` the gate shows `user`: the stays' rule decided for these
    rows (`stays.rules.shown_stays`), as `visible` asks it."""
    rows = Stay.objects.filter(pk__in=pks).values_list("pk", "person_id", "hospital_id")
    return stays_rules.shown_stays(user, list(rows))


def status(stay: Stay) -> str:
    if stay.cancelled_at:
        return "cancelled"
    return "finished" if stay.discharged_at else "in-progress"


def render(stay: Stay) -> dict:
    body = {"status": status(stay),
            "class": {"system": ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
            "subject": {"reference": f"Patient/{stay.person_id}"},
            "serviceProvider": {"reference": f"Organization/{stay.hospital_id}"},
            "period": _period(stay)}
    if stay.visit_number:
        body["identifier"] = [{"use": "usual", "value": stay.visit_number,
                               "assigner": {"reference": f"Organization/{stay.hospital_id}"}}]
    if stay.admission_type in PRIORITIES:
        code, display = PRIORITIES[stay.admission_type]
        body["priority"] = {"coding": [{"system": PRIORITY, "code": code, "display": display}]}
    if stay.ward_id:
        body["location"] = [{"location": _ward(stay.ward)}]
    if stay.destination in DISPOSITIONS:
        label = stay.get_destination_display()
        disposition = codes.concept(DISPOSITION, DISPOSITIONS[stay.destination], label)
        disposition["coding"].append({"system": DESTINATION, "code": stay.destination,
                                      "display": str(label)})
        body["hospitalization"] = {"dischargeDisposition": disposition}
    return body


def _ward(ward) -> dict:
    """The ward by its name, and by its code in the hospital's systems when it has one
    (what an update sends back to say where the person is)."""
    reference = {"display": ward.name}
    if ward.code:
        reference["identifier"] = {"value": ward.code}
    return reference


def _period(stay: Stay) -> dict:
    period = {"start": stay.admitted_at.isoformat(timespec="seconds")}
    if stay.discharged_at:
        period["end"] = stay.discharged_at.isoformat(timespec="seconds")
    return period


def _patient(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(person_id=reference_id("patient", v, "Patient")))


def _service_provider(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(
        hospital_id=reference_id("service-provider", v, "Organization")))


def _status(queryset, value, modifier):
    return any_of(queryset, value, lambda v: STATUSES.get(token(v)[1], Q(pk__in=[])))


def _date(queryset, value, modifier):
    prefix, start, end = date_range("date", value)
    return queryset.filter(date_condition("admitted_at__date", prefix, start, end))


def _identifier(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(visit_number=token(v)[1]) if token(v)[1]
                  else Q(pk__in=[]))


SEARCH = (
    ID_PARAM,
    LAST_UPDATED,
    SearchParam("patient", "reference", "The person (Patient/<id>) who stays.", _patient,
                target="Patient", refs=lambda stay: [stay.person_id]),
    SearchParam("subject", "reference", "The same as patient.", _patient,
                target="Patient", refs=lambda stay: [stay.person_id]),
    SearchParam("service-provider", "reference", "The hospital (Organization/<id>).",
                _service_provider, target="Organization",
                refs=lambda stay: [stay.hospital_id]),
    SearchParam("status", "token", "in-progress | finished | cancelled.", _status),
    SearchParam("date", "date", "The day of admission, with eq, ge, le, gt, lt prefixes.",
                _date, sort_by=("admitted_at",)),
    SearchParam("identifier", "token", "The hospital's visit number.", _identifier),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Encounter", profile=ENCOUNTER_PROFILE, model=Stay, visible=visible,
        render=render, search_params=SEARCH, order=("-admitted_at", "pk"),
        documentation="Hospital stays: the hospital's own, and those of the persons the "
                      "caller may read.",
        person_of=lambda stay: stay.person_id, read_action="stay.read",
        search_action="stay.list",
        # The content's digest: a discharge or a transfer leaves the row's version as
        # it was, and the ETag must change with them (If-Match, If-None-Match).
        version_of=lambda stay: None,
        create=encounter_writes.create, update=encounter_writes.update,
        candidates=candidates, person_field="person_id", shown=shown))
