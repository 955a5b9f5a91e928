"""Encounter: a hospital stay, read-only (no be-core profile: FHIR R4's own). Seen by the
hospital's staff (their patient) and by whoever sees the person, never by anyone the
person excluded, as on the pages (stays/rules.py). Served: the hospital, the ward's name,
the visit number, admission and discharge, the destination; not the plan, the
screenings nor the notes."""

from django.db.models import Q

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
from relais.stays.models import AdmissionType, Destination, Stay

ENCOUNTER_PROFILE = "http://hl7.org/fhir/StructureDefinition/Encounter"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
PRIORITIES = {AdmissionType.EMERGENCY: ("EM", "emergency"),
              AdmissionType.ELECTIVE: ("EL", "elective")}
DISPOSITIONS = {Destination.HOME: "home", Destination.HOME_WITH_SERVICES: "home",
                Destination.NURSING_HOME: "long", Destination.OTHER_HOSPITAL: "other-hcf",
                Destination.DECEASED: "exp", Destination.OTHER: "oth"}
STATUSES = {"cancelled": Q(cancelled_at__isnull=False),
            "finished": Q(cancelled_at__isnull=True, discharged_at__isnull=False),
            "in-progress": Q(cancelled_at__isnull=True, discharged_at__isnull=True)}


def visible(user):
    return Stay.objects.visible_to(user).select_related("ward")


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
        body["location"] = [{"location": {"display": stay.ward.name}}]
    if stay.destination in DISPOSITIONS:
        label = stay.get_destination_display()
        body["hospitalization"] = {"dischargeDisposition": codes.concept(
            DISPOSITION, DISPOSITIONS[stay.destination], label)}
    return body


def _period(stay: Stay) -> dict:
    period = {"start": stay.admitted_at.isoformat(timespec="seconds")}
    if stay.discharged_at:
        period["end"] = stay.discharged_at.isoformat(timespec="seconds")
    return period


def _patient(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(person_id=reference_id("patient", v, "Patient")))


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
    SearchParam("patient", "reference", "The person (Patient/<id>) who stays.", _patient),
    SearchParam("subject", "reference", "The same as patient.", _patient),
    SearchParam("status", "token", "in-progress | finished | cancelled.", _status),
    SearchParam("date", "date", "The day of admission, with eq, ge, le, gt, lt prefixes.",
                _date),
    SearchParam("identifier", "token", "The hospital's visit number.", _identifier),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Encounter", profile=ENCOUNTER_PROFILE, model=Stay, visible=visible,
        render=render, search_params=SEARCH, order=("-admitted_at", "pk"),
        documentation="Hospital stays: the hospital's own, and those of the persons the "
                      "caller may read.",
        person_of=lambda stay: stay.person_id, read_action="stay.read",
        search_action="stay.list"))
