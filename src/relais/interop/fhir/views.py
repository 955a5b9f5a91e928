"""The FHIR API's views: thin, as every view. Each asks `auth` who calls, reads through
the resource type's gate-filtered queryset (or, to write, has `writes` check the request
and the type's handler call the feature's services in one transaction), writes the
audit event and answers FHIR JSON; a FhirError anywhere becomes an OperationOutcome."""

from functools import wraps

from django.db import IntegrityError
from django.http import JsonResponse
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from relais.access import policy
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.core.models import VersionConflict
from relais.core.transactions import all_or_nothing
from relais.interop.fhir import (
    bundles,
    candidates,
    capability,
    everything,
    history,
    includes,
    openapi,
    registry,
    scopes,
    writes,
)
from relais.interop.fhir.auth import caller_for
from relais.interop.fhir.documents import as_resource, searchset
from relais.interop.fhir.elements import read_elements, subset
from relais.interop.fhir.outcome import FhirError, issue, operation_outcome
from relais.interop.fhir.params import parse_search
from relais.interop.fhir.responses import error_response, fhir_response
from relais.interop.fhir.values import ID, audited_id, holds_nul, invalid

JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
READING = ("GET", "HEAD")


def fhir_view(view):
    """JSON only, and every error as an OperationOutcome. No CSRF token: systems send no
    cookie, and a session only reads (`writes.writer_for`)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            _check_text(request)
            _check_format(request)
            return view(request, *args, **kwargs)
        except FhirError as error:
            return error_response(error)

    return csrf_exempt(wrapped)


def _allow(request, writing: tuple[str, ...]) -> None:
    """GET and HEAD, and the write methods the type serves at this address; 405 else."""
    allowed = (*READING, *writing)
    if request.method not in allowed:
        raise FhirError(405, "not-supported", _("%(method)s is not allowed at this address: "
                                                "use %(allowed)s.")
                        % {"method": request.method[:10], "allowed": ", ".join(allowed)},
                        headers={"Allow": ", ".join(allowed)})


def _check_text(request) -> None:
    """A NUL in a parameter is a 400: it is no value of anything, and the database would
    refuse it in a query (an error, not "nothing found")."""
    for key, values in request.GET.lists():
        for value in values:
            if holds_nul(key) or holds_nul(value):
                raise invalid(key[:64], value)


def _check_format(request) -> None:
    wanted = request.GET.get("_format")
    if wanted and wanted.split(";")[0].strip() not in JSON_FORMATS:
        raise FhirError(406, "not-supported", _("This server answers in JSON only "
                                                "(application/fhir+json)."))


def base_url(request) -> str:
    return request.build_absolute_uri(reverse("fhir:base"))


def _reading(view):
    """A view of the read side only: GET and HEAD."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        _allow(request, ())
        return view(request, *args, **kwargs)

    return wrapped


@fhir_view
@_reading
def metadata(request):
    return fhir_response(capability.capability_statement(request))


@fhir_view
@_reading
def openapi_document(request):
    """The OpenAPI 3.1 document, written from the registry (openapi.py); public, as
    /metadata is. Plain JSON: it is not a FHIR resource."""
    return JsonResponse(openapi.document(request), json_dumps_params={"ensure_ascii": False})


@fhir_view
@_reading
def smart_configuration(request):
    return fhir_response(capability.smart_configuration(request))


@fhir_view
def type_level(request, type):
    """[base]/Type: GET searches, POST creates (where the type is created here)."""
    resource = registry.resource_type(type)
    _allow(request, ("POST",) if resource.create else ())
    if request.method == "POST":
        return create(request, resource)
    return search(request, resource)


@fhir_view
def instance(request, type, id):
    """[base]/Type/id: GET reads, PUT updates (where the type is updated here)."""
    resource = registry.resource_type(type)
    _allow(request, ("PUT",) if resource.update else ())
    if request.method == "PUT":
        return update(request, resource, id)
    return read(request, resource, id)


def search(request, resource):
    caller = caller_for(request, resource.name, registry.SEARCH)
    user = caller.user
    query = parse_search(request, resource)
    page, more, total = _found(user, resource, query)
    _audit_search(user, resource, page)
    documents = [subset(as_resource(resource, row), query.elements) for row in page]
    included = includes.gather(user, resource, page, _allowed_includes(caller, query))
    return fhir_response(searchset(
        base_url(request), resource, query, total, documents, _warnings(query),
        included=[as_resource(target, row) for target, row in included], more=more))


