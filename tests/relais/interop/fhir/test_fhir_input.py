"""Bad input gets an OperationOutcome in the caller's language, and changes nothing;
searches page with next links; a search costs the same queries however many it finds."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.accounts.models import Organisation
from relais.interop.fhir import registry
from relais.interop.fhir import urls as fhir_urls
from relais.interop.fhir.identifiers import SSIN_OLD
from relais.network import services
from relais.network.models import Person
from relais.stays import services as stay_services

pytestmark = pytest.mark.django_db


def _outcome(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == code
    return outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize("body", ["{not json", json.dumps({"resourceType": "Patient"}),
                                  json.dumps({"resourceType": "Organization", "name": "X"})])
def test_writes_of_a_type_not_written_are_refused_and_change_nothing(body, api, world,
                                                                     madeleine):
    caller = api(world.coordination_centre)
    organisations = Organisation.objects.count()

    response = caller.post("/fhir/Organization", body, content_type="application/fhir+json")

    assert _outcome(response, 405, "not-supported") == (
        "POST is not allowed at this address: use GET, HEAD.")
    assert response["Allow"] == "GET, HEAD"
    assert Organisation.objects.count() == organisations


def test_an_unknown_parameter_is_ignored_with_a_warning(api, world, madeleine):
    bundle = api(world.coordination_centre).get("/fhir/Patient", {"colour": "blue",
                                                                  "family": "lambert"}).json()

    assert bundle["total"] == 1
    warning = bundle["entry"][-1]
    assert warning["search"]["mode"] == "outcome"
    assert "colour" in warning["resource"]["issue"][0]["diagnostics"]
    assert "colour" not in bundle["link"][0]["url"]  # the search as it was understood


def test_strict_handling_refuses_an_unknown_parameter(api, world, madeleine):
    response = api(world.coordination_centre).get(
        "/fhir/Patient", {"colour": "blue"}, HTTP_PREFER="return=minimal, handling=strict")

    assert _outcome(response, 400, "not-supported") == "Unknown search parameters: colour."


def test_an_invalid_ssin_is_a_400(api, world, madeleine):
    response = api(world.coordination_centre).get("/fhir/Patient",
                                                  {"identifier": "41030200245"})

    assert "not a valid national register or BIS number" in _outcome(response, 400, "invalid")


def test_the_ssin_system_without_core_is_read_too(api, world, madeleine):
    bundle = api(world.coordination_centre).get(
        "/fhir/Patient", {"identifier": f"{SSIN_OLD}|41.03.02-002.44"}).json()

    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(madeleine.pk)]


def test_another_identifier_system_finds_nobody(api, world, madeleine):
    bundle = api(world.coordination_centre).get(
        "/fhir/Patient", {"identifier": "urn:oid:1.2.3|41030200244"}).json()

    assert bundle["total"] == 0


@pytest.mark.parametrize("query, code", [
    ({"birthdate": "02/03/1941"}, "invalid"), ({"_count": "-1"}, "invalid"),
    ({"_count": "lots"}, "invalid"), ({"name:contains": "lam"}, "not-supported"),
    ({"birthdate": "1941-02-30"}, "invalid")])
def test_unreadable_values_are_a_400(query, code, api, world, madeleine):
    _outcome(api(world.coordination_centre).get("/fhir/Patient", query), 400, code)


def test_errors_speak_the_callers_language(api, world):
    caller = api(world.coordination_centre, language="fr")

    text = _outcome(caller.get("/fhir/Patient/999999"), 404, "not-found")

    assert text == "Patient/999999 n'est pas connu de ce serveur."


def test_an_unknown_type_and_xml_are_operation_outcomes(api, world):
    caller = api(world.coordination_centre)

    _outcome(caller.get("/fhir/Observation"), 404, "not-supported")
    _outcome(caller.get("/fhir/Patient", {"_format": "xml"}), 406, "not-supported")


def test_birthdate_prefixes(api, world, madeleine):
    caller = api(world.coordination_centre)

    def total(value):
        return caller.get("/fhir/Patient", {"birthdate": value}).json()["total"]

    assert [total(v) for v in ("1941-03-02", "1941-03", "1941", "ge1941-03-03",
                               "le1941-03-02", "lt1941-03-02", "gt1940")] == [1, 1, 1, 0,
                                                                              1, 0, 1]


def _more_persons(count, world, coordinator):
    for n in range(count):
        services.create_person({"first_name": f"Test{n}", "last_name": "Lambertini"},
                               actor=coordinator, organisation=world.coordination_centre)


def test_a_search_pages_with_next_links(api, world, madeleine, coordinator):
    _more_persons(4, world, coordinator)
    caller = api(world.coordination_centre)

    first = caller.get("/fhir/Patient", {"family": "lamb", "_count": 2}).json()
    second = caller.get(_next(first)).json()
    last = caller.get(_next(second)).json()

    assert first["total"] == second["total"] == last["total"] == 5
    seen = [e["resource"]["id"] for page in (first, second, last) for e in page["entry"]]
    assert len(seen) == len(set(seen)) == 5
    assert _next(last) is None
    count = caller.get("/fhir/Patient", {"family": "lamb", "_summary": "count"}).json()
    assert count["total"] == 5 and "entry" not in count


def _next(bundle):
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)


@pytest.mark.parametrize("type_name", ["Patient", "CareTeam", "RelatedPerson", "Encounter",
                                       "Practitioner", "PractitionerRole", "Organization"])
def test_a_search_costs_the_same_queries_for_one_or_many(type_name, api, world, stay,
                                                         coordinator):
    caller = api(world.coordination_centre)
    with CaptureQueriesContext(connection) as one:
        caller.get(f"/fhir/{type_name}")
    _more_persons(5, world, coordinator)
    for person in Person.objects.filter(last_name="Lambertini"):
        services.add_member(person, kind="informal", name="Neighbour", relation="neighbour",
                            roles=["informal_caregiver"], actor=coordinator)
        stay_services.open_stay(person, hospital=world.hospital)
    with CaptureQueriesContext(connection) as many:
        bundle = caller.get(f"/fhir/{type_name}").json()

    assert len(many.captured_queries) == len(one.captured_queries), type_name
    assert bundle["total"] >= 1


# "²" passes str.isdigit() and int() refuses it; "٣" (Arabic-Indic three) int() takes.
# Neither is a digit of an id, a count or a version: a 400 or a 404, never a 500.
NOT_OUR_DIGITS = ("²", "٣", "1²")
assert fhir_urls.urlpatterns and registry.TYPES


@pytest.mark.parametrize("kind", sorted(registry.TYPES))  # written by importing fhir_urls
def test_digits_of_other_scripts_are_refused_not_a_server_error(kind, api, world, madeleine):
    caller = api(world.coordination_centre)
    caller.raise_request_exception = False
    asked = []
    for value in NOT_OUR_DIGITS:
        asked += [f"/fhir/{kind}/{value}", f"/fhir/{kind}/{value}/_history",
                  f"/fhir/{kind}/{madeleine.pk}/_history/{value}"]
        asked += [f"/fhir/{kind}?{name}={value}" for name in
                  ("_id", "subject", "patient", "_count", "_offset", "organization")]
    answers = {url: caller.get(url) for url in asked}

    failed = {url: answer.status_code for url, answer in answers.items()
              if answer.status_code >= 500
              or not answer["Content-Type"].startswith("application/fhir+json")}
    assert failed == {}
    assert {answer.status_code for answer in answers.values()} <= {200, 400, 404, 410}
