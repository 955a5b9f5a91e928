"""Transaction and batch Bundles: `POST [base]` with a Bundle whose entries are the
interactions the API serves one by one — a read, a search or `$everything` (GET), a
create (POST), an update (PUT) — each answered as if it came alone. Each entry is
dispatched to the very view that serves it (`django.urls.resolve`), as a request of the
Bundle's caller: the same scopes, gate, checks, services and audit as alone; only the
token is checked once, for the Bundle.

- batch: each entry on its own (its own transaction), with its own status and, when it
  fails, its own OperationOutcome; the Bundle answers 200 `batch-response`.
- transaction: every entry in one database transaction, all or nothing. The writes come
  first (POST, then PUT), then the reads, as FHIR orders them; the POSTs in the order
  their references need: a `urn:uuid:` fullUrl of a created entry is replaced, wherever
  another entry's resource (or a GET entry's URL) refers to it, by what it became
  (`Patient/12`; a Patient the client may not read by its SSIN, as the ADT feed finds a
  person: `writes.Unshown`). A conditional reference (`Patient?identifier=<SSIN
  system>|<number>`, any search the type serves) is searched as the caller, through the
  gate, and replaced by the one resource it finds; none or several fail the
  transaction (412), except a Patient by SSIN the client may not read or Relais does
  not hold, which stays a reference by identifier, as a create that names such a
  person does. The first entry that fails undoes everything: the answer
  is its status with its OperationOutcome, naming the entry; the refusals written inside
  the undone transaction are written again after it (a refusal is never undone). Else
  200 `transaction-response`, each entry's status, location, etag, lastModified and
  resource (none with `Prefer: return=minimal`).

At most MAX_ENTRIES entries (413 past that); the whole body within Django's upload
limit (413), each resource within a single write's (writes.MAX_BODY).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils.http import parse_http_date_safe
from django.utils.translation import gettext as _

from relais.audit import log as audit
from relais.audit.models import AuditEvent, Outcome
from relais.core import requestcontext
from relais.core.transactions import all_or_nothing
from relais.interop.fhir import identifiers, writes
from relais.interop.fhir.auth import authenticated
from relais.interop.fhir.identifiers import SSIN, SSIN_OLD, identifier
from relais.interop.fhir.outcome import FhirError, fhir_string, issue, operation_outcome
from relais.interop.fhir.responses import FHIR_JSON, fhir_response

MAX_ENTRIES = 100
KINDS = {"transaction": "transaction-response", "batch": "batch-response"}
METHODS = ("POST", "PUT", "GET", "HEAD")  # FHIR's order in a transaction (no DELETE here)
NOT_SERVED = ("DELETE", "PATCH")
CONDITIONAL = re.compile(r"^[A-Z][A-Za-z]{1,40}\?[^#]+$")  # `Patient?identifier=…`
# What a Bundle's entry may address (URL names): the types' two addresses, Patient's
# $everything, and an unknown type (its own 404); not the metadata, the token, a Bundle.
SERVED = ("patient_everything", "unknown_type", "unknown_read")
# The Bundle's own conditions and length say nothing about an entry's.
NOT_PASSED = ("HTTP_IF_NONE_EXIST", "HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH",
              "HTTP_IF_MODIFIED_SINCE", "CONTENT_LENGTH", "wsgi.input")
HEADERS = {"ifNoneExist": "HTTP_IF_NONE_EXIST", "ifMatch": "HTTP_IF_MATCH",
           "ifNoneMatch": "HTTP_IF_NONE_MATCH"}


@dataclass
class Call:
    """One entry's request, read from the Bundle (or why it cannot be made)."""

    index: int
    method: str = ""
    url: str = ""
    resource: dict | None = None
    full_url: str = ""
    headers: dict = field(default_factory=dict)
    error: FhirError | None = None


class _Failed(Exception):
    """An entry of a transaction failed: everything is undone, its answer is answered."""

    def __init__(self, call: Call, response, denied: list):
        self.call, self.response, self.denied = call, response, denied


def process(request):
    """POST [base]: the Bundle's answer."""
    caller = authenticated(request)
    bundle = _read(request)
    calls = [_call_of(index, entry) for index, entry in enumerate(bundle.get("entry", []))]
    if bundle["type"] == "batch":
        answers = [_answer(request, caller, call) for call in calls]
        return fhir_response(_response_bundle("batch", request, answers))
    return _transaction(request, caller, calls)


# --- reading the Bundle --------------------------------------------------------------