def _found(user, resource, query) -> tuple[list, bool, int | None]:
    """(the page's rows, whether visible rows follow it, the total or None): from the
    candidates (candidates.py) where the type allows, else through the whole gate."""
    counted = query.only_count or query.total == "accurate" or not query.count
    if counted or not candidates.is_served(resource):
        page, more, total = _found_through_gate(user, resource, query)
    else:
        filtered = _filtered(resource.candidates(), query)
        found = candidates.page(user, resource, filtered, (*query.sort, *resource.order),
                                query.offset, query.count)
        page, more, total = found.rows, found.more, found.total
    return page, more, None if query.total == "none" and not query.only_count else total


def _found_through_gate(user, resource, query) -> tuple[list, bool, int | None]:
    """The gate over every row matching the search, counted: exact, and slow on a broad
    search of a type whose rows are persons' (`_summary=count`, `_total=accurate`)."""
    rows = _filtered(resource.visible(user), query)
    total = rows.count()
    order = (*query.sort, *resource.order)
    page = [] if query.only_count else list(
        rows.order_by(*order)[query.offset:query.offset + query.count])
    return page, query.offset + query.count < total, total


def _filtered(rows, query):
    for param, modifier, value in query.filters:
        rows = param.apply(rows, value, modifier)
    return rows


def _allowed_includes(caller, query) -> list:
    """The includes whose type the token may search; the others are named in a warning."""
    allowed = []
    for include in query.includes:
        if caller.scopes is None or scopes.grants(caller.scopes, include.target.name,
                                                  registry.SEARCH):
            allowed.append(include)
        else:
            query.ignored.append(f"{include.source.name}:{include.param.name}")
    return allowed


def _warnings(query) -> list[str]:
    if not query.ignored:
        return []
    return [_("Ignored search parameters (not supported): %(names)s.")
            % {"names": ", ".join(query.ignored)}]


def _audit_search(user, resource, page) -> None:
    if resource.search_action:
        policy.record_list_read(user, resource.search_action,
                                [resource.person_of(row) for row in page])


def read(request, resource, id):
    user = caller_for(request, resource.name, registry.READ).user
    row = _load(user, resource, id)
    return _served(request, resource, row, as_resource(resource, row))


@fhir_view
@_reading
def vread(request, type, id, vid):
    """[base]/Type/id/_history/vid: the current version as a read; an earlier one is
    gone, only the current one is kept (history.py). Through the gate and audited as a
    read, whatever the version asked."""
    resource = registry.resource_type(type)
    user = caller_for(request, resource.name, registry.VREAD).user
    row = _load(user, resource, id)
    document = as_resource(resource, row)
    history.check_version(resource, row, document, vid)
    return _served(request, resource, row, document)


@fhir_view
@_reading
def instance_history(request, type, id):
    """[base]/Type/id/_history: a history Bundle of what Relais knows of its versions."""
    resource = registry.resource_type(type)
    user = caller_for(request, resource.name, registry.HISTORY).user
    query = history.read_query(request)  # before the read: a bad value reads nothing
    row = _load(user, resource, id)
    document = as_resource(resource, row)
    return fhir_response(history.bundle(base_url(request), resource, row, document, query))


def _served(request, resource, row, document):
    """A read's answer: the resource with its version headers, or a 304 when the caller
    holds that version; `_elements` applied."""
    headers = _version_headers(resource, row, document)
    if _unchanged(request, headers["ETag"]):
        return fhir_response(None, status=304, headers=headers)
    wanted = read_elements(request.GET.get("_elements", ""), resource.name)
    return fhir_response(subset(document, wanted), headers=headers)


def create(request, resource):
    """POST: the type's `create` in one transaction; with If-None-Exist, the resource
    this client may change that matches is answered instead (200, nothing written)."""
    caller = writes.writer_for(request, resource, registry.CREATE)
    body = writes.read_body(request, resource)
    bundles.resolve_conditional_references(request, caller, body)
    try:
        with writes.refusals_recorded(), all_or_nothing():
            row, status = _create_once(request, caller, resource, body)
    except IntegrityError:
        # The same conditional create, sent twice at once: the other one made it.
        row, status = _created_meanwhile(request, caller, resource), 200
    return _written(request, resource, caller, row, status)


