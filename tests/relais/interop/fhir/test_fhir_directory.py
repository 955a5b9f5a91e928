"""HealthcareService and Location: the directory as the HSDS API publishes it, in FHIR.

The directory is the HSDS tests' own (tests/relais/interop/hsds/conftest.py): Soins Nord
in Schaerbeek (six home-nursing services, two meal services for the whole region, a home
help closed for now), a practice without an address, an imported organisation, and an
inactive one whose listing only its own staff still see."""

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.audit.models import AuditEvent
from relais.directory.models import Category
from relais.directory.services import create_service
from tests.factories import MembershipFactory, UserFactory
from tests.relais.interop.hsds.conftest import make_directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(platform_admin, world):
    return make_directory(platform_admin)


def _found(caller, type_name, **query) -> list[dict]:
    response = caller.get(f"/fhir/{type_name}", query)
    assert response.status_code == 200, response.content
    return [e["resource"] for e in response.json().get("entry", [])
            if e["search"]["mode"] == "match"]


def _names(resources) -> set[str]:
    return {r["name"] for r in resources}


def test_a_system_reads_the_listings_of_active_organisations(api, world, directory):
    found = _found(api(world.care_zone_team), "HealthcareService", _count=100)

    assert {int(r["id"]) for r in found} == {
        s.pk for s in directory.services if s.organisation != directory.inactive}


def test_the_staff_of_an_inactive_organisation_still_read_its_listing(client, directory):
    staff = UserFactory()
    MembershipFactory(user=staff, organisation=directory.inactive)
    client.force_login(staff)  # its system clients are refused: 401

    own = _found(client, "HealthcareService", name="centre jour")

    assert _names(own) == {"Centre de jour"}


def test_a_listing_as_a_healthcare_service(api, world, directory):
    service = directory.services[0]

    got = api(world.care_zone_team, language="nl").get(
        f"/fhir/HealthcareService/{service.pk}").json()

    assert got["name"] == "Thuisverpleging 0"  # in the caller's language
    assert got["identifier"] == [{"system": "urn:ietf:rfc:3986",
                                  "value": f"urn:uuid:{service.hsds_id}"}]
    assert got["active"] is True
    assert got["providedBy"] == {"reference": f"Organization/{directory.nord.pk}"}
    assert got["category"][0]["coding"][0]["code"] == "home_nursing"
    assert got["location"] == [{"reference": f"Location/{directory.nord.pk}"}]
    assert got["telecom"] == [{"system": "phone", "value": "+32 2 500 00 00", "use": "work"},
                              {"system": "email", "value": "amina@nord.example",
                               "use": "work"}]
    assert [c["coding"][0]["code"] for c in got["communication"]] == ["fr", "nl"]
    assert [t["daysOfWeek"] for t in got["availableTime"]] == [
        ["mon"], ["tue"], ["wed"], ["thu"], ["fri"]]
    assert got["availableTime"][0]["availableStartTime"] == "08:00:00"
    assert [a["display"] for a in got["coverageArea"]] == [
        "Schaerbeek / Schaarbeek", "Nord-Est / Noord-Oost"]
    assert got["meta"]["versionId"] == str(service.version)


def test_a_place_as_a_location(api, world, directory):
    got = api(world.care_zone_team).get(f"/fhir/Location/{directory.nord.pk}").json()

    assert got["name"] == "Soins Nord"
    assert got["status"] == "active"
    assert got["address"] == {"line": ["Rue Royale Sainte-Marie 1"], "city": "Schaerbeek",
                              "postalCode": "1030", "use": "work", "country": "BE"}
    assert got["managingOrganization"] == {"reference": f"Organization/{directory.nord.pk}"}


def test_locations_are_the_places_of_organisations_offering_a_listing(api, world,
                                                                     directory):
    caller = api(world.care_zone_team)

    found = {int(r["id"]) for r in _found(caller, "Location")}

    # not the practice without an address, not the inactive organisation, not the
    # world's organisations (no listing)
    assert found == {directory.nord.pk, directory.imported.pk}
    assert caller.get(f"/fhir/Location/{directory.no_address.pk}").status_code == 404
    assert caller.get(f"/fhir/Location/{world.hospital.pk}").status_code == 404