def _read(request) -> dict:
    if request.content_type not in writes.JSON_TYPES:
        raise FhirError(415, "not-supported", _("Send the resource as JSON "
                                                "(application/fhir+json)."))
    try:
        raw = request.body
    except RequestDataTooBig:
        raise FhirError(413, "too-long", _("The body is larger than this server "
                                           "accepts.")) from None
    try:
        bundle = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "structure", _("The body is not valid JSON.")) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        found = bundle.get("resourceType") if isinstance(bundle, dict) else None
        raise FhirError(400, "invalid", _("The body must be a resource of type %(type)s (its "
                                          "resourceType is “%(found)s”).")
                        % {"type": "Bundle", "found": str(found)[:64]})
    if bundle.get("type") not in KINDS:
        raise FhirError(400, "not-supported", _(
            "This server takes a Bundle of type transaction or batch here (not "
            "“%(type)s”).") % {"type": str(bundle.get("type"))[:32]})
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise FhirError(400, "structure", _("Bundle.entry must be a list."))
    if len(entries) > MAX_ENTRIES:
        raise FhirError(413, "too-long", _(
            "A Bundle holds at most %(limit)s entries here (this one %(count)s): send "
            "several.") % {"limit": MAX_ENTRIES, "count": len(entries)})
    return bundle


def _call_of(index: int, entry) -> Call:
    call = Call(index)
    try:
        _fill(call, entry)
    except FhirError as error:
        call.error = error
    return call


def _fill(call: Call, entry) -> None:
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict) or not request.get("method") or not request.get("url"):
        raise FhirError(400, "required", _("“%(path)s” is required.")
                        % {"path": "request.method, request.url"})
    call.method, call.url = str(request["method"]).upper(), _local(str(request["url"]))
    if call.method in NOT_SERVED or call.method not in METHODS:
        raise FhirError(405, "not-supported", _("%(method)s is not served in a Bundle here: "
                                                "use GET, POST or PUT.")
                        % {"method": call.method[:10]})
    call.full_url = str(entry.get("fullUrl", ""))
    call.headers = {HEADERS[name]: str(value) for name, value in request.items()
                    if name in HEADERS and value}
    if call.method in ("POST", "PUT"):
        call.resource = entry.get("resource")
        if not isinstance(call.resource, dict):
            raise FhirError(400, "required", _("“%(path)s” is required.")
                            % {"path": "resource"})


def _local(url: str) -> str:
    """`Patient/12`, from what the entry sent: a relative URL, or an absolute one on
    this server (its path)."""
    base = reverse("fhir:base")
    if url.startswith(("http://", "https://")):
        url = urlsplit(url)._replace(scheme="", netloc="").geturl()
    return url.removeprefix(base).lstrip("/")


# --- a transaction -----------------------------------------------------------------


def _transaction(request, caller, calls: list[Call]):
    failed = next((call for call in calls if call.error), None)
    if failed is not None:
        return _failure(failed, _outcome_response(failed.error))
    _check_distinct(calls)
    ordered = _ordered(calls)
    mark = _last_event()
    answers: dict[int, object] = {}
    try:
        with all_or_nothing():
            _run(request, caller, ordered, answers, mark)
    except _Failed as failure:
        _record_again(failure.denied)
        return _failure(failure.call, failure.response)
    return fhir_response(_response_bundle("transaction", request,
                                          [answers[call.index] for call in calls]))


def _run(request, caller, ordered, answers, mark) -> None:
    resolved: dict[str, dict] = {}

    def search(reference: str) -> dict:
        return _conditional(request, caller, reference)

    for call in ordered:
        try:
            _resolve(call, resolved, search)
        except FhirError as error:
            response = _outcome_response(error)
        else:
            response = _dispatch(request, caller, call)
        if response.status_code >= 400:
            # The refusals read before they are undone, to be written again after.
            raise _Failed(call, response, _denials_since(mark, caller.user))
        answers[call.index] = response
        if call.method == "POST" and call.full_url:
            resolved[call.full_url] = _reference_of(response)


def _check_distinct(calls: list[Call]) -> None:
    """Two writes of one resource in one transaction: which wins would be arbitrary."""
    seen = set()
    for call in calls:
        if call.method == "PUT":
            if call.url in seen:
                raise FhirError(400, "invalid", _("Two entries of this transaction update "
                                                  "%(url)s.") % {"url": call.url[:80]})
            seen.add(call.url)


def _ordered(calls: list[Call]) -> list[Call]:
    """POSTs (each after the POSTs it refers to), PUTs, then the reads."""
    posts = [call for call in calls if call.method == "POST"]
    created = {call.full_url: call for call in posts if call.full_url}
    ordered, placed = [], set()
    while len(ordered) < len(posts):
        ready = [call for call in posts if call.index not in placed and all(
            created[ref].index in placed for ref in _references(call.resource)
            if ref in created and created[ref] is not call)]
        if not ready:
            raise FhirError(400, "invalid", _("Entries of this transaction refer to each "
                                              "other in a circle."))
        ordered.append(ready[0])
        placed.add(ready[0].index)
    rest = sorted((call for call in calls if call.method != "POST"),
                  key=lambda call: METHODS.index(call.method))
    return ordered + rest


