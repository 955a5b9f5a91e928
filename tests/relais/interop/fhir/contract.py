"""Contract testing of the FHIR API with schemathesis, against its own OpenAPI document
(/fhir/openapi.json, written from the registry: interop/fhir/openapi.py), fetched from
the server as a client would.

Used by the suite (test_fhir_contract.py: a small sample, fixed seed, derandomised) and
on demand (bench/fhir_contract.py: thousands of requests over the demo care zone).

Requests go through Django's test client (in the test's transaction), each carrying a
real system client's access token (got from the token endpoint); schemathesis generates
them (hypothesis, from a seed) and checks every answer:

- `not_a_server_error`, `status_code_conformance` (the status is one the document
  declares), `content_type_conformance` and `response_schema_conformance` (the body is
  what the document says: R4's elements and types, the searchset's entries…);
- every answer but a 304 or a `return=minimal` is FHIR JSON, every error an
  OperationOutcome whose issues say what is wrong (`diagnostics`);
- no marker (a person's name, a national number) the caller may not read is in any answer.

What the data can answer: before generating, the contract searches every type once and
keeps what it found (ids, references, identifiers, names, statuses, whole resources).
Half the generated cases take those values instead of the generated ones (a path id, a
search parameter), three writes in four a body built from a resource read, so resources
are found, included and written, and checked — not only 400s and 404s.
"""

import copy
import json
from collections import Counter
from dataclasses import dataclass, field

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.relais.interop import contract_runner as runner

BASE = "http://testserver/fhir"
FHIR_JSON = "application/fhir+json"
# Reference parameters without a declared target, by name: the type they point at.
REFERENCE_TARGETS = {
    "patient": "Patient", "subject": "Patient", "encounter": "Encounter",
    "organization": "Organization", "service-provider": "Organization",
    "owner": "Organization", "performer": "Organization", "requester": "Practitioner",
    "practitioner": "Practitioner", "focus": "ServiceRequest", "location": "Location",
    "questionnaire": "Questionnaire", "agent": "Practitioner",
}
WORDS = ["Lam", "lambert", "Madeleine", "jo", "Sophie", "test", "Soins", "é", "Van"]


@dataclass
class Tally(runner.Tally):
    written: Counter = field(default_factory=Counter)  # 2xx answers to a write

    def add(self, case, status: int) -> None:
        super().add(case, status)
        if case.method in ("POST", "PUT") and status < 300 and case.operation.path != "/":
            self.written[runner.label_of(case)] += 1  # (a batch answers 200 whatever)

    def _more(self) -> list[str]:
        return [f"{sum(self.written.values())} writes made"]


@dataclass
class Known:
    """What the caller's searches found, by type (see the module)."""

    resources: dict = field(default_factory=dict)  # type -> [resource]

    def ids(self, kind: str) -> list[str]:
        return [r["id"] for r in self.resources.get(kind, [])]

    def versions(self, kind: str, id: str) -> list[str]:
        return [r["meta"]["versionId"] for r in self.resources.get(kind, [])
                if r["id"] == id and "versionId" in r.get("meta", {})]

    def values(self, kind: str, element: str) -> list:
        return [r[element] for r in self.resources.get(kind, []) if element in r]


def discover(client, types) -> Known:
    """One search of every type (as many as a page holds): what exists for this caller."""
    known = Known()
    for kind in types:
        answer = client.get(f"/fhir/{kind}", {"_count": "50"})
        if answer.status_code == 200:
            known.resources[kind] = [e["resource"] for e in answer.json().get("entry", [])
                                     if e["search"]["mode"] == "match"]
    return known


def openapi(client) -> dict:
    answer = client.get("/fhir/openapi.json")
    assert answer.status_code == 200, answer.content
    return answer.json()


