"""The OpenAPI 3.1 document of the FHIR API, at /fhir/openapi.json: written from the same
registry as the URLs and the CapabilityStatement (registry.py), so it describes exactly
what the server serves — each type's read, vread, history and search with its search
parameters, `_include`/`_revinclude` and scopes, the writes a type has (create, update), transaction
and batch Bundles, Patient `$everything` — and cannot drift from it.

The schemas are FHIR R4's own, element by element (data/r4.json, read from the R4 models
of fhir.resources and checked against them by the suite): no element R4 does not define,
each with its type (a date matches R4's date pattern, a list is a list), R4's required
elements and required code bindings. Relais adds what it always sends: a resource has
`resourceType`, `id` and `meta`; a search answers a `searchset` Bundle with a `self`
link (and `total` when known: docs/fhir.md, "Search"), whose entries are the type's
matches, what its `_include`/`_revinclude` can bring, and an OperationOutcome of
warnings; every error is an OperationOutcome.
A request body's schema is the type's top-level R4 elements (shallower: a generator can
use it), with what the write requires.
"""

import json
from functools import cache
from pathlib import Path

from django.urls import reverse

from relais.interop.fhir import everything, history, includes, registry, scopes
from relais.interop.fhir.params import MAX_COUNT
from relais.interop.fhir.responses import FHIR_JSON

DEFINITIONS = Path(__file__).resolve().parent / "data" / "r4.json"
SCHEMAS = "#/components/schemas/"
RESPONSES = "#/components/responses/"
SECURITY = "smart"
# FHIR R4's primitive types, as JSON Schema (the patterns are R4's own regexes).
YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
MONTH, DAY = r"(0[1-9]|1[0-2])", r"(0[1-9]|[1-2][0-9]|3[0-1])"
CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
TEXT = {"type": "string", "pattern": r"^[ \r\n\t\S]+$"}
URI = {"type": "string", "pattern": r"^\S*$"}
PRIMITIVES = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "positiveInt": {"type": "integer", "minimum": 1},
    "unsignedInt": {"type": "integer", "minimum": 0},
    "decimal": {"type": "number"},
    "string": TEXT, "markdown": TEXT,
    "xhtml": {"type": "string"},
    "code": {"type": "string", "pattern": r"^[^\s]+(\s[^\s]+)*$"},
    "id": {"type": "string", "pattern": r"^[A-Za-z0-9\-.]{1,64}$"},
    "uri": URI, "url": URI, "canonical": URI,
    "oid": {"type": "string", "pattern": r"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$"},
    "uuid": {"type": "string", "pattern": r"^urn:uuid:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"},
    "base64Binary": {"type": "string", "pattern": r"^(\s*([0-9a-zA-Z+/=]){4}\s*)+$"},
    "date": {"type": "string", "pattern": rf"^{YEAR}(-{MONTH}(-{DAY})?)?$"},
    "dateTime": {"type": "string",
                 "pattern": rf"^{YEAR}(-{MONTH}(-{DAY}(T{CLOCK}{ZONE})?)?)?$"},
    "instant": {"type": "string", "pattern": rf"^{YEAR}-{MONTH}-{DAY}T{CLOCK}{ZONE}$"},
    "time": {"type": "string", "pattern": rf"^{CLOCK}$"},
}
# The two types written here rather than read from R4: an extension's value[x] may be any
# datatype, a contained resource any resource.
EXTENSION = {
    "type": "object", "required": ["url"],
    "properties": {"id": TEXT, "url": URI,
                   "extension": {"type": "array", "items": {"$ref": f"{SCHEMAS}Extension"}}},
    "patternProperties": {"^value[A-Z][A-Za-z0-9]*$": {}},
    "additionalProperties": False,
}
RESOURCE = {"type": "object", "required": ["resourceType"],
            "properties": {"resourceType": {"type": "string", "pattern": "^[A-Z][A-Za-z]+$"}}}
