"""What every write (create, update) checks before a resource type's handler calls the
feature's services: who writes, the body, the version the client holds, the conditional
create's search. Each refusal is a FhirError (an OperationOutcome in the caller's
language) raised before anything changed; the view runs the handler in one transaction,
so a refusal half-way changes nothing either.

Only a system client writes: a browser session reads (the API takes no CSRF token, so a
session must never change anything through it). A write the caller may not make is
written to the audit log as a refusal, like a read it may not make.
"""

import json
from contextlib import contextmanager

from django.core.exceptions import RequestDataTooBig
from django.http import QueryDict
from django.utils.translation import gettext as _

from relais.access import policy
from relais.access.policy import Action
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.interop.fhir.auth import Caller, caller_for
from relais.interop.fhir.documents import as_resource
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.registry import ResourceType
from relais.interop.fhir.values import ID, audited_id, holds_nul, invalid

JSON_TYPES = {"application/fhir+json", "application/json", "application/json+fhir"}
# A resource Relais writes is a few kilobytes; a body past this is not one of them.
MAX_BODY = 256 * 1024


def writer_for(request, resource: ResourceType, interaction: str) -> Caller:
    """The system client allowed `interaction` on `resource` by its token's scopes."""
    try:
        caller = caller_for(request, resource.name, interaction)
    except FhirError as error:
        if error.status == 403:
            refuse(request.user, resource, "", interaction, "scope")
        raise
    if caller.client is None:
        refuse(caller.user, resource, "", interaction, "session")
        raise FhirError(403, "forbidden", _("Only a system client (an OAuth2 access token) "
                                            "writes through this API; a signed-in session "
                                            "reads."))
    return caller


def refuse(user, resource: ResourceType, id: str, interaction: str, reason: str) -> None:
    """The refused write in the audit log."""
    audit.record(audit.Actions.ACCESS_DENIED, actor=user,
                 target_type=resource.target_type, target_id=audited_id(id),
                 outcome=Outcome.DENIED,
                 detail={"action": interaction, "via": "fhir", "reason": reason})


def forbidden(user, resource: ResourceType, id: str, interaction: str, reason: str,
              text: str) -> FhirError:
    """A 403 raised inside the write's transaction: `refusals_recorded` writes the
    refusal once that transaction is undone (or it would be undone with it)."""
    return FhirError(403, "forbidden", text, refused=(user, resource, id, interaction, reason))


@contextmanager
def refusals_recorded():
    """Around the write's transaction: the refusals raised inside, in the audit log."""
    try:
        yield
    except FhirError as error:
        if error.refused:
            refuse(*error.refused)
        raise


def read_body(request, resource: ResourceType) -> dict:
    """The JSON resource sent, of the type the address names; 415, 413 or 400 else."""
    if request.content_type not in JSON_TYPES:
        raise FhirError(415, "not-supported", _("Send the resource as JSON "
                                                "(application/fhir+json)."))
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _too_large() from None
    if len(raw) > MAX_BODY:
        raise _too_large()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "structure", _("The body is not valid JSON.")) from None
    if holds_nul(body):
        raise FhirError(400, "invalid", _("The body holds a NUL character (U+0000): no text "
                                          "in Relais may hold one."))
    if not isinstance(body, dict) or body.get("resourceType") != resource.name:
        found = body.get("resourceType") if isinstance(body, dict) else None
        raise FhirError(400, "invalid", _("The body must be a resource of type %(type)s (its "
                                          "resourceType is “%(found)s”).")
                        % {"type": resource.name, "found": str(found)[:64]})
    return body


def _too_large() -> FhirError:
    return FhirError(413, "too-long", _("The body is larger than this server accepts."))


def check_elements(body: dict, known: frozenset, path: str) -> None:
    """Every element of `body` is one FHIR R4 defines at `path` (a typo, or an element
    of another version, is a 400 rather than silently dropped)."""
    for name in body:
        if name not in known and not name.startswith("_"):
            raise FhirError(400, "structure", _("Unknown element “%(name)s” in %(path)s.")
                            % {"name": name[:64], "path": path})