@pytest.mark.parametrize("query, expected", [
    ({"name": "thuisverpleging 3"}, {"Soins infirmiers 3"}),
    ({"name:exact": "OCMW"}, {"CPAS"}),
    ({"service-category": "meals"}, {"Warme maaltijden 0", "Warme maaltijden 1"}),
    ({"service-category": "urn:relais:service-category|gp"}, {"Médecin 0", "Médecin 1"}),
    ({"active": "false"}, {"Aide familiale"}),
    ({"location.address-postalcode": "1200"}, {"CPAS"}),
    ({"location.address-city": "schaar", "service-category": "home_help"},
     {"Aide familiale"}),
])
def test_search_listings(query, expected, api, world, directory):
    found = _found(api(world.care_zone_team, language="fr"), "HealthcareService", **query)

    assert _names(found) == expected


def test_search_by_organisation_location_and_area(api, world, directory):
    caller = api(world.care_zone_team)
    nord = {s.pk for s in directory.services if s.organisation == directory.nord}

    def ids(**query):
        return {int(r["id"]) for r in _found(caller, "HealthcareService", _count=100,
                                             **query)}

    assert ids(organization=f"Organization/{directory.nord.pk}") == nord
    assert ids(location=f"Location/{directory.nord.pk}") == nord
    assert ids(location=f"Location/{directory.no_address.pk}") == set()
    serving_1030 = {s.pk for s in directory.services
                    if s.category in (Category.HOME_NURSING, Category.MEALS,
                                      Category.SOCIAL_SERVICE)}
    assert ids(**{"coverage-area.address-postalcode": "1030"}) == serving_1030


def test_search_locations(api, world, directory):
    caller = api(world.care_zone_team)

    assert _names(_found(caller, "Location", **{"address-postalcode": "1030"})) == {
        "Soins Nord"}
    assert _names(_found(caller, "Location", **{"address-city": "schaarbeek"})) == {
        "Soins Nord"}
    assert _names(_found(caller, "Location", name="nord")) == {"Soins Nord"}
    assert _names(_found(caller, "Location",
                         organization=f"Organization/{directory.imported.pk}")) == {
        "Importée"}


def test_the_organisation_comes_with_include(api, world, directory):
    bundle = api(world.care_zone_team).get("/fhir/HealthcareService", {
        "service-category": "meals", "_include": "HealthcareService:organization"}).json()

    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [
        ("Organization", str(directory.nord.pk))]


def test_bad_values_are_a_400(api, world, directory):
    caller = api(world.care_zone_team)

    assert caller.get("/fhir/HealthcareService", {"active": "yes"}).status_code == 400
    assert caller.get("/fhir/HealthcareService",
                      {"organization": "Patient/1"}).status_code == 400
    assert caller.get("/fhir/Location", {"organization": "x"}).status_code == 400


def test_reading_the_directory_is_not_audited(api, world, directory):
    caller = api(world.care_zone_team)
    before = AuditEvent.objects.count()

    caller.get(f"/fhir/HealthcareService/{directory.services[0].pk}")
    caller.get("/fhir/Location")

    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("type_name", ["HealthcareService", "Location"])
def test_a_search_costs_the_same_queries_for_one_or_many(type_name, api, world,
                                                         platform_admin):
    caller = api(world.care_zone_team)
    create_service(world.home_nursing, {"category": "meals", "name_fr": "Repas"},
                   actor=platform_admin)
    with CaptureQueriesContext(connection) as one:
        caller.get(f"/fhir/{type_name}")
    for organisation in (world.hospital, world.gp_practice, world.coordination_centre):
        create_service(organisation, {
            "category": "gp", "name_fr": "Encore", "languages": ["fr"],
            "serves_all_brussels": True, "hours": [(1, time(9), time(12))]},
            actor=platform_admin)

    with CaptureQueriesContext(connection) as many:
        bundle = caller.get(f"/fhir/{type_name}").json()

    assert bundle["total"] == 4
    assert len(many.captured_queries) == len(one.captured_queries)
