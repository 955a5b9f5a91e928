"""Versions: vread (`[type]/<id>/_history/<vid>`) and the instance history
(`[type]/<id>/_history`).

Relais keeps each row as it is now, not its past versions: a resource's version is its
row's (`core.models.Versioned`) or a digest of what is served (documents.py). So a
vread of the current version is the resource, as a read; a version before it is gone
(410, an OperationOutcome saying that only the current one is kept — HAPI answers an
expunged version alike), and a version the row never had is a 404. The history is a
`history` Bundle, newest first: the current version with its resource, then the earlier
versions Relais can date, without content (a Patient's: its changes are in the audit
log, `past_versions`). Who made a change is not said here: the audit log shows it to
those who may read it (`AuditEvent?patient=`).

Everything here is read after the row was loaded through the type's gate and audited as
a read of it (views.py)."""

from django.utils.translation import gettext as _

from relais.audit.models import AuditEvent
from relais.core.text import is_digits
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.registry import ResourceType

# The audit events that each make a new version of a person's record (Person.version):
# its opening, a change of its details (pages, ADT feed, FHIR), its anonymisation.
PERSON_VERSIONS = ("person.create", "person.change", "person.anonymise")


def check_version(resource: ResourceType, row, document: dict, vid: str) -> None:
    """Nothing when `vid` is the current version; 410 for an earlier version of a row
    that counts them, 404 for any other."""
    current = document["meta"]["versionId"]
    if vid == current:
        return
    names = {"type": resource.name, "id": document["id"], "version": vid[:64],
             "current": current}
    counted = resource.version_of(row)
    if counted is not None and is_digits(vid) and 1 <= int(vid) < int(counted):
        raise FhirError(410, "deleted", _(
            "Relais keeps only the current version of %(type)s/%(id)s (version "
            "%(current)s): version %(version)s is no longer available.") % names)
    raise FhirError(404, "not-found", _(
        "%(type)s/%(id)s has no version “%(version)s”: Relais keeps only its current "
        "version (%(current)s).") % names)


def bundle(base: str, resource: ResourceType, row, document: dict) -> dict:
    """The history Bundle: the current version, then the earlier ones that can be dated."""
    url = f"{resource.name}/{document['id']}"
    current = document["meta"]["versionId"]
    first = resource.version_of(row) == 1
    entries = [_entry(base, url, current, document["meta"].get("lastUpdated"), first,
                      document)]
    if resource.past_versions is not None:
        entries += [_entry(base, url, str(version), when.isoformat(timespec="milliseconds"),
                           version == 1)
                    for version, when in resource.past_versions(row)]
    return {"resourceType": "Bundle", "type": "history", "total": len(entries),
            "link": [{"relation": "self", "url": f"{base}{url}/_history"}],
            "entry": entries}


def _entry(base: str, url: str, version: str, when: str | None, created: bool,
           document: dict | None = None) -> dict:
    entry = {"fullUrl": f"{base}{url}"}
    if document is not None:
        entry["resource"] = document
    entry["request"] = ({"method": "POST", "url": url.split("/")[0]} if created
                        else {"method": "PUT", "url": url})
    entry["response"] = {"status": "201 Created" if created else "200 OK",
                         "etag": f'W/"{version}"'}
    if when:
        entry["response"]["lastModified"] = when
    return entry


def person_versions(person) -> list[tuple[int, object]]:
    """[(version, when)] of a person's earlier versions, newest first, from the audit
    log: each event that made a version, counted back from the current one (a record
    opened before the log, or by the demo, has fewer events than versions: its earliest
    versions are not dated, so not listed)."""
    events = AuditEvent.objects.filter(person_id=person.pk, action__in=PERSON_VERSIONS)
    made = list(events.order_by("-occurred_at", "-pk").values_list("occurred_at", flat=True)
                [:person.version])
    # made[0] made the current version; made[1] the one before it, and so on.
    return [(person.version - index, when) for index, when in enumerate(made)][1:]