def _references(value) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []


def _resolve(call: Call, resolved: dict[str, dict], search=None) -> None:
    """Each reference to the fullUrl of an entry created before, replaced by what it
    became; a `urn:uuid:` naming no entry of the transaction is a 400 (in a URL, a value
    that is an entry's fullUrl); a conditional reference in a resource by what `search`
    finds."""
    if call.resource is not None:
        _replace(call.resource, resolved, search)
    path, _mark, query = call.url.partition("?")
    if any(full_url in query for full_url in resolved):
        call.url = f"{path}?{_query_resolved(query, resolved)}"
    condition = call.headers.get("HTTP_IF_NONE_EXIST", "")
    if any(full_url in condition for full_url in resolved):
        call.headers["HTTP_IF_NONE_EXIST"] = _query_resolved(condition, resolved)


def _query_resolved(query: str, resolved: dict[str, dict]) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, _in_url(value, resolved)) for name, value in pairs])


def _replace(value, resolved: dict[str, dict], search=None, conditional_only=False) -> None:
    if isinstance(value, list):
        for item in value:
            _replace(item, resolved, search, conditional_only)
        return
    if not isinstance(value, dict):
        return
    reference = value.get("reference")
    if isinstance(reference, str) and not conditional_only and (
            reference in resolved or reference.startswith("urn:uuid:")):
        if reference not in resolved:
            raise _unresolved(reference)
        del value["reference"]
        value.pop("identifier", None)
        value.update(resolved[reference])
    elif isinstance(reference, str) and search is not None and CONDITIONAL.match(reference):
        del value["reference"]
        value.pop("identifier", None)
        value.update(search(reference))
    for item in value.values():
        _replace(item, resolved, search, conditional_only)


def resolve_conditional_references(request, caller, resource: dict) -> None:
    """A single create or update (or a batch's entry): each conditional reference in the
    resource replaced by what the caller's search finds (`_conditional`)."""
    _replace(resource, {}, lambda reference: _conditional(request, caller, reference),
             conditional_only=True)


def _conditional(request, caller, reference: str) -> dict:
    """`Type?search` as the one resource the caller's search finds: `{"reference":
    "Type/id"}`; a Patient by SSIN it does not find, by that identifier."""
    kind, _mark, query = reference.partition("?")
    found = _dispatch(request, caller, Call(-1, "GET", f"{kind}?{query}&_count=2"))
    if found.status_code >= 400:
        raise FhirError(400, "invalid", _(
            "The conditional reference “%(reference)s” is not a search this server can "
            "make.") % {"reference": fhir_string(reference[:80])})
    matches = [e["resource"]["id"] for e in json.loads(found.content).get("entry", [])
               if e.get("search", {}).get("mode") == "match"]
    if len(matches) == 1:
        return {"reference": f"{kind}/{matches[0]}"}
    ssin = _ssin_only(kind, query)
    if not matches and ssin:
        return {"identifier": identifier(SSIN, ssin)}
    shown = {"reference": fhir_string(reference[:80])}
    if matches:
        raise FhirError(412, "multiple-matches", _(
            "The conditional reference “%(reference)s” matches several resources: it must "
            "match exactly one.") % shown)
    raise FhirError(412, "not-found", _(
        "The conditional reference “%(reference)s” matches no resource you may read: it "
        "must match exactly one.") % shown)