# The search controls every type reads (params.py), and how a value of each search
# parameter type is written (what the server reads; anything else is a 400).
SEARCH_VALUE = {
    "date": {"type": "string",
             "pattern": r"^(eq|ne|gt|lt|ge|le|sa|eb)?[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"},
}
ERRORS_READ = ("400", "401", "403", "404", "406")
ERRORS_WRITE = ("400", "401", "403", "404", "409", "412", "413", "415", "422")
NOT_MODIFIED = {"description": "Not modified: If-None-Match names the version held (no body)."}
# A transaction that fails answers the failing entry's status (a batch answers 200).
ERRORS_BUNDLE = ("400", "401", "403", "404", "405", "406", "409", "410", "412", "413", "415",
                 "422")
ERROR_TEXT = {
    "400": "Bad input: a value the server cannot read, an unknown parameter with "
           "Prefer: handling=strict, a body that is not JSON or not of this type.",
    "401": "No valid credentials (an OAuth2 access token, or a signed-in session).",
    "403": "The token's scopes or the caller's rights do not allow this request.",
    "404": "Not known to this server, or not readable by the caller (the same answer).",
    "405": "A method the address does not take (an entry of a transaction).",
    "406": "A _format other than JSON.",
    "409": "A conflict: a duplicate, a transition not allowed, a version changed meanwhile.",
    "410": "An earlier version: Relais keeps only the current one.",
    "412": "If-Match names an older version, or If-None-Exist matches several resources.",
    "413": "The body is larger than this server accepts.",
    "415": "The body is not application/fhir+json.",
    "422": "A rule of Relais refuses the change (an unknown person, a missing reason...).",
}


def document(request) -> dict:
    """The OpenAPI document, its server and token addresses those of this request."""
    base = request.build_absolute_uri(reverse("fhir:base")).rstrip("/")
    token = request.build_absolute_uri(reverse("fhir:token"))
    described = _described()
    components = dict(described["components"])
    components["securitySchemes"] = {SECURITY: {
        "type": "oauth2",
        "description": "SMART Backend Services: OAuth2 client credentials, SMART v2 system "
                       "scopes. A signed-in Relais session may also read (no scopes).",
        "flows": {"clientCredentials": {
            "tokenUrl": token,
            "scopes": {scope: scope for scope in scopes.every_scope()}}}}}
    return {"openapi": "3.1.0", "info": described["info"], "servers": [{"url": base}],
            "security": [{SECURITY: []}], "paths": described["paths"],
            "components": components}


@cache
def _described() -> dict:
    """What does not depend on the request: written once per process."""
    return {"info": _info(), "paths": paths(), "components": {
        "schemas": schemas(), "responses": _error_responses(),
        "parameters": _shared_parameters()}}


def _info() -> dict:
    return {"title": "Relais FHIR R4 API", "version": "4.0.1",
            "description": "FHIR R4 (4.0.1) on the Belgian profiles. Written from the same "
                           "registry as the CapabilityStatement at /fhir/metadata; see "
                           "docs/fhir.md. Every error is an OperationOutcome."}


# --- paths ---------------------------------------------------------------------------------


def paths() -> dict:
    found = {
        "/metadata": {"get": _public("metadata", "The CapabilityStatement.",
                                     "CapabilityStatement")},
        "/.well-known/smart-configuration": {"get": _public(
            "smartConfiguration", "SMART configuration: the token endpoint and scopes.",
            "SmartConfiguration")},
    }
    found["/"] = {"post": _bundle()}
    for resource in registry.TYPES.values():
        found[f"/{resource.name}"] = _type_level(resource)
        found[f"/{resource.name}/{{id}}"] = _instance(resource)
        if registry.VREAD in resource.served:
            found[f"/{resource.name}/{{id}}/_history"] = {"get": _history(resource)}
            found[f"/{resource.name}/{{id}}/_history/{{vid}}"] = {"get": _vread(resource)}
        if "everything" in resource.operations:
            found[f"/{resource.name}/{{id}}/$everything"] = {"get": _everything(resource)}
    return found


