"""Contract testing of the HSDS API with schemathesis, against the published HSDS 3.0
OpenAPI (tests/fixtures/hsds3/schema/openapi.json, as Open Referral publishes it).

Used by the suite (test_contract.py: a small sample, fixed seed) and on demand
(bench/hsds_contract.py: thousands of requests on the demo directory).

What the published document needs before a tool can read it offline:

- its responses point at schemas on raw.githubusercontent.com: each becomes a local
  component, read from tests/fixtures/hsds3/schema (the same specification commit);
- three of them, the lists' `compiled/*_list.json`, are not in that copy: they are
  derived from the compiled schemas as the specification builds them, "one-to-one fields
  only" (every property but arrays, nested objects kept with their own non-array fields);
- one correction: `GET /service_at_locations/{id}` declares compiled/service.json,
  while its description, the API reference and the specification's own example
  (examples/service_at_location_full.json) are a service_at_location: checked against
  compiled/service_at_location.json. Nothing else is changed: the parameters, paths and
  other responses are the published ones.

Requests go through Django's test client (in the test's transaction); schemathesis
generates them (hypothesis, derandomised from a seed) and checks the answers:

- `not_a_server_error` and `response_schema_conformance` (schemathesis's own), on every
  response (the OpenAPI documents only 200, so only those are checked against a schema);
- every answer is JSON, errors included ({"status", "detail"}); a `format=ndjson` answer
  is NDJSON whose every line is a record of the list's schema.

Half the generated cases of an `/{id}` endpoint, and of the filters that take an id, are
given real ids of the test data, so records are found and checked, not only 404s.
"""

import copy
import datetime as dt
import json
from functools import cache
from pathlib import Path

import requests
import schemathesis
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.relais.interop import contract_runner as runner

SCHEMAS = Path(__file__).resolve().parents[3] / "fixtures" / "hsds3" / "schema"
PUBLISHED = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
BASE_PATH = "/hsds"
CORRECTED = ("/service_at_locations/{id}", "compiled/service.json",
             "compiled/service_at_location.json")
LISTS = {"compiled/service_list.json": "compiled/service.json",
         "compiled/organization_list.json": "compiled/organization.json",
         "compiled/service_at_location_list.json": "compiled/service_at_location.json"}
# Query parameters that take an id, and the kind of id they take.
ID_PARAMETERS = {"organization_id": "organizations", "taxonomy_term_id": "taxonomy_terms",
                 "taxonomy_id": "taxonomies", "parent_id": "taxonomy_terms"}


# --- the OpenAPI, readable offline ----------------------------------------------------------


def schema_file(name: str) -> dict:
    """A schema of the local copy, its relative `$ref`s ("metadata.json") inlined."""
    if name in LISTS:
        return one_to_one(schema_file(LISTS[name]))
    return _inline(json.loads((SCHEMAS / name).read_text()), (SCHEMAS / name).parent)


def _inline(node, directory: Path):
    if isinstance(node, list):
        return [_inline(item, directory) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str) and node["$ref"].endswith(".json"):
        target = directory / node["$ref"]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return _inline(json.loads(target.read_text()), target.parent) | rest
    return {key: _inline(value, directory) for key, value in node.items()}


def one_to_one(schema: dict) -> dict:
    """A record's own fields and one-to-one objects: what the `*_list` schemas hold."""
    kept = {name: one_to_one(prop) if prop.get("type") == "object" else prop
            for name, prop in schema.get("properties", {}).items()
            if prop.get("type") != "array"}
    return schema | {"properties": kept}


def local_openapi() -> dict:
    """The published OpenAPI, with its remote schemas as local components (see above)."""
    return copy.deepcopy(_local_openapi())


