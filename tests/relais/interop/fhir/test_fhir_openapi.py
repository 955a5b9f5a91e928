"""The OpenAPI document at /fhir/openapi.json: written from the registry, so it says what
the CapabilityStatement says (every type and interaction, each search parameter and
include, in both directions), and its schemas are FHIR R4's (data/r4.json is what the
R4 models of fhir.resources say) with what Relais always sends."""

import json

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from relais.interop.fhir import openapi, registry
from tests.relais.interop.fhir import r4_definitions

pytestmark = pytest.mark.django_db

# CapabilityStatement interaction -> (method, path) in the OpenAPI document.
ADDRESSES = {"read": ("get", "/{type}/{{id}}"), "search-type": ("get", "/{type}"),
             "create": ("post", "/{type}"), "update": ("put", "/{type}/{{id}}"),
             "vread": ("get", "/{type}/{{id}}/_history/{{vid}}"),
             "history-instance": ("get", "/{type}/{{id}}/_history")}
SYSTEM = {"transaction": ("post", "/"), "batch": ("post", "/")}
CONTROLS = {"_count", "_offset", "_summary", "_total", "_sort", "_elements", "_format", "_include",
            "_revinclude"}


def _capability(client) -> dict:
    return {r["type"]: r for r in client.get("/fhir/metadata").json()["rest"][0]["resource"]}


def _openapi(client) -> dict:
    response = client.get("/fhir/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_the_document_is_public_and_the_capability_statement_points_at_it(client):
    document = _openapi(client)  # no token, no session: as /metadata

    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://testserver/fhir"}]
    flow = document["components"]["securitySchemes"]["smart"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "http://testserver/fhir/auth/token"
    assert "system/Encounter.cu" in flow["scopes"] and "system/Patient.rs" in flow["scopes"]
    rest = client.get("/fhir/metadata").json()["rest"][0]
    assert rest["documentation"].endswith("http://testserver/fhir/openapi.json")


def _operations(document) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item}


def test_every_interaction_of_the_capability_statement_is_in_the_document_and_back(client):
    document = _openapi(client)
    capability = _capability(client)
    expected = {("get", "/metadata"), ("get", "/.well-known/smart-configuration")}
    rest = client.get("/fhir/metadata").json()["rest"][0]
    for interaction in rest.get("interaction", []):  # transaction, batch: POST [base]
        expected.add(SYSTEM[interaction["code"]])
    for name, served in capability.items():
        for interaction in served["interaction"]:
            method, path = ADDRESSES[interaction["code"]]
            expected.add((method, path.format(type=name)))
        for operation in served.get("operation", []):
            expected.add(("get", f"/{name}/{{id}}/${operation['name']}"))

    assert _operations(document) == expected
    assert ("post", "/Encounter") in expected and ("put", "/Encounter/{id}") in expected
    assert ("put", "/Task/{id}") in expected and ("post", "/Communication") in expected
    assert ("get", "/Patient/{id}/$everything") in expected and ("post", "/") in expected
    assert len(capability) == len(registry.TYPES) >= 18


def test_each_search_declares_the_capability_statements_parameters_and_includes(client):
    document = _openapi(client)
    for name, served in _capability(client).items():
        search = document["paths"][f"/{name}"]["get"]
        query = {p["name"]: p for p in _parameters(document, search) if p["in"] == "query"}
        own = {key.partition(":")[0] for key in query} - CONTROLS
        assert own == {p["name"] for p in served.get("searchParam", [])}, name
        for modifier in (key for key in query if ":" in key):
            base, _, code = modifier.partition(":")
            assert code in registry.TYPES[name].param(base).modifiers
        assert query.get("_include", {}).get("schema", {}).get("enum", []) == served.get(
            "searchInclude", [])
        assert query.get("_revinclude", {}).get("schema", {}).get("enum", []) == served.get(
            "searchRevInclude", [])
        assert search["security"] == [{"smart": [f"system/{name}.s"]}]


def _parameters(document, operation) -> list[dict]:
    shared = document["components"]["parameters"]
    return [shared[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
            for p in operation["parameters"]]


def test_the_r4_definitions_are_what_the_r4_models_say():
    """data/r4.json is fhir.resources 6.1's R4 models, for every type served: rewrite it
    with `python -m tests.relais.interop.fhir.r4_definitions` when a type is added."""
    written = json.loads(r4_definitions.TARGET.read_text())

    assert written == r4_definitions.definitions(r4_definitions.served_roots())
    assert set(registry.TYPES) <= set(written["types"])


def test_every_schema_is_json_schema_and_schemathesis_reads_every_operation(client):
    document = _openapi(client)
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    loaded = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) == len(_operations(document))


def _validator(document, name: str):
    registry_ = Registry().with_resource("urn:relais:fhir-openapi",
                                         DRAFT202012.create_resource(document))
    return Draft202012Validator({"$ref": f"urn:relais:fhir-openapi#/components/schemas/{name}"},
                                registry=registry_)


def test_the_schemas_hold_a_resource_to_r4_and_to_what_relais_sends(api, world, madeleine,
                                                                     client):
    document = _openapi(client)
    patient = api(world.coordination_centre).get(f"/fhir/Patient/{madeleine.pk}").json()
    validator = _validator(document, "Patient")

    assert list(validator.iter_errors(patient)) == []
    for broken in ({**patient, "birthDate": "02/03/1941"},  # not R4's date
                   {**patient, "name": patient["name"][0]},  # a list in R4
                   {**patient, "nickname": "Mado"},  # no such element
                   {**patient, "gender": "f"},  # a required binding
                   {k: v for k, v in patient.items() if k != "meta"},  # Relais sends it
                   {**patient, "resourceType": "Person"}):
        assert list(validator.iter_errors(broken)), broken


def test_a_searchset_holds_its_matches_includes_and_warnings(api, world, madeleine, stay,
                                                            client):
    document = _openapi(client)
    bundle = api(world.coordination_centre).get("/fhir/Encounter", {
        "patient": f"Patient/{madeleine.pk}", "_include": "Encounter:patient",
        "unknown": "1"}).json()
    validator = _validator(document, "EncounterSearchset")

    assert [e["search"]["mode"] for e in bundle["entry"]] == ["match", "include", "outcome"]
    assert list(validator.iter_errors(bundle)) == []
    # A match is an Encounter: the included Patient in its place is not one.
    swapped = json.loads(json.dumps(bundle))
    swapped["entry"][0]["resource"] = bundle["entry"][1]["resource"]
    assert list(validator.iter_errors(swapped))
    assert openapi.included(registry.TYPES["Encounter"]) == ["Organization", "Patient"]