def _public(operation_id: str, summary: str, schema: str) -> dict:
    return {"operationId": operation_id, "summary": summary, "security": [],
            "responses": {"200": _ok(schema), **_errors(("406",))}}


def _type_level(resource) -> dict:
    item = {"get": _search(resource)}
    if resource.create:
        item["post"] = _create(resource)
    return item


def _instance(resource) -> dict:
    item = {"get": _read(resource)}
    if resource.update:
        item["put"] = _update(resource)
    return item


def _scope(resource, interaction: str) -> list:
    return [{SECURITY: [f"system/{resource.name}.{scopes.NEEDED[interaction]}"]}]


def _search(resource) -> dict:
    return {
        "operationId": f"search{resource.name}",
        "summary": f"Search {resource.name}: {resource.documentation}",
        "tags": [resource.name],
        "security": _scope(resource, registry.SEARCH),
        "parameters": [*search_parameters(resource), _ref_parameter("Prefer-search")],
        "responses": {"200": _ok(f"{resource.name}Searchset", "A searchset Bundle."),
                      **_errors(ERRORS_READ)},
    }


def _read(resource) -> dict:
    return {
        "operationId": f"read{resource.name}",
        "summary": f"Read a {resource.name}.",
        "tags": [resource.name],
        "security": _scope(resource, registry.READ),
        "parameters": [_ref_parameter("id"), _ref_parameter("_elements"),
                       _ref_parameter("_format"), _ref_parameter("If-None-Match")],
        "responses": {"200": _ok(resource.name, "The resource.", versioned=True),
                      "304": NOT_MODIFIED,
                      **_errors(ERRORS_READ)},
    }


def _vread(resource) -> dict:
    return {
        "operationId": f"vread{resource.name}",
        "summary": f"Read a version of a {resource.name}: Relais keeps only the current "
                   "one (an earlier one is a 410).",
        "tags": [resource.name],
        "security": _scope(resource, registry.VREAD),
        "parameters": [_ref_parameter("id"), _ref_parameter("vid"),
                       _ref_parameter("_elements"), _ref_parameter("_format"),
                       _ref_parameter("If-None-Match")],
        "responses": {"200": _ok(resource.name, "The resource, at its current version.",
                                 versioned=True),
                      "304": NOT_MODIFIED,
                      **_errors((*ERRORS_READ, "410"))},
    }


def _history(resource) -> dict:
    return {
        "operationId": f"history{resource.name}",
        "summary": f"The versions of a {resource.name}: the current one with its content, "
                   "the earlier ones Relais can date without it.",
        "tags": [resource.name],
        "security": _scope(resource, registry.HISTORY),
        "parameters": [
            _ref_parameter("id"), _ref_parameter("_format"),
            _query("_since", {"type": "string", "format": "date-time"},
                   "Only the versions made at or after this instant (with its time zone) or "
                   "the start of this day."),
            _query("_count", {"type": "integer", "minimum": 1,
                              "maximum": history.MAX_COUNT},
                   "Only the newest so many versions (`total` counts all that match).")],
        "responses": {"200": _ok(f"{resource.name}History", "A history Bundle, newest "
                                                            "first."),
                      **_errors(ERRORS_READ)},
    }


def _everything(resource) -> dict:
    return {
        "operationId": f"{resource.name.lower()}Everything",
        "summary": "The person and everything the caller may read about them.",
        "tags": [resource.name],
        "security": _scope(resource, registry.READ),
        "parameters": [
            _ref_parameter("id"), _ref_parameter("_format"),
            _query("_type", {"type": "string", "pattern": "^[A-Za-z]+(,[A-Za-z]+)*$"},
                   "Only these types, comma-separated (Patient included only if named)."),
            _query("_since", {"type": "string", "format": "date-time"},
                   "Only what changed at or after this instant (with its time zone) or the "
                   "start of this day."),
            _query("_count", {"type": "integer", "minimum": 1,
                              "maximum": everything.MAX_COUNT},
                   "Pages of so many resources (`next` and `previous` links); none: the "
                   "whole Bundle."),
            _query("_offset", {"type": "integer", "minimum": 0},
                   "Where the page starts (as the links say).")],
        "responses": {"200": _ok("EverythingBundle", "A searchset Bundle, paged when "
                                                     "`_count` is given."),
                      **_errors(ERRORS_READ)},
    }


