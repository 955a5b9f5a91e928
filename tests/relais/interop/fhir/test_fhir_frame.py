"""The frame: metadata, OperationOutcome errors in the caller's language, searchsets
with paging, reads with ETag."""

import pytest

from relais.interop.fhir import registry

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json; charset=utf-8"


def test_metadata_is_public_and_lists_every_registered_type(client):
    response = client.get("/fhir/metadata")

    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    statement = response.json()
    assert statement["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(served) == set(registry.TYPES)
    patient = served["Patient"]
    assert patient["profile"] == ("https://www.ehealth.fgov.be/standards/fhir/core/"
                                  "StructureDefinition/be-patient")
    assert [i["code"] for i in patient["interaction"]] == ["read", "search-type", "vread",
                                                       "history-instance", "create", "update"]
    assert {"identifier", "name", "birthdate"} <= {p["name"] for p in patient["searchParam"]}


def test_patient_read_and_search(api, world, madeleine):
    caller = api(world.coordination_centre)

    found = caller.get("/fhir/Patient", {"identifier": "https://www.ehealth.fgov.be/standards/"
                                                       "fhir/core/NamingSystem/ssin|41030200244"})

    assert found.status_code == 200, found.content
    bundle = found.json()
    assert bundle["total"] == 1
    patient = bundle["entry"][0]["resource"]
    assert patient["id"] == str(madeleine.pk)
    read = caller.get(f"/fhir/Patient/{madeleine.pk}")
    assert read.status_code == 200
    assert read["ETag"].startswith(f'W/"{madeleine.version}-')  # and her GP's digest
    assert read.json()["name"][0]["family"] == "Lambert"


def test_a_read_answers_304_when_the_caller_holds_that_version(api, world, madeleine):
    caller = api(world.coordination_centre)
    etag = caller.get(f"/fhir/Patient/{madeleine.pk}")["ETag"]

    again = caller.get(f"/fhir/Patient/{madeleine.pk}", HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
