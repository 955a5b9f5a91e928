"""Patient/<id>/$everything: the person and everything the caller may read about them,
in one searchset Bundle — the person's own export, or a system's view of one record.

Written from the registry: every type with a `patient` (else `subject`) reference
parameter, searched with it through the type's own gate (a Flag only for the safeguarding
circle, booklet entries by their audience…), and only the types the token may read
(`r`). Audited as the reads they are: the Patient's read, one event per type naming the
person, and `fhir.patient.everything`. Practitioners and organisations the resources
point at are not added (they are not the person's data; `_include` fetches them).

Parameters (FHIR's Patient-everything): `_type` (the types wanted, comma-separated),
`_since` (only what changed at or after an instant, or a day), `_count` and `_offset`
(pages of the Bundle, with `next` and `previous` links); anything else is ignored, or a
400 under `Prefer: handling=strict`. A value that cannot be read is a 400.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from relais.access import policy
from relais.audit import log as audit
from relais.interop.fhir import history, registry, scopes
from relais.interop.fhir.documents import as_resource, entry
from relais.interop.fhir.outcome import FhirError, issue, operation_outcome
from relais.interop.fhir.params import whole_number
from relais.interop.fhir.registry import ResourceType, SearchParam

# A person's record holds tens of each; past this, the type is cut short and said so.
MAX_PER_TYPE = 1000
# Not the record but who accessed it, growing with every read (this one too): asked for
# on its own (AuditEvent?patient=), by whoever may open "who looked at this record".
LEFT_OUT = {"AuditEvent"}
MAX_COUNT = 1000  # a page of the Bundle; none asked: the whole Bundle


@dataclass
class EverythingQuery:
    types: set[str] | None = None  # None: every type
    since: datetime | None = None
    count: int | None = None
    offset: int = 0
    used: tuple = ()  # (name, value), for the links


def read_query(request) -> EverythingQuery:
    query = EverythingQuery()

    def types(name, value):  # repeated: all of them
        query.types = set().union(*(_types(v) for v in request.GET.getlist(name)))
        return ",".join(sorted(query.types))

    def since(name, value):
        query.since = history.moment(name, value)
        return value

    def count(name, value):
        query.count = whole_number(name, value, 1, MAX_COUNT)
        return value

    def offset(name, value):
        query.offset = whole_number(name, value, 0, 10**9)
        return None  # each link says its own

    query.used = history.read_parameters(
        request, {"_type": types, "_since": since, "_count": count, "_offset": offset},
        _("Unknown parameters of $everything: %(names)s."))
    return query


def _types(value: str) -> set[str]:
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(name for name in names if name not in registry.TYPES)
    if unknown or not names:
        raise FhirError(400, "not-supported", _(
            "“_type” names types this server does not serve: %(names)s.")
            % {"names": ", ".join(name[:40] for name in unknown) or "—"})
    return names


def about_the_person(resource: ResourceType) -> SearchParam | None:
    for name in ("patient", "subject"):
        param = resource.param(name)
        if param is not None and param.type == "reference" and param.target in ("",
                                                                                "Patient"):
            return param
    return None


def bundle(caller, person, base: str, query: EverythingQuery) -> dict:
    patient = registry.TYPES["Patient"]
    documents, cut = [], []
    if _wanted(query, patient) and _changed_since(query, patient, person):
        documents.append(as_resource(patient, person))
    for resource in registry.TYPES.values():
        param = about_the_person(resource)
        if (resource is patient or param is None or resource.name in LEFT_OUT
                or not _wanted(query, resource) or not _may_read(caller, resource)):
            continue
        rows = _rows(caller.user, resource, param, person)
        if len(rows) > MAX_PER_TYPE:
            rows, cut = rows[:MAX_PER_TYPE], [*cut, resource.name]
        documents += [as_resource(resource, row) for row in rows
                      if _changed_since(query, resource, row)]
    audit.record_read("fhir.patient.everything", actor=caller.user, target=person,
                      person_id=person.pk)
    shown = documents[query.offset:query.offset + query.count] if query.count else documents
    entries = [entry(base, document, "match") for document in shown]
    if cut:
        entries.append({"resource": operation_outcome(issue("warning", "too-costly", _(
            "Only the first %(count)s of these types are included: %(types)s.")
            % {"count": MAX_PER_TYPE, "types": ", ".join(cut)})),
            "search": {"mode": "outcome"}})
    return {"resourceType": "Bundle", "type": "searchset", "total": len(documents),
            "link": _links(f"{base}Patient/{person.pk}/$everything", query, len(documents)),
            "entry": entries}


def _wanted(query: EverythingQuery, resource: ResourceType) -> bool:
    return query.types is None or resource.name in query.types


def _changed_since(query: EverythingQuery, resource: ResourceType, row) -> bool:
    """Whether the row changed at or after `_since`; a row whose change is not known
    (a definition kept in code) is kept: leaving it out could hide a change."""
    if query.since is None:
        return True
    changed = resource.last_updated(row)
    return changed is None or changed >= query.since


def _links(address: str, query: EverythingQuery, total: int) -> list[dict]:
    def at(offset: int | None) -> str:
        paging = [("_offset", offset)] if offset is not None else []
        asked = [*query.used, *paging]
        return f"{address}?{urlencode(asked)}" if asked else address

    if not query.count:
        return [{"relation": "self", "url": at(None)}]
    links = [{"relation": "self", "url": at(query.offset)}]
    if query.offset + query.count < total:
        links.append({"relation": "next", "url": at(query.offset + query.count)})
    if query.offset:
        links.append({"relation": "previous",
                      "url": at(max(query.offset - query.count, 0))})
    return links


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
