"""The resource types the API serves, each in its own module."""

from relais.interop.fhir.resources import (
    care_team,
    communication,
    consent,
    encounter,
    flag,
    organization,
    patient,
    practitioner,
    related_person,
)

MODULES = (patient, related_person, practitioner, organization, care_team, encounter,
           consent, flag, communication)


def register_all() -> None:
    """Fill the registry (idempotent): before the URLs, the scopes and the
    CapabilityStatement are written from it."""
    for module in MODULES:
        module.register_types()
