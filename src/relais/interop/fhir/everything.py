"""Patient/<id>/$everything: the person and everything the caller may read about them,
in one searchset Bundle — the person's own export, or a system's view of one record.

Written from the registry: every type with a `patient` (else `subject`) reference
parameter, searched with it through the type's own gate (a Flag only for the safeguarding
circle, booklet entries by their audience…), and only the types the token may read
(`r`). Audited as the reads they are: the Patient's read, one event per type naming the
person, and `fhir.patient.everything`. Practitioners and organisations the resources
point at are not added (they are not the person's data; `_include` fetches them).
"""

from django.utils.translation import gettext as _

from relais.access import policy
from relais.audit import log as audit
from relais.interop.fhir import registry, scopes
from relais.interop.fhir.documents import as_resource, entry
from relais.interop.fhir.outcome import issue, operation_outcome
from relais.interop.fhir.registry import ResourceType, SearchParam

# A person's record holds tens of each; past this, the type is cut short and said so.
MAX_PER_TYPE = 1000
# Not the record but who accessed it, growing with every read (this one too): asked for
# on its own (AuditEvent?patient=), by whoever may open "who looked at this record".
LEFT_OUT = {"AuditEvent"}


def about_the_person(resource: ResourceType) -> SearchParam | None:
    for name in ("patient", "subject"):
        param = resource.param(name)
        if param is not None and param.type == "reference" and param.target in ("",
                                                                                "Patient"):
            return param
    return None


def bundle(request, caller, person, base: str) -> dict:
    patient = registry.TYPES["Patient"]
    documents, cut = [as_resource(patient, person)], []
    for resource in registry.TYPES.values():
        param = about_the_person(resource)
        if (resource is patient or param is None or resource.name in LEFT_OUT
                or not _may_read(caller, resource)):
            continue
        rows = _rows(caller.user, resource, param, person)
        if len(rows) > MAX_PER_TYPE:
            rows, cut = rows[:MAX_PER_TYPE], [*cut, resource.name]
        documents += [as_resource(resource, row) for row in rows]
    audit.record_read("fhir.patient.everything", actor=caller.user, target=person,
                      person_id=person.pk)
    entries = [entry(base, document, "match") for document in documents]
    if cut:
        entries.append({"resource": operation_outcome(issue("warning", "too-costly", _(
            "Only the first %(count)s of these types are included: %(types)s.")
            % {"count": MAX_PER_TYPE, "types": ", ".join(cut)})),
            "search": {"mode": "outcome"}})
    return {"resourceType": "Bundle", "type": "searchset", "total": len(documents),
            "link": [{"relation": "self",
                      "url": f"{base}Patient/{person.pk}/$everything"}],
            "entry": entries}


def _may_read(caller, resource: ResourceType) -> bool:
    return caller.scopes is None or scopes.grants(caller.scopes, resource.name,
                                                  registry.READ)


def _rows(user, resource: ResourceType, param: SearchParam, person) -> list:
    rows = param.apply(resource.visible(user), f"Patient/{person.pk}", "")
    rows = list(rows.order_by(*resource.order)[:MAX_PER_TYPE + 1])
    if resource.search_action:
        policy.record_list_read(user, resource.search_action,
                                [resource.person_of(row) for row in rows])
    return rows
