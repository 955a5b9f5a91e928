"""The FHIR API against its own OpenAPI document, with schemathesis (contract.py): a small
deterministic sample in the suite, as real system clients over Madeleine's record (her
network, a stay, a referral, a follow-up, a screening, a booklet entry);
bench/fhir_contract.py runs thousands."""

import dataclasses
import time

import pytest
from django.http import JsonResponse
from schemathesis import GenerationMode

from relais.booklet import services as booklet
from relais.interop.fhir import registry, views
from tests.relais.interop.fhir.contract import Contract

pytestmark = pytest.mark.django_db

SEED = 20261203
SAMPLE = 3  # cases per operation and mode (88 operations, 2 modes; 1 for the 38 vread
# and history ones): about 420 requests
# The sample's size, not its time, is what the suite keeps small (a time would fail on a
# busy CI machine): bench/fhir_contract.py prints the rate.
MOST_REQUESTS = 600
HOSPITAL_SCOPES = "system/*.rs system/Encounter.cu"
CENTRE_SCOPES = "system/*.rs system/Task.u system/Communication.c"


@pytest.fixture
def record(madeleine, stay, referral, followup, social_screening, gp):
    """Madeleine's record with something of every kind the API serves."""
    booklet.write(madeleine, author=gp, body="Visited: she walks to the kitchen again.")
    return madeleine


@pytest.fixture
def callers(api, world, record):
    """The coordination centre's system reads (it keeps her record) and answers the
    referral; the hospital's writes its stays."""
    centre = api(world.coordination_centre, allowed=CENTRE_SCOPES)
    hospital = api(world.hospital, allowed=HOSPITAL_SCOPES)
    return centre, {"Encounter": hospital, "Task": centre, "Communication": centre}


def test_a_sample_of_generated_requests_conforms(callers):
    reader, writers = callers
    started = time.process_time()
    contract = Contract(reader, writers=writers)
    tally = contract.run(examples=SAMPLE, seed=SEED,
                         modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE))
    cpu = time.process_time() - started
    print(tally.summary(), f"in {cpu:.1f} s of CPU")
    assert tally.failures == [], tally.failed()
    assert tally.server_errors == 0
    # Every operation was exercised; records were found as well as bad input refused.
    operations = sum(len(item) for item in contract.spec["paths"].values())
    assert len(tally.by_operation) == operations
    # (200s: 100 to 103 of the 380, by which ids the suite's earlier tests left taken)
    assert tally.statuses[200] > 90 and tally.statuses[400] > 20 and tally.statuses[404] > 20
    assert {"POST /Communication", "PUT /Encounter/{id}", "PUT /Task/{id}"} <= set(
        tally.written)  # writes were made, and their answers checked
    found = {kind for kind, resources in contract.known.resources.items() if resources}
    assert found == set(registry.TYPES) - {"Flag"}  # the centre is not her circle
    assert tally.requests <= MOST_REQUESTS


def test_the_same_seed_sends_the_same_requests(callers):
    reader, writers = callers
    only = {"/Patient", "/Encounter/{id}", "/CareTeam"}  # reads: the second run finds the same
    runs = [Contract(reader, writers=writers).run(examples=3, seed=SEED, only=only)
            for _ in (1, 2)]
    assert runs[0].requests == runs[1].requests and runs[0].statuses == runs[1].statuses


def test_the_checks_catch_what_they_are_for(callers, monkeypatch):
    """A resource that breaks R4, an error that is not an OperationOutcome and a name the
    caller may not read are each reported."""
    reader, writers = callers
    patient = registry.TYPES["Patient"]
    broken = patient.render

    def render(person):
        return {**broken(person), "birthDate": "02/03/1941"}

    monkeypatch.setitem(registry.TYPES, "Patient", dataclasses.replace(patient, render=render))
    monkeypatch.setattr(views, "error_response", lambda error: JsonResponse(
        {"error": error.text}, status=error.status))
    contract = Contract(reader, writers=writers, leaks=["Sophie Lambert"])
    contract.run(examples=6, seed=SEED, only={"/Patient/{id}", "/RelatedPerson"})
    found = " ".join(" ".join(problems) for _, problems in contract.tally.failures)
    assert "Response violates schema" in found and "02/03/1941" in found
    assert "answered 'application/json', not application/fhir+json" in found
    assert "shows 'Sophie Lambert'" in found