def _create(resource) -> dict:
    return {
        "operationId": f"create{resource.name}",
        "summary": f"Create a {resource.name} (conditionally with If-None-Exist).",
        "tags": [resource.name],
        "security": _scope(resource, registry.CREATE),
        "parameters": [_ref_parameter("If-None-Exist"), _ref_parameter("Prefer-write")],
        "requestBody": _body(resource, update=False),
        "responses": {"201": _written(resource, "Created."),
                      "200": _written(resource, "If-None-Exist matched a resource this "
                                                "client may change: nothing written."),
                      **_errors(ERRORS_WRITE)},
    }


def _update(resource) -> dict:
    return {
        "operationId": f"update{resource.name}",
        "summary": f"Update a {resource.name} (If-Match: the version it replaces).",
        "tags": [resource.name],
        "security": _scope(resource, registry.UPDATE),
        "parameters": [_ref_parameter("id"), _ref_parameter("If-Match"),
                       _ref_parameter("Prefer-write")],
        "requestBody": _body(resource, update=True),
        "responses": {"200": _written(resource, "Updated."), **_errors(ERRORS_WRITE)},
    }


def _bundle() -> dict:
    """POST [base]: a transaction or a batch of the interactions above (bundles.py)."""
    return {
        "operationId": "transaction",
        "summary": "A transaction (all or nothing) or a batch Bundle of the interactions "
                   "the types serve; each entry needs its own scope.",
        "tags": ["Bundle"],
        "security": [{SECURITY: []}],
        "parameters": [_ref_parameter("Prefer-write")],
        "requestBody": {"required": True, "description": "A Bundle of type transaction or "
                                                         "batch, as FHIR JSON.",
                        "content": {FHIR_JSON: {"schema": transaction_request()}}},
        "responses": {"200": _ok("TransactionResponse", "Each entry's answer: a "
                                 "transaction-response or a batch-response Bundle."),
                      **_errors(ERRORS_BUNDLE)},
    }


def _ok(schema: str, description: str = "OK.", *, versioned: bool = False) -> dict:
    answer = {"description": description,
              "content": {FHIR_JSON: {"schema": {"$ref": f"{SCHEMAS}{schema}"}}}}
    if versioned:
        answer["headers"] = {"ETag": {"required": True, "schema": {
            "type": "string", "pattern": r'^W/"[A-Za-z0-9\-.]{1,64}"$'}}}
    return answer


def _written(resource, description: str) -> dict:
    """The resource as it now is; an OperationOutcome when it was written but this client
    may not read it (an exclusion); no body with Prefer: return=minimal."""
    return {"description": f"{description} The resource as it now is (no body with "
                           "Prefer: return=minimal; an OperationOutcome when the client "
                           "may not read what it wrote).",
            "headers": {"Location": {"schema": URI}},
            "content": {FHIR_JSON: {"schema": {"anyOf": [
                {"$ref": f"{SCHEMAS}{resource.name}"},
                {"$ref": f"{SCHEMAS}OperationOutcome"}]}}}}


def _errors(codes) -> dict:
    return {code: {"$ref": f"{RESPONSES}{code}"} for code in codes}


def _error_responses() -> dict:
    return {code: {"description": f"{text} An OperationOutcome.",
                   "content": {FHIR_JSON: {"schema": {"$ref": f"{SCHEMAS}OperationOutcome"}}}}
            for code, text in ERROR_TEXT.items()}


def _body(resource, *, update: bool) -> dict:
    return {"required": True, "description": f"The {resource.name}, as FHIR JSON.",
            "content": {FHIR_JSON: {"schema": request_schema(resource.name, update=update)}}}


# --- parameters ----------------------------------------------------------------------------


