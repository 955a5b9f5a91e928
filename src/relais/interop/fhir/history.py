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
those who may read it (`AuditEvent?patient=`). `_since` keeps the versions made at or
after a moment, `_count` the newest few (`total` still counts all that match); `_at` is
not served.

Everything here is read after the row was loaded through the type's gate and audited as
a read of it (views.py)."""

from dataclasses import dataclass
from datetime import datetime, time
from typing import NamedTuple
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from relais.audit.models import AuditEvent
from relais.core.text import is_digits
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.params import is_strict, whole_number
from relais.interop.fhir.registry import ResourceType

# The audit events that each make a new version of a person's record (Person.version):
# its opening, a change of its details (pages, ADT feed, FHIR), its anonymisation.
PERSON_VERSIONS = ("person.create", "person.change", "person.anonymise")
MAX_COUNT = 1000
# Read by the server, not a filter of the history.
PASSED = {"_format", "_pretty"}


@dataclass
class HistoryQuery:
    since: datetime | None = None
    count: int | None = None
    used: tuple = ()  # (name, value) pairs, for the self link


def read_query(request) -> HistoryQuery:
    """`_since` (an instant, or a day: its start in Relais's time zone) and `_count`;
    anything else is ignored, or a 400 with `Prefer: handling=strict`. A value that
    cannot be read is a 400: ignoring it would answer more than was asked."""
    query = HistoryQuery()

    def since(name, value):
        query.since = moment(name, value)
        return value

    def count(name, value):
        query.count = whole_number(name, value, 1, MAX_COUNT)
        return value

    query.used = read_parameters(request, {"_since": since, "_count": count},
                                 _("Unknown parameters of a history: %(names)s."))
    return query


def read_parameters(request, readers: dict, unknown_text: str) -> tuple:
    """The (name, value) pairs a link keeps, each parameter read by its reader (name,
    value → the value kept, None: none), the passed ones (`_format`) as sent; any other
    is ignored, or with `Prefer: handling=strict` a 400 saying `unknown_text`."""
    unknown, used = [], []
    for name, value in request.GET.items():
        if name in readers:
            kept = readers[name](name, value)
            if kept is not None:
                used.append((name, kept))
        elif name in PASSED:
            used.append((name, value))
        else:
            unknown.append(name[:40])
    if unknown and is_strict(request):
        raise FhirError(400, "not-supported", unknown_text % {"names": ", ".join(unknown)})
    return tuple(used)


def moment(name: str, value: str) -> datetime:
    """An instant with its time zone (FHIR's `instant`), or a day: its start."""
    try:  # Django's parsers raise on a well-formed impossible date (month 13)
        if "T" in value:
            moment = parse_datetime(value)
            if moment is not None and moment.tzinfo is not None:
                return moment
        elif len(value) == 10 and (day := parse_date(value)) is not None:
            return timezone.make_aware(datetime.combine(day, time.min))
    except ValueError:
        pass
    raise FhirError(400, "invalid", _(
        "“%(value)s” is not a valid value for “%(name)s”: give an instant with its "
        "time zone (2026-12-01T09:30:00+01:00) or a day (2026-12-01).")
        % {"value": value[:64], "name": name})


def check_version(resource: ResourceType, row, document: dict, vid: str) -> None:
    """Nothing when `vid` is the current version; 410 for an earlier version of a row
    that counts them, 404 for any other."""
    current = document["meta"]["versionId"]
    if vid in (current, str(resource.version_of(row))):  # "3" names "3-…" (a Patient's)
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


class _Version(NamedTuple):
    number: str
    when: datetime | None
    served: str | None  # `when` as the Bundle says it
    created: bool
    content: dict | None = None  # the current version's only


def bundle(base: str, resource: ResourceType, row, document: dict,
           query: HistoryQuery | None = None) -> dict:
    """The history Bundle: the current version, then the earlier ones that can be dated;
    those made since `query.since`, the newest `query.count` of them."""
    query = query or HistoryQuery()
    url = f"{resource.name}/{document['id']}"
    updated = document["meta"].get("lastUpdated")
    versions = [_Version(document["meta"]["versionId"],
                         datetime.fromisoformat(updated) if updated else None, updated,
                         resource.version_of(row) == 1, document)]
    if resource.past_versions is not None:
        versions += [_Version(str(version), when, when.isoformat(timespec="milliseconds"),
                              version == 1)
                     for version, when in resource.past_versions(row)]
    if query.since is not None:  # an undated current version is still the current one
        versions = [v for v in versions if (v.content is not None if v.when is None
                                            else v.when >= query.since)]
    shown = versions[:query.count] if query.count else versions
    self_url = f"{base}{url}/_history" + (f"?{urlencode(query.used)}" if query.used else "")
    history = {"resourceType": "Bundle", "type": "history", "total": len(versions),
               "link": [{"relation": "self", "url": self_url}]}
    if shown:  # FHIR JSON has no empty arrays
        history["entry"] = [_entry(base, url, v.number, v.served, v.created, v.content)
                            for v in shown]
    return history


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