def _ssin_only(kind: str, query: str) -> str:
    """The SSIN of `Patient?identifier=<SSIN system>|<number>` (a valid one), else ""."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if kind != "Patient" or len(pairs) != 1 or pairs[0][0] != "identifier":
        return ""
    system, _bar, number = pairs[0][1].rpartition("|")
    try:
        return identifiers.ssin(number) if system in (SSIN, SSIN_OLD) else ""
    except FhirError:
        return ""


def _in_url(value: str, resolved: dict[str, dict]) -> str:
    if value not in resolved:
        return value
    reference = resolved[value].get("reference")
    if reference is None:
        raise _unresolved(value)
    return reference


def _unresolved(reference: str) -> FhirError:
    return FhirError(400, "not-found", _("“%(reference)s” names no resource created by an "
                                         "entry of this transaction.")
                     % {"reference": reference[:80]})


def _reference_of(response) -> dict:
    """How the other entries point at what a POST made (or found): its address, or for
    what the client may not read, what names it (`writes.Unshown.reference`)."""
    unshown = getattr(response, "fhir_error", None)
    if isinstance(unshown, writes.Unshown):
        return unshown.reference
    return {"reference": _local(response["Location"])} if response.has_header(
        "Location") else {}


def _failure(call: Call, response):
    """The transaction's answer when an entry failed: that entry's status and outcome,
    each issue naming the entry."""
    outcome = json.loads(response.content)
    asked = f"{call.method} {call.url[:80]}".strip() or "?"
    for found in outcome.get("issue", []):
        text = fhir_string(_("Entry %(index)s (%(request)s): %(text)s") % {  # quotes the URL
            "index": call.index, "request": asked, "text": found.get("diagnostics", "")})
        found["diagnostics"] = text
        found["details"] = {"text": text}
        found["expression"] = [f"Bundle.entry[{call.index}]"]
    headers = {name: response[name] for name in ("WWW-Authenticate", "Allow")
               if response.has_header(name)}
    return fhir_response(outcome, status=response.status_code, headers=headers)


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _denials_since(mark: int, user) -> list[AuditEvent]:
    """The refusals this request wrote in the transaction about to be undone."""
    request_id = requestcontext.current().request_id
    return list(AuditEvent.objects.filter(pk__gt=mark, outcome=Outcome.DENIED, actor=user,
                                          request_id=request_id).order_by("pk"))


def _record_again(events: list[AuditEvent]) -> None:
    for event in events:
        audit.record(event.action, actor=event.actor, organisation=event.organisation,
                     target_type=event.target_type, target_id=event.target_id,
                     person_id=event.person_id, outcome=event.outcome, detail=event.detail)


# --- one entry -----------------------------------------------------------------------


def _answer(request, caller, call: Call):
    """A batch's entry: its response, or the reason it could not be made."""
    if call.error is not None:
        return _outcome_response(call.error)
    return _dispatch(request, caller, call)


def _outcome_response(error: FhirError):
    return fhir_response(operation_outcome(issue(error.severity, error.code, error.text)),
                         status=error.status, headers=error.headers)


def _dispatch(outer, caller, call: Call):
    """The entry, served by the view that serves it alone."""
    request = EntryRequest(outer, caller, call)
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is None or match.namespace != "fhir" or not (
            match.url_name in SERVED
            or match.url_name.endswith(("_search", "_read", "_vread", "_history"))):
        return _outcome_response(FhirError(400, "not-supported", _(
            "“%(url)s” is not an interaction a Bundle's entry may ask for here.")
            % {"url": call.url[:80]}))
    return match.func(request, *match.args, **match.kwargs)


class EntryRequest(HttpRequest):
    """An entry as the request it stands for: the Bundle's caller, host, language and
    `Prefer`; the entry's method, address, conditions and resource."""

    def __init__(self, outer, caller, call: Call):
        super().__init__()
        path, _mark, query = call.url.partition("?")
        self.outer = outer
        self.method = call.method
        self.path = f"{reverse('fhir:base')}{path}"
        self.path_info = self.path.removeprefix(get_script_prefix().rstrip("/"))
        self.META = {key: value for key, value in outer.META.items() if key not in NOT_PASSED}
        self.META.update({"REQUEST_METHOD": call.method, "PATH_INFO": self.path,
                          "QUERY_STRING": query, "CONTENT_TYPE": FHIR_JSON, **call.headers})
        self.GET = QueryDict(query)
        self._body = b"" if call.resource is None else json.dumps(call.resource).encode()
        self.content_type, self.content_params = FHIR_JSON, {}
        self.user = caller.user
        self.fhir_caller = caller
        for name in ("session", "LANGUAGE_CODE"):
            if hasattr(outer, name):
                setattr(self, name, getattr(outer, name))

    def _get_scheme(self):
        return self.outer.scheme


def _response_bundle(kind: str, request, answers: list) -> dict:
    base = request.build_absolute_uri(reverse("fhir:base"))
    document = {"resourceType": "Bundle", "type": KINDS[kind]}
    if answers:  # FHIR's JSON has no empty lists
        document["entry"] = [_response_entry(base, response) for response in answers]
    return document


def _response_entry(base: str, response) -> dict:
    status = response.status_code
    answered = {"status": f"{status} {HTTPStatus(status).phrase}"}
    if response.has_header("Location"):
        answered["location"] = _local(response["Location"])
    if response.has_header("ETag"):
        answered["etag"] = response["ETag"]
    modified = parse_http_date_safe(response.get("Last-Modified", ""))
    if modified is not None:
        answered["lastModified"] = datetime.fromtimestamp(modified, UTC).isoformat()
    entry = {}
    document = json.loads(response.content) if response.content else None
    if document and document.get("resourceType") == "OperationOutcome":
        answered["outcome"] = document
    elif document:
        if document.get("id") and document.get("resourceType") != "Bundle":
            entry["fullUrl"] = f"{base}{document['resourceType']}/{document['id']}"
        entry["resource"] = document
    entry["response"] = answered
    return entry