def _ref_parameter(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _header(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": schema}


def _shared_parameters() -> dict:
    return {
        "id": {"name": "id", "in": "path", "required": True,
               "description": "The resource's logical id.",
               "schema": {"type": "string", "pattern": r"^[A-Za-z0-9\-.]{1,64}$"}},
        "vid": {"name": "vid", "in": "path", "required": True,
                "description": "A version id (meta.versionId).",
                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9\-.]{1,64}$"}},
        "_elements": _query("_elements", {"type": "string"},
                            "Comma-separated top-level elements to return."),
        "_format": _query("_format", {"type": "string",
                                      "enum": ["json", "application/fhir+json",
                                               "application/json"]},
                          "JSON only (anything else is a 406)."),
        "If-None-Match": _header("If-None-Match", {"type": "string"},
                                 "The ETag held: 304 when unchanged."),
        "If-Match": _header("If-Match", {"type": "string"},
                            "The ETag of the version replaced: 412 when stale."),
        "If-None-Exist": _header("If-None-Exist", {"type": "string"},
                                 "A search (identifier=…): the resource this client may "
                                 "change that matches is answered instead of a new one."),
        "Prefer-search": _header("Prefer", {"type": "string", "enum": [
            "handling=strict", "handling=lenient"]},
            "handling=strict: an unknown parameter is a 400 rather than a warning."),
        "Prefer-write": _header("Prefer", {"type": "string", "enum": [
            "return=representation", "return=minimal"]},
            "return=minimal: the headers without the resource."),
    }


def search_parameters(resource) -> list[dict]:
    """The controls every search reads and the type's own parameters, each modifier it
    supports as a parameter of its own (`name:exact`)."""
    found = [
        _query("_count", {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
               f"Matches per page (default 20, at most {MAX_COUNT})."),
        _query("_offset", {"type": "integer", "minimum": 0, "maximum": 10**9},
               "Matches skipped (the paging links carry it)."),
        _query("_summary", {"type": "string", "enum": ["count", "false", "data", "text"]},
               "count: the total alone; data: the whole resources (they carry no "
               "narrative); text: id, meta and what R4 makes mandatory."),
        _query("_total", {"type": "string", "enum": ["none", "estimate", "accurate"]},
               "accurate: the total always (counted through the whole gate: slower on a "
               "broad search); none: never; estimate (the default): when every candidate "
               "was decided."),
        _query("_sort", {"type": "string"}, "Comma-separated parameters, - descending: "
               + ", ".join(p.name for p in resource.search_params if p.sort_by) + "."),
        _ref_parameter("_elements"),
        _ref_parameter("_format"),
    ]
    for name, names in (("_include", includes.include_names(resource)),
                        ("_revinclude", includes.revinclude_names(resource))):
        if names:
            found.append(_query(name, {"type": "string", "enum": names},
                                "Also return the resources this one points at."
                                if name == "_include" else
                                "Also return the resources pointing at these."))
    for param in resource.search_params:
        schema = SEARCH_VALUE.get(param.type, {"type": "string"})
        found.append(_query(param.name, schema, f"{param.type}: {param.documentation}"))
        found += [_query(f"{param.name}:{modifier}", schema,
                         f"{param.type}, :{modifier}: {param.documentation}")
                  for modifier in param.modifiers]
    return found


# --- schemas -------------------------------------------------------------------------------


@cache
def r4() -> dict:
    return json.loads(DEFINITIONS.read_text())


def resource_names() -> list[str]:
    return [*registry.TYPES, "Bundle", "OperationOutcome", "CapabilityStatement"]


def schemas() -> dict:
    """Every R4 type reached, each served resource with what Relais always sends, a
    searchset Bundle per type, the $everything Bundle."""
    types = r4()["types"]
    resources = set(resource_names())
    found = {name: complex_schema(name, types[name], resource=name in resources)
             for name in types}
    for name in registry.TYPES:
        found[name]["required"] = sorted({*found[name]["required"], "id", "meta"})
    found["Extension"], found["Resource"] = EXTENSION, RESOURCE
    for resource in registry.TYPES.values():
        found[f"{resource.name}Searchset"] = searchset(resource.name, included(resource))
        found[f"{resource.name}History"] = history_bundle(resource.name)
    found["EverythingBundle"] = searchset(None, [])
    found["AnySearchset"] = searchset(None, sorted(registry.TYPES))
    found["TransactionResponse"] = transaction_response()
    found["SmartConfiguration"] = SMART_CONFIGURATION
    return found


def complex_schema(name: str, elements: dict, *, resource: bool = False) -> dict:
    properties = {"resourceType": {"const": name}} if resource else {}
    properties |= {element: element_schema(spec) for element, spec in elements.items()}
    required = [element for element, spec in elements.items() if spec.get("required")]
    return {"type": "object", "properties": properties,
            "required": (["resourceType"] if resource else []) + required,
            "additionalProperties": False}


def element_schema(spec: dict, *, depth: int | None = None) -> dict:
    """An element's schema: its primitive, or a reference to its complex type (written
    inline, `depth` levels deep and open below, for a request body)."""
    kind = spec["type"]
    if kind in PRIMITIVES:
        schema = dict(PRIMITIVES[kind])
        if "enum" in spec:
            schema = {"type": "string", "enum": spec["enum"]}
    elif depth is None:
        schema = {"$ref": f"{SCHEMAS}{kind}"}
    elif depth > 0 and kind in r4()["types"]:
        elements = r4()["types"][kind]
        schema = {"type": "object", "additionalProperties": False,
                  "properties": {name: element_schema(sub, depth=depth - 1)
                                 for name, sub in elements.items()}}
    else:
        schema = {"type": "object"}
    return {"type": "array", "items": schema, "minItems": 1} if spec.get("list") else schema


def included(resource) -> list[str]:
    """The types a search of `resource` can bring beside its matches."""
    names = set()
    for name, backwards in [(n, False) for n in includes.include_names(resource)] + [
            (n, True) for n in includes.revinclude_names(resource)]:
        names.update(include.target.name
                     for include in includes.read_include(resource, name, reverse=backwards)
                     if include.target is not None)
    return sorted(names)


def searchset(matches: str | None, beside: list[str]) -> dict:
    """A searchset Bundle as Relais answers it: R4's Bundle, with links (and `total`: a
    type's search leaves it out when unknown; $everything always has it), whose
    entries are matches (of `matches`; of any served type when None), included resources
    (of the types `beside`, none when empty) and one OperationOutcome of warnings."""
    bundle = complex_schema("Bundle", r4()["types"]["Bundle"], resource=True)
    entry = complex_schema("BundleEntry", r4()["types"]["BundleEntry"])
    match_types = [matches] if matches else sorted(registry.TYPES)
    variants = [_entry(entry, "match", match_types)]
    if beside:
        variants.append(_entry(entry, "include", beside))
    variants.append(_entry(entry, "outcome", ["OperationOutcome"]))
    bundle["properties"] |= {
        "type": {"const": "searchset"},
        "total": {"type": "integer", "minimum": 0},
        "entry": {"type": "array", "minItems": 1, "items": {"anyOf": variants}},
    }
    always = ("link",) if matches else ("total", "link")
    bundle["required"] = sorted({*bundle["required"], *always})
    return bundle


def history_bundle(name: str) -> dict:
    """A history Bundle as Relais answers it: the current version with its resource, the
    earlier ones with their request and response only (history.py)."""
    bundle = complex_schema("Bundle", r4()["types"]["Bundle"], resource=True)
    entry = complex_schema("BundleEntry", r4()["types"]["BundleEntry"])
    entry["properties"] |= {"fullUrl": URI, "resource": {"$ref": f"{SCHEMAS}{name}"}}
    entry["required"] = ["fullUrl", "request", "response"]
    bundle["properties"] |= {
        "type": {"const": "history"},
        "total": {"type": "integer", "minimum": 0},  # none since `_since`
        "entry": {"type": "array", "minItems": 1, "items": entry},
    }
    bundle["required"] = sorted({*bundle["required"], "total", "link"})
    return bundle


def _entry(entry: dict, mode: str, types: list[str]) -> dict:
    resources = [{"$ref": f"{SCHEMAS}{name}"} for name in types]
    return entry | {
        "properties": entry["properties"] | {
            "fullUrl": URI,
            "resource": resources[0] if len(resources) == 1 else {"anyOf": resources},
            "search": {"type": "object", "additionalProperties": False,
                       "required": ["mode"], "properties": {"mode": {"const": mode}}}},
        # An outcome's OperationOutcome has no id, so no address.
        "required": ["resource", "search"] + (["fullUrl"] if mode != "outcome" else [])}


def request_schema(name: str, *, update: bool) -> dict:
    """A body a client sends: the type's top-level R4 elements, each primitive with its
    pattern, each complex one an object (the server checks the rest; a generator can
    use it)."""
    elements = r4()["types"][name]
    properties = {"resourceType": {"const": name}}
    properties |= {element: element_schema(spec, depth=0) for element, spec in elements.items()}
    required = ["resourceType", *(e for e, spec in elements.items() if spec.get("required"))]
    if update:
        required.append("id")
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def transaction_request() -> dict:
    """A transaction or batch Bundle a client sends: R4's Bundle, its entries each a
    request (method, url) with the resource a POST or a PUT writes."""
    bundle = request_schema("Bundle", update=False)
    types = sorted(registry.TYPES)
    request = {"type": "object", "required": ["method", "url"], "additionalProperties": False,
               "properties": {"method": {"enum": ["GET", "HEAD", "POST", "PUT"]},
                              "url": {"type": "string", "minLength": 1},
                              **{name: {"type": "string"} for name in (
                                  "ifNoneExist", "ifMatch", "ifNoneMatch")}}}
    entry = {"type": "object", "required": ["request"], "additionalProperties": False,
             "properties": {"fullUrl": URI, "request": request, "resource": {
                 "type": "object", "required": ["resourceType"],
                 "properties": {"resourceType": {"enum": types}}}}}
    bundle["properties"] |= {"type": {"enum": list(TRANSACTIONS)},
                             "entry": {"type": "array", "items": entry, "maxItems": 100}}
    bundle["required"] = ["resourceType", "type"]
    return bundle


TRANSACTIONS = {"transaction": "transaction-response", "batch": "batch-response"}


def transaction_response() -> dict:
    """Each entry's answer: its status, location, etag, last modification, and the
    resource (a searchset Bundle for a search) or the OperationOutcome of its failure."""
    bundle = complex_schema("Bundle", r4()["types"]["Bundle"], resource=True)
    entry = complex_schema("BundleEntry", r4()["types"]["BundleEntry"])
    answer = complex_schema("BundleEntryResponse", r4()["types"]["BundleEntryResponse"])
    answer["properties"]["outcome"] = {"$ref": f"{SCHEMAS}OperationOutcome"}
    resources = [{"$ref": f"{SCHEMAS}{name}"} for name in (
        *sorted(registry.TYPES), "AnySearchset", "EverythingBundle",
        *(f"{name}History" for name in sorted(registry.TYPES)))]
    entry["properties"] |= {"fullUrl": URI, "resource": {"anyOf": resources},
                            "response": answer}
    entry["required"] = ["response"]
    bundle["properties"] |= {"type": {"enum": list(TRANSACTIONS.values())},
                             "entry": {"type": "array", "minItems": 1, "items": entry}}
    return bundle


SMART_CONFIGURATION = {
    "type": "object",
    "required": ["token_endpoint", "grant_types_supported", "scopes_supported",
                 "capabilities"],
    "properties": {
        "token_endpoint": URI,
        "grant_types_supported": {"type": "array", "items": {"type": "string"}},
        "token_endpoint_auth_methods_supported": {"type": "array",
                                                  "items": {"type": "string"}},
        "scopes_supported": {"type": "array", "items": {"type": "string"}},
        "capabilities": {"type": "array", "items": {"type": "string"}},
    },
}