@cache
def _local_openapi() -> dict:
    spec = json.loads((SCHEMAS / "openapi.json").read_text())
    spec["servers"] = [{"url": BASE_PATH}]
    refs = {}

    def localise(node, path=""):
        if isinstance(node, list):
            return [localise(item, path) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref", "")
        if isinstance(ref, str) and ref.startswith(PUBLISHED):
            name = ref.removeprefix(PUBLISHED)
            if path == CORRECTED[0] and name == CORRECTED[1]:
                name = CORRECTED[2]
            key = name.removesuffix(".json").replace("/", "_")
            refs[key] = name
            return {**node, "$ref": f"#/components/schemas/{key}"}
        return {k: localise(v, path) for k, v in node.items()}

    spec["paths"] = {path: localise(item, path) for path, item in spec["paths"].items()}
    spec["components"]["schemas"] |= {key: schema_file(name) for key, name in refs.items()}
    return spec


def item_schemas(spec: dict) -> dict[str, dict]:
    """For each list path, the schema of one record of `contents` (to check NDJSON lines)."""
    found = {}
    for path, item in spec["paths"].items():
        schema = item.get("get", {}).get("responses", {}).get("200", {}).get(
            "content", {}).get("application/json", {}).get("schema", {})
        ref = schema.get("properties", {}).get("contents", {}).get("items", {}).get("$ref")
        if ref:
            found[path] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


# --- running it ------------------------------------------------------------------------------


class Contract(runner.ContractRunner):
    """Generates requests for every operation and checks the answers (see the module)."""

    def __init__(self, client, known_ids: dict[str, list[str]], leaks=()):
        super().__init__(client, leaks)
        self.spec = local_openapi()
        self.schema = schemathesis.openapi.from_dict(local_openapi())
        self.items = item_schemas(self.spec)
        self.known = known_ids  # {"services": [...], "organizations": [...], ...}

    def run(self, *, examples: int, seed: int, modes=(GenerationMode.POSITIVE,)) -> runner.Tally:
        """`examples` generated cases per operation and mode, the same ones for a seed."""
        for operation in self.operations():
            for mode in modes:
                self._run_operation(operation, mode, examples, seed)
        return self.tally

    def _cases(self, operation, mode):
        base = operation.as_strategy(generation_mode=mode)
        resource = operation.path.strip("/").split("/")[0]

        meaningful = self._meaningful()

        @st.composite
        def with_meaningful_values(draw):
            case = draw(base)
            if "id" in (case.path_parameters or {}) and draw(st.booleans()):
                case.path_parameters = {"id": draw(st.sampled_from(self.known[resource]))}
            query = dict(case.query or {})
            for name in list(query):
                if name in meaningful and draw(st.booleans()):
                    query[name] = draw(meaningful[name])
                    if query[name] is None:
                        del query[name]
            if query != (case.query or {}):
                case.query = query
            return case

        return with_meaningful_values()

    def _meaningful(self) -> dict:
        """Values the API can answer, for half the parameters generated: with the OpenAPI's
        bare `string`s, nearly every generated request would otherwise be a 400."""
        found = {name: st.sampled_from(self.known[kind]) for name, kind in ID_PARAMETERS.items()}
        return found | {
            "format": st.sampled_from(["json", "ndjson"]),
            "modified_after": st.datetimes(timezones=st.just(dt.UTC)).map(
                lambda moment: moment.isoformat()) | st.dates().map(str),
            "postcode": st.sampled_from(["1000", "1030", "1200", "1210", "9000"]),
            "proximity": st.none(),  # Relais has no coordinates: always a 400
            "page": st.integers(1, 4), "per_page": st.integers(1, 100),
            "search": st.sampled_from(["soins", "Thuisverpleging 3", "médecin", "cpas", "x"]),
        }

    def send(self, case) -> tuple[Response, bytes]:
        kwargs = case.as_transport_kwargs(base_url=f"http://testserver{BASE_PATH}")
        prepared = requests.Request(method=kwargs["method"], url=kwargs["url"],
                                    params=kwargs.get("params"),
                                    headers=kwargs.get("headers")).prepare()
        answer = self.client.generic(prepared.method, prepared.path_url)
        body = (b"".join(answer.streaming_content) if answer.streaming else answer.content)
        response = Response(status_code=answer.status_code,
                            headers={k.lower(): [v] for k, v in answer.items()},
                            content=body, request=prepared, elapsed=0.0, verify=True)
        return response, body

    @staticmethod
    def _checks(case, response, body: bytes) -> list:
        ndjson = response.headers.get("content-type", [""])[0] == "application/x-ndjson"
        return [not_a_server_error] if ndjson else [not_a_server_error,
                                                     response_schema_conformance]

    def _answer_problems(self, case, response, body: bytes) -> list[str]:
        content_type = response.headers.get("content-type", [""])[0]
        if content_type == "application/x-ndjson":
            return self._ndjson_problems(case, body)
        if content_type != "application/json":
            return [f"answered {content_type!r}, not JSON"]
        try:
            document = json.loads(body)
        except ValueError:
            return ["a body that is not JSON"]
        if response.status_code >= 400 and not (
                document.get("status") == response.status_code
                and isinstance(document.get("detail"), str) and document["detail"]):
            return [f"an error without status and detail: {document!r}"]
        return []

    def _ndjson_problems(self, case, body: bytes) -> list[str]:
        validator = Draft202012Validator(self.items[case.operation.path],
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        problems = []
        for number, line in enumerate(body.decode().splitlines(), start=1):
            errors = [e.message for e in validator.iter_errors(json.loads(line))]
            problems += [f"line {number}: {message}" for message in errors[:3]]
        return problems