class Contract(runner.ContractRunner):
    """Generates requests for every operation and checks the answers (see the module).

    `client` reads (and writes what no `writers` entry names); `writers` maps a type to
    the client that writes it (the hospital's system writes its stays, the receiving
    organisation's answers a referral)."""

    tally_class = Tally

    def __init__(self, client, *, writers=None, leaks=(), known: Known | None = None):
        super().__init__(client, leaks)
        self.writers = writers or {}
        for caller in (client, *self.writers.values()):
            # A server error is an answer to count and show, not an end to the run.
            caller.raise_request_exception = False
        self.spec = openapi(client)
        self.schema = schemathesis.openapi.from_dict(copy.deepcopy(self.spec))
        self.types = [path.strip("/") for path in self.spec["paths"]
                      if path.count("/") == 1 and path[1:2].isupper()]
        self.known = known or discover(client, self.types)
        self._raised = ""  # the exception behind the last answer, if it was a 500

    def run(self, *, examples: int, seed: int, modes=(GenerationMode.POSITIVE,),
            only=None) -> Tally:
        """`examples` generated cases per operation and mode, twice as many for a write
        (where the state changes), one for a version or a history, the same ones for a
        seed (`only`: the operations whose path is one of these)."""
        for operation in self.operations():
            if only is not None and operation.path not in only:
                continue
            writes = operation.method.upper() in ("POST", "PUT")
            # A version's read and a history are the same code for every type (only the
            # gate differs, as for the read): one case each keeps the sample's cost.
            count = 1 if "/_history" in operation.path else examples * (2 if writes else 1)
            for mode in modes:
                self._run_operation(operation, mode, count, seed)
        return self.tally

    # --- meaningful values -------------------------------------------------------------------

    def _cases(self, operation, mode):
        base = operation.as_strategy(generation_mode=mode)
        kind = operation.path.strip("/").split("/")[0]
        method = operation.method.upper()

        @st.composite
        def with_meaningful_values(draw):
            case = draw(base)
            ids = self.known.ids(kind)
            if "id" in (case.path_parameters or {}) and ids and draw(st.booleans()):
                case.path_parameters = {**case.path_parameters,
                                        "id": draw(st.sampled_from(ids))}
                versions = self.known.versions(kind, case.path_parameters["id"])
                if "vid" in case.path_parameters and versions and draw(st.booleans()):
                    case.path_parameters["vid"] = versions[0]  # the current version
            query = dict(case.query or {})
            for name in list(query):
                strategy = self._value(kind, name)
                if strategy is not None and draw(st.booleans()):
                    query[name] = draw(strategy)
            if query != (case.query or {}):
                case.query = query
            if operation.path == "/" and draw(st.integers(0, 3)):
                case.body = self._bundle_from_known(draw)
            elif method in ("POST", "PUT") and draw(st.integers(0, 3)):  # 3 in 4
                self._write_from_known(draw, kind, case, update=method == "PUT")
            return case

        return with_meaningful_values()

    def _value(self, kind: str, key: str):
        """Values the data answers to for a search parameter (None: keep the generated)."""
        name = key.partition(":")[0]
        if name == "_id":
            ids = self.known.ids(kind)
            return st.sampled_from(ids) if ids else None
        if name in ("_count", "_offset"):
            return st.integers(0, 30).map(str)
        target = REFERENCE_TARGETS.get(name)
        if target is not None:
            refs = [f"{target}/{id}" for id in self.known.ids(target)]
            bare = self.known.ids(target)
            return st.sampled_from(refs + bare) if refs else None
        if name == "identifier":
            tokens = [f"{i.get('system', '')}|{i['value']}" for r in self.known.values(
                kind, "identifier") for i in r if "value" in i]
            tokens += [token.partition("|")[2] for token in tokens]
            return st.sampled_from(tokens) if tokens else None
        if name == "status":
            statuses = sorted(set(self.known.values(kind, "status")))
            return st.sampled_from(statuses) if statuses else None
        if name in ("name", "family", "given", "address-city", "location.address-city"):
            return st.sampled_from(WORDS)
        return None

    def _write_from_known(self, draw, kind: str, case, *, update: bool) -> None:
        """A write's body made from a resource read: for an update, one of the type, its
        address the resource's own; for a create, one of the type without its id, with a
        new identifier. Its status changed or not, an element or two dropped or not.
        Nothing changes when the caller read none of that type."""
        found = self.known.resources.get(kind, [])
        if update:
            found = [r for r in found if UPDATED_HERE.get(kind, lambda r: True)(r)]
        if not found:
            return
        body = copy.deepcopy(draw(st.sampled_from(found)))
        # Headers that would make it another request (a stale version, a condition).
        case.headers = {name: value for name, value in (case.headers or {}).items()
                        if name.lower() not in ("if-match", "if-none-exist")}
        if update:
            case.path_parameters = {"id": body["id"]}
        else:
            for element in ("id", "meta", *SET_BY_THE_SERVER.get(kind, ())):
                body.pop(element, None)
            if "identifier" in body:
                body["identifier"] = [{"value": draw(st.text("ABCDEFG0123456789-", min_size=1,
                                                             max_size=12))}]
        statuses = STATUSES.get(kind)
        if statuses and draw(st.booleans()):
            body["status"] = draw(st.sampled_from(statuses))
        if draw(st.integers(0, 3)) == 0:
            dropped = draw(st.sampled_from(sorted(set(body) - {"resourceType", "id"})))
            del body[dropped]
        if kind == "Task" and body.get("status") == "rejected" and draw(st.booleans()):
            body["statusReason"] = {"coding": [{"system": "urn:relais:decline-reason",
                                                "code": draw(st.sampled_from(
                                                    ["no_capacity", "outside_area", "x"]))}]}
        case.body = body

    def _bundle_from_known(self, draw) -> dict:
        """A batch or a transaction of reads and searches of what the caller found, a
        booklet entry written, and now and then an entry that cannot succeed."""
        kinds = sorted(kind for kind, found in self.known.resources.items() if found)
        entries = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(kinds))
            id = draw(st.sampled_from(self.known.ids(kind)))
            url = draw(st.sampled_from([f"{kind}/{id}", f"{kind}?_id={id}", f"{kind}/0",
                                        f"Unknown/{id}", f"{kind}?_count=x"]))
            entries.append({"request": {"method": "GET", "url": url}})
        communications = self.known.resources.get("Communication", [])
        if communications and draw(st.booleans()):
            body = {k: v for k, v in draw(st.sampled_from(communications)).items()
                    if k not in ("id", "meta", "identifier", *SET_BY_THE_SERVER[
                        "Communication"])}
            entries.append({"fullUrl": "urn:uuid:3f4a8a5e-8d5e-4a7a-9b1e-2f7c1d3e4b5a",
                            "resource": body,
                            "request": {"method": "POST", "url": "Communication"}})
        return {"resourceType": "Bundle", "entry": draw(st.permutations(entries)),
                "type": draw(st.sampled_from(["batch", "transaction"]))}

    # --- sending and checking ----------------------------------------------------------------

    def _client_for(self, case):
        if case.method in ("POST", "PUT"):
            return self.writers.get(case.operation.path.strip("/").split("/")[0], self.client)
        return self.client

    def send(self, case) -> tuple[Response, bytes]:
        kwargs = case.as_transport_kwargs(base_url=BASE)
        prepared = requests.Request(
            method=kwargs["method"], url=kwargs["url"], params=kwargs.get("params"),
            headers=kwargs.get("headers"), json=kwargs.get("json"),
            data=kwargs.get("data")).prepare()
        headers = {name: value for name, value in prepared.headers.items()
                   if name.lower() not in ("content-length", "content-type")}
        content_type = prepared.headers.get("Content-Type", FHIR_JSON)
        body = prepared.body or b""
        answer = self._client_for(case).generic(
            prepared.method, prepared.path_url, data=body, content_type=content_type,
            headers=headers)
        error = (getattr(answer, "exc_info", None) or (None, None))[1]
        self._raised = f"{type(error).__name__}: {error}"[:300] if error else ""
        content = answer.content
        response = Response(status_code=answer.status_code,
                            headers={k.lower(): [v] for k, v in answer.items()},
                            content=content, request=prepared, elapsed=0.0, verify=True)
        return response, content

    @staticmethod
    def _checks(case, response, body: bytes) -> list:
        checks = [not_a_server_error, status_code_conformance]
        if body:  # a 304, or a write with Prefer: return=minimal, has none
            checks += [content_type_conformance, response_schema_conformance]
        return checks

    def _answer_problems(self, case, response, body: bytes) -> list[str]:
        raised = [f"raised {self._raised!r}"] if self._raised else []
        return raised + self._document_problems(case, response, body)

    def _document_problems(self, case, response, body: bytes) -> list[str]:
        if not body:
            minimal = "return=minimal" in str((case.headers or {}).get("Prefer", ""))
            expected = response.status_code == 304 or (minimal and response.status_code < 300)
            return [] if expected else [f"an empty {response.status_code} answer"]
        content_type = response.headers.get("content-type", [""])[0].split(";")[0]
        if content_type != FHIR_JSON:
            return [f"answered {content_type!r}, not {FHIR_JSON}"]
        try:
            document = json.loads(body)
        except ValueError:
            return ["a body that is not JSON"]
        if response.status_code >= 400 and not _explains(document):
            return [f"an error that is not an OperationOutcome saying why: {document!r}"]
        return []


def _explains(document) -> bool:
    return (isinstance(document, dict) and document.get("resourceType") == "OperationOutcome"
            and document.get("issue")
            and all(isinstance(i.get("diagnostics"), str) and i["diagnostics"]
                    for i in document["issue"]))


# What a created resource's author does not send: the server writes it (the client's own
# organisation as the sender, the moment it was written).
SET_BY_THE_SERVER = {"Communication": ("sender", "sent", "received")}
# The resources of a type this API updates (a follow-up contact's Task is recorded on its
# page: the generated requests still send it, and get their 422).
UPDATED_HERE = {"Task": lambda task: task["id"].startswith("referral-")}
# The statuses a write's body is given (R4's codes for the type, a few Relais refuses).
STATUSES = {
    "Encounter": ["in-progress", "finished", "cancelled", "entered-in-error", "planned",
                  "unknown"],
    "Task": ["requested", "accepted", "rejected", "in-progress", "completed", "cancelled",
             "on-hold", "draft"],
    "Communication": ["completed", "in-progress", "entered-in-error"],
}
