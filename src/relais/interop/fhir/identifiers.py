"""The Belgian naming systems (be-core) and what a search may send for them."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relais.accounts.validators import compact_kbo, compact_riziv, validate_kbo
from relais.interop.fhir.outcome import FhirError
from relais.network.validators import compact_niss, validate_niss

NAMING = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/"
SSIN = f"{NAMING}ssin"
# The form without /core/, still sent by older systems: read, never written.
SSIN_OLD = "https://www.ehealth.fgov.be/standards/fhir/NamingSystem/ssin"
CBE = f"{NAMING}cbe"  # KBO/BCE, the enterprise number
NIHDI_PROFESSIONAL = f"{NAMING}nihdi-professional"
PROFILE = "https://www.ehealth.fgov.be/standards/fhir/core/StructureDefinition/"
PATIENT_CARE_PROFILE = "https://www.ehealth.fgov.be/standards/fhir/patient-care/StructureDefinition/"


def identifier(system: str, value: str, use: str = "official") -> dict:
    return {"use": use, "system": system, "value": value}


def ssin(value: str) -> str:
    """The national or BIS number, compact; a 400 OperationOutcome when it is not one."""
    number = compact_niss(value)
    try:
        validate_niss(number)
    except ValidationError:
        raise FhirError(400, "invalid", _("“%(value)s” is not a valid national register or "
                                          "BIS number (SSIN).") % {"value": value[:32]}) from None
    return number


def kbo(value: str) -> str:
    number = compact_kbo(value)
    try:
        validate_kbo(number)
    except ValidationError:
        raise FhirError(400, "invalid", _("“%(value)s” is not a valid KBO/BCE enterprise "
                                          "number.") % {"value": value[:32]}) from None
    return number


def nihdi(value: str) -> str:
    return compact_riziv(value)