def load_for_update(user, resource: ResourceType, id: str):
    """The row to update, locked, through the gate: a 404 when the caller may not read it
    (as for a read), a 403 when it may read but not change it."""
    row = resource.find(resource.visible(user), id) if ID.match(id) else None
    if row is None:
        raise _not_found(user, resource, id)
    # Locked, then read again: the version compared is the one the update replaces.
    type(row).objects.select_for_update().filter(pk=row.pk).values_list("pk").first()
    row = resource.find(resource.visible(user), id)
    if not policy.policy_for(type(row)).allows(user, row, Action.CHANGE):
        raise forbidden(user, resource, id, "update", "rule",
                        _("This client may read %(type)s/%(id)s but not change it.")
                        % {"type": resource.name, "id": id})
    return row


def _not_found(user, resource: ResourceType, id: str) -> FhirError:
    return FhirError(404, "not-found", _("%(type)s/%(id)s is not known to this server.")
                     % {"type": resource.name, "id": id[:64]},
                     refused=(user, resource, id, "update", "not visible"))


def check_version(request, body: dict, resource: ResourceType, row) -> None:
    """`If-Match` naming an older version: 412; a `meta.versionId` in the body naming an
    older version: 409. Neither: the update applies to the version it finds (the
    hospital's system is the source of what it sends, as with the ADT feed)."""
    current = as_resource(resource, row)["meta"]["versionId"]
    # The row's own version names it too: what an update writes is the row's (a
    # Patient's GPs, in its versionId, are the network's, not written by an update).
    held_now = {current, str(resource.version_of(row))}
    wanted = request.headers.get("If-Match", "").strip()
    if wanted and wanted != "*" and _tag(wanted) not in held_now:
        raise FhirError(412, "conflict", _("%(type)s/%(id)s has changed since the version "
                                           "this client holds (If-Match): read it again.")
                        % {"type": resource.name, "id": resource.id_of(row)})
    meta = body.get("meta")
    held = meta.get("versionId") if isinstance(meta, dict) else None
    if held is not None and str(held) not in held_now:
        raise FhirError(409, "conflict", _("%(type)s/%(id)s has changed since the version "
                                           "this client holds (meta.versionId): read it "
                                           "again.")
                        % {"type": resource.name, "id": resource.id_of(row)})


def _tag(etag: str) -> str:
    return etag.removeprefix("W/").strip('"')


def check_id(body: dict, id: str) -> None:
    """An update names the resource it replaces, in the address and in the body alike."""
    if "id" not in body:
        raise FhirError(400, "required", _("“%(path)s” is required.") % {"path": "id"})
    if str(body["id"]) != id:
        raise FhirError(400, "invalid", _("The body's id (“%(found)s”) is not the one in the "
                                          "address (“%(id)s”).")
                        % {"found": str(body["id"])[:64], "id": id[:64]})


def conditional_matches(request, user, resource: ResourceType) -> list | None:
    """`If-None-Exist: identifier=…`: the rows the caller may change that match (None
    without the header). Every parameter must be one the type searches by: one ignored
    would match more, and return someone else's resource instead of creating."""
    condition = request.headers.get("If-None-Exist", "").strip()
    if not condition:
        return None
    query = QueryDict(condition.removeprefix("?"))
    if not query:
        raise invalid("If-None-Exist", condition)
    rows = resource.visible(user)
    for key, values in query.lists():
        param = resource.param(key)
        if param is None:
            raise FhirError(400, "not-supported", _("Unknown search parameters: %(names)s.")
                            % {"names": key[:64]})
        for value in values:
            if holds_nul(key) or holds_nul(value):
                raise invalid("If-None-Exist", condition)
            rows = param.apply(rows, value, "")
    if resource.matchable is not None:
        return list(resource.matchable(user, rows)[:10])
    return [row for row in rows[:10]
            if policy.policy_for(type(row)).allows(user, row, Action.CHANGE)]


class Unshown(FhirError):
    """A create that names what Relais already holds but the client may not read (Patient
    create: an SSIN of a person it does not see). Nothing is written and nothing of it is
    shown: the answer is a 200 OperationOutcome (information) without Location, the same
    whatever the reason the client may not read it, and the refusal is audited.
    `reference` is how the other entries of a transaction Bundle point at it (the
    identifier that names it, as the ADT feed finds a person)."""

    def __init__(self, text: str, *, reference: dict, refused: tuple):
        super().__init__(200, "informational", text, severity="information",
                         refused=refused)
        self.reference = reference
