"""The HSDS API against the published HSDS 3.0 OpenAPI, with schemathesis (contract.py):
a small deterministic sample in the suite; bench/hsds_contract.py runs thousands."""

import json
import time

import pytest
from schemathesis import GenerationMode

from relais.directory.hsds.ids import organisation_hsds_id, taxonomy_id
from relais.directory.hsds.taxonomy import TAXONOMIES, all_terms
from relais.interop.hsds import records
from relais.interop.hsds.records import service_at_location_id
from tests.relais.interop.hsds.contract import (
    CORRECTED,
    PUBLISHED,
    SCHEMAS,
    Contract,
    local_openapi,
)

pytestmark = pytest.mark.django_db

SEED = 20250301
SAMPLE = 12  # cases per operation and mode (11 operations, 2 modes): about 190 requests
MOST_REQUESTS = 300  # the sample's size keeps it quick, not a time (CI machines are busy)


def known_ids(directory) -> dict:
    services = [str(s.hsds_id) for s in directory.services]
    return {
        "services": services,
        "service_at_locations": [service_at_location_id(s) for s in services],
        "organizations": [organisation_hsds_id(o) for o in (
            directory.nord, directory.no_address, directory.imported, directory.inactive)],
        "taxonomies": [taxonomy_id(name) for name in TAXONOMIES],
        "taxonomy_terms": [term.id for term in all_terms()],
    }


def test_a_sample_of_generated_requests_conforms(client, home_nurse, directory):
    client.force_login(home_nurse)
    started = time.monotonic()
    tally = Contract(client, known_ids(directory)).run(
        examples=SAMPLE, seed=SEED, modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE))
    elapsed = time.monotonic() - started
    print(tally.summary(), f"in {elapsed:.1f} s")
    assert tally.failures == []
    assert tally.server_errors == 0
    # Every operation was exercised, and found records as well as refusing bad input.
    assert len(tally.by_operation) == 11 and tally.requests > 150
    assert tally.statuses[200] > 50 and tally.statuses[400] > 20 and tally.statuses[404] > 20
    assert tally.requests <= MOST_REQUESTS


def test_the_same_seed_sends_the_same_requests(client, home_nurse, directory):
    client.force_login(home_nurse)
    runs = [Contract(client, known_ids(directory)).run(examples=3, seed=SEED) for _ in (1, 2)]
    assert runs[0].statuses == runs[1].statuses and runs[0].requests == runs[1].requests


def test_the_checks_catch_what_they_are_for(client, home_nurse, directory, monkeypatch):
    """A record that breaks the schema, an HTML error and a person's name are reported."""
    client.force_login(home_nurse)
    monkeypatch.setattr(records, "organization_list", lambda o: {"id": 7, "name": o.name})
    contract = Contract(client, known_ids(directory), leaks=["Soins Nord"])
    contract.run(examples=3, seed=SEED)
    found = " ".join(" ".join(problems) for _, problems in contract.tally.failures)
    assert "Response violates schema" in found and "Value:\n\n    7" in found
    assert "shows 'Soins Nord'" in found


def test_the_local_openapi_is_the_published_one_with_its_schemas_at_hand():
    published = json.loads((SCHEMAS / "openapi.json").read_text())
    local = local_openapi()
    assert list(local["paths"]) == list(published["paths"])
    remote = json.dumps(published["paths"]).count(PUBLISHED)
    assert remote == 10 and PUBLISHED not in json.dumps(local)  # every path but "/"
    for path, item in published["paths"].items():
        ours = json.dumps(local["paths"][path])
        # Parameters, operation ids and descriptions are the published ones.
        assert item["get"].get("parameters") == local["paths"][path]["get"].get("parameters")
        assert item["get"]["operationId"] == local["paths"][path]["get"]["operationId"]
        if path == CORRECTED[0]:
            assert "compiled_service_at_location" in ours  # the one correction
    assert set(local["components"]["schemas"]) >= {
        "Page", "compiled_service", "compiled_service_list", "compiled_organization",
        "compiled_organization_list", "compiled_service_at_location",
        "compiled_service_at_location_list", "taxonomy", "taxonomy_term"}
