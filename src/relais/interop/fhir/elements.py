"""`_elements`: only the top-level elements asked for, with those FHIR R4 makes mandatory
(a resource without them would not be valid), and the SUBSETTED tag that says the
resource is not whole (FHIR's search page, "_elements")."""

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
             "code": "SUBSETTED", "display": "subsetted"}
ALWAYS = ("resourceType", "id", "meta")
# FHIR R4's top-level elements of cardinality 1.. (types not named have none).
MANDATORY = {
    "AuditEvent": ("type", "recorded", "agent", "source"),
    "CarePlan": ("status", "intent", "subject"),
    "Communication": ("status",),
    "Consent": ("status", "scope", "category"),
    "Encounter": ("status", "class"),
    "Flag": ("status", "code", "subject"),
    "Questionnaire": ("status",),
    "QuestionnaireResponse": ("status",),
    "RelatedPerson": ("patient",),
    "ServiceRequest": ("status", "intent", "subject"),
    "Task": ("status", "intent"),
}


def subset(document: dict, wanted: list[str]) -> dict:
    """The document with the `wanted` elements only; the whole document when none."""
    if not wanted:
        return document
    kept = {*ALWAYS, *MANDATORY.get(document["resourceType"], ()), *wanted}
    subsetted = {name: value for name, value in document.items() if name in kept}
    meta = dict(subsetted.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    subsetted["meta"] = meta
    return subsetted


def read_elements(value: str, type_name: str) -> list[str]:
    """`name,birthDate` (or `Patient.name`) → the top-level names: FHIR R4 asks servers
    for top-level elements only, so `name.given` keeps the whole name."""
    names = (part.strip().removeprefix(f"{type_name}.") for part in value.split(","))
    return [name.split(".")[0] for name in names if name]
