"""The resource types the API serves, each in its own module."""

from relais.interop.fhir.resources import (
    audit_event,
    care_plan,
    care_team,
    communication,
    communication_writes,
    consent,
    encounter,
    flag,
    healthcare_service,
    location,
    organization,
    patient,
    patient_writes,
    practitioner,
    questionnaire,
    questionnaire_response,
    related_person,
    service_request,
    task,
    task_writes,
)

MODULES = (patient, related_person, practitioner, organization, care_team, encounter,
           consent, flag, communication, healthcare_service, location, audit_event)
MODULES += (care_plan, service_request, task, questionnaire, questionnaire_response)
# Last: each gives a type registered above its create or update handler.
MODULES += (patient_writes, communication_writes, task_writes)


def register_all() -> None:
    """Fill the registry (idempotent): before the URLs, the scopes and the
    CapabilityStatement are written from it."""
    for module in MODULES:
        module.register_types()