def _create_once(request, caller, resource, body):
    matches = writes.conditional_matches(request, caller.user, resource)
    if matches:
        if len(matches) > 1:
            raise FhirError(412, "multiple-matches", _(
                "If-None-Exist matches more than one resource: make it more precise."))
        return matches[0], 200
    return resource.create(caller, body), 201


def _created_meanwhile(request, caller, resource):
    matches = writes.conditional_matches(request, caller.user, resource) or []
    if len(matches) != 1:
        raise FhirError(409, "conflict", _("The change conflicts with what Relais already "
                                           "holds."))
    return matches[0]


def update(request, resource, id):
    """PUT: the whole resource as the client holds it now; If-Match (or meta.versionId)
    names the version it replaces. In one transaction, the row locked."""
    caller = writes.writer_for(request, resource, registry.UPDATE)
    body = writes.read_body(request, resource)
    writes.check_id(body, id)
    bundles.resolve_conditional_references(request, caller, body)
    try:
        with writes.refusals_recorded(), all_or_nothing():
            row = writes.load_for_update(caller.user, resource, id)
            writes.check_version(request, body, resource, row)
            row = resource.update(caller, row, body)
    except VersionConflict:
        raise FhirError(409, "conflict", _("%(type)s/%(id)s changed while it was being "
                                           "updated: read it again.")
                        % {"type": resource.name, "id": id}) from None
    return _written(request, resource, caller, row, 200)


def _written(request, resource, caller, row, status):
    """The resource as it now is (read again through the gate), with its version; or,
    with Prefer: return=minimal, the headers alone."""
    id = resource.id_of(row)
    fresh = resource.find(resource.visible(caller.user), id)
    headers = {"Location": f"{base_url(request)}{resource.name}/{id}"}
    if fresh is None:  # written, but not readable by this client (an exclusion)
        return fhir_response(operation_outcome(issue("information", "informational", _(
            "%(type)s/%(id)s was written.") % {"type": resource.name, "id": id})),
            status=status, headers=headers)
    document = as_resource(resource, fresh)
    headers.update(_version_headers(resource, fresh, document))
    if "return=minimal" in request.headers.get("Prefer", "").replace(" ", ""):
        return fhir_response(None, status=status, headers=headers)
    return fhir_response(document, status=status, headers=headers)


def _version_headers(resource, row, document) -> dict:
    headers = {"ETag": f'W/"{document["meta"]["versionId"]}"'}
    updated = resource.last_updated(row)
    if updated is not None:
        headers["Last-Modified"] = http_date(updated.timestamp())
    return headers


def _unchanged(request, etag: str) -> bool:
    """If-None-Match naming the version the caller holds: 304, nothing to send again."""
    wanted = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
    return etag in wanted or etag.removeprefix("W/") in wanted or "*" in wanted


def _load(user, resource, id):
    """One row through the gate, or a 404 that says the same whether it does not exist or
    may not be read (written to the audit log as a refusal, as `policy.object_for` does)."""
    row = resource.find(resource.visible(user), id) if ID.match(id) else None
    if row is None:
        audit.record(audit.Actions.ACCESS_DENIED, actor=user,
                     target_type=resource.target_type, target_id=audited_id(id),
                     outcome=Outcome.DENIED, detail={"action": "view", "via": "fhir"})
        raise FhirError(404, "not-found", _("%(type)s/%(id)s is not known to this server.")
                        % {"type": resource.name, "id": id[:64]})
    if resource.read_action:
        audit.record_read(resource.read_action, actor=user, target=row,
                          person_id=resource.person_of(row), detail={"for": "fhir"})
    return row


@fhir_view
@_reading
def patient_everything(request, id):
    """Patient/<id>/$everything: the person and everything the caller may read about
    them (everything.py)."""
    resource = registry.resource_type("Patient")
    caller = caller_for(request, resource.name, registry.READ)
    query = everything.read_query(request)  # a bad parameter reads nothing, not even her
    person = _load(caller.user, resource, id)
    return fhir_response(everything.bundle(caller, person, base_url(request), query))


@fhir_view
def unknown(request, type, id=None):
    raise registry.unsupported(type)


@fhir_view
def base(request):
    """[base]: POST takes a transaction or a batch Bundle (bundles.py)."""
    _allow(request, ("POST",))
    if request.method == "POST":
        return bundles.process(request)
    raise FhirError(400, "not-supported", _("Name a resource type, or read /fhir/metadata."))
