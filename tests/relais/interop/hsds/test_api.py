"""The HSDS 3 API: every endpoint of the OpenAPI, its parameters and representations,
records that validate against the HSDS 3.0 schemas, JSON errors, the directory's read
rights, and pages whose query count does not grow with their length."""

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator

from relais.directory.hsds.ids import organisation_hsds_id, taxonomy_id, term_id
from relais.directory.hsds.mapping import CATEGORY_TAXONOMY, I18N, ORG_TYPE_TAXONOMY, RELAIS
from relais.directory.models import Category, Service
from relais.directory.services import confirm_still_accurate
from relais.interop.hsds import paging, views
from relais.interop.hsds.records import service_at_location_id
from relais.network import services as network
from relais.network.models import MemberKind, Role
from tests.relais.interop.hsds.contract import schema_file

pytestmark = pytest.mark.django_db

PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
             "empty", "contents"}
# A signed-in API request: session, user, memberships (no page header, so no unread count).
AUTH_QUERIES = 3


def validator(name):
    return Draft202012Validator(schema_file(name),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors_of(name, record) -> list[str]:
    return [error.message for error in validator(name).iter_errors(record)]


def get(client, name, *args, **query):
    return client.get(reverse(f"interop:{name}", args=args), query)


def ids(page) -> list[str]:
    return [record["id"] for record in page["contents"]]


@pytest.fixture
def reader(client, home_nurse):
    client.force_login(home_nurse)
    return client


# --- who reads -------------------------------------------------------------------------------

LISTS = ["hsds_services", "hsds_service_at_locations", "hsds_organizations", "hsds_taxonomies",
         "hsds_taxonomy_terms"]


@pytest.mark.parametrize("name", LISTS)
def test_anonymous_callers_need_a_public_directory(client, directory, settings, name):
    refused = get(client, name)
    assert refused.status_code == 401
    assert refused.json() == {"status": 401, "detail": "Sign in to read the directory."}
    settings.RELAIS_PUBLIC_DIRECTORY = True
    assert get(client, name).status_code == 200


def test_the_public_sees_active_services_of_active_organisations_only(client, directory,
                                                                      settings):
    settings.RELAIS_PUBLIC_DIRECTORY = True
    shown = ids(get(client, "hsds_services", per_page=100).json())
    expected = [str(s.hsds_id) for s in directory.services
                if s.status == "active" and s.organisation.is_active]
    assert sorted(shown) == sorted(expected) and len(expected) == 11
    inactive = organisation_hsds_id(directory.inactive)
    assert get(client, "hsds_organization", inactive).status_code == 404
    assert inactive not in ids(get(client, "hsds_organizations").json())


def test_signed_in_readers_see_what_the_directory_pages_show(reader, directory):
    page = get(reader, "hsds_services", per_page=100).json()
    # Every service of an active organisation, whatever its status (the directory rule).
    assert page["total_items"] == 12


def test_the_about_endpoint_is_open_and_names_the_version(client):
    about = get(client, "hsds_about").json()
    assert about == {"version": "3.0", "openapi_url": "https://raw.githubusercontent.com/"
                     "openreferral/specification/3.0/schema/openapi.json"}


# --- paging ----------------------------------------------------------------------------------


def test_lists_come_in_hsds_pages(reader, directory):
    first = get(reader, "hsds_services", per_page=5).json()
    assert set(first) == PAGE_KEYS
    assert (first["total_items"], first["total_pages"], first["page_number"], first["size"]) == (
        12, 3, 1, 5)
    assert (first["first_page"], first["last_page"], first["empty"]) == (True, False, False)
    last = get(reader, "hsds_services", per_page=5, page=3).json()
    assert (last["page_number"], last["size"], last["first_page"], last["last_page"]) == (
        3, 2, False, True)
    walked = ids(first) + ids(get(reader, "hsds_services", per_page=5, page=2).json()) + ids(last)
    assert len(set(walked)) == 12


def test_a_page_past_the_last_is_empty_not_an_error(reader, directory):
    page = get(reader, "hsds_services", per_page=5, page=99).json()
    assert (page["page_number"], page["size"], page["contents"]) == (99, 0, [])
    assert (page["total_items"], page["last_page"], page["empty"]) == (12, True, False)


@pytest.mark.parametrize("page", [1, 2, 3, 4])  # 4: past the last, among the kept pages
def test_kept_pages_answer_what_the_ordinary_query_answers(reader, directory, monkeypatch,
                                                           page):
    kept_answer = get(reader, "hsds_services", per_page=5, page=page).json()
    monkeypatch.setattr(views, "KEPT_PAGES", 0)
    assert get(reader, "hsds_services", per_page=5, page=page).json() == kept_answer
    assert kept_answer["total_items"] == 12


def test_nothing_found_is_an_empty_page(reader, directory):
    page = get(reader, "hsds_services", search="zzzz").json()
    assert (page["total_items"], page["total_pages"], page["empty"], page["size"]) == (
        0, 0, True, 0)


@pytest.mark.parametrize(("query", "parameter"), [
    ({"page": "0"}, "page"), ({"page": "two"}, "page"), ({"per_page": "101"}, "per_page"),
    ({"per_page": "-1"}, "per_page"), ({"full": "yes"}, "full"),
    ({"organization_id": "Soins Nord"}, "organization_id"),
    ({"modified_after": "yesterday"}, "modified_after"),
    ({"format": "xml"}, "format"), ({"organisation_id": "x"}, "organisation_id"),
    ({"search": "a" * 201}, "search"), ({"search": "soins\x00"}, "search"),
    ({"minimal": "true", "full": "true"}, "minimal"),
])
def test_bad_parameters_are_a_json_400_naming_them(reader, directory, query, parameter):
    response = get(reader, "hsds_services", **query)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["detail"] == (
        "Some parameters of this request are not valid.")
    assert [error["parameter"] for error in body["errors"]] == [parameter]


def test_every_bad_parameter_is_named_at_once_in_the_readers_language(reader, home_nurse,
                                                                      directory):
    home_nurse.language = "fr"
    home_nurse.save()
    body = get(reader, "hsds_services", page="0", modified_after="hier", colour="blue").json()
    assert {e["parameter"]: e["detail"] for e in body["errors"]} == {
        "colour": "Ce paramètre n'est pas de ceux que ce point d'accès accepte (search, page, "
                  "per_page, format, taxonomy_term_id, taxonomy_id, organization_id, "
                  "modified_after, full, minimal).",
        "page": "Donnez un nombre entier de 1 ou plus.",
        "modified_after": "Donnez une date et une heure en ISO 8601, par exemple "
                          "2025-03-01T08:00:00+01:00.",
    }
    assert body["detail"] == "Certains paramètres de cette demande ne sont pas valables."


def test_minimal_records_may_come_a_thousand_a_page(reader, directory):
    page = get(reader, "hsds_services", minimal="true", per_page=1000).json()
    assert page["size"] == 12
    assert get(reader, "hsds_services", per_page=1000).status_code == 400


# --- representations -------------------------------------------------------------------------


def test_a_services_list_holds_one_to_one_fields(reader, directory):
    record = get(reader, "hsds_services", search="soins infirmiers 3").json()["contents"][0]
    assert not [key for key, value in record.items() if isinstance(value, list)]
    assert record["organization"]["name"] == "Soins Nord"
    assert "locations" not in record["organization"]
    assert record["name"] == "Soins infirmiers 3"
    assert record["alternate_name"] == "Thuisverpleging 3"
    assert record["last_modified"].endswith("Z")
    assert errors_of("compiled/service_list.json", record) == []


def test_full_services_are_nested_as_the_compiled_schema(reader, directory):
    page = get(reader, "hsds_services", full="true", per_page=100).json()
    for record in page["contents"]:
        assert errors_of("compiled/service.json", record) == []
    nursing = next(r for r in page["contents"] if r["name"] == "Soins infirmiers 0")
    assert [area["extent"] for area in nursing["service_areas"]] == [
        "NIS 21015", "CARE-ZONE north-east"]
    assert nursing["schedules"][0]["byday"] == "MO,TU,WE,TH,FR"
    assert nursing["organization"]["locations"][0]["addresses"][0]["postal_code"] == "1030"
    at = nursing["service_at_locations"][0]
    assert at["id"] == service_at_location_id(nursing["id"])
    assert at["location_id"] == nursing["organization"]["locations"][0]["id"]


def test_minimal_services_are_id_and_last_modified(reader, directory):
    record = get(reader, "hsds_services", minimal="true").json()["contents"][0]
    assert set(record) == {"id", "name", "status", "last_modified"}
    assert errors_of("compiled/service_list.json", record) == []


def test_a_service_in_detail_is_fully_nested(reader, directory):
    service = directory.services[0]
    record = get(reader, "hsds_service", service.hsds_id).json()
    assert record["id"] == str(service.hsds_id)
    assert record["organization"]["id"] == organisation_hsds_id(directory.nord)
    assert {a["taxonomy_term"]["code"] for a in record["attributes"]} >= {"home_nursing"}
    assert errors_of("compiled/service.json", record) == []


def test_organizations_list_detail_and_full(reader, directory):
    page = get(reader, "hsds_organizations").json()
    assert [r["name"] for r in page["contents"]] == [
        "Cabinet sans adresse", "Importée", "Soins Nord"]
    assert not [k for r in page["contents"] for k, v in r.items() if isinstance(v, list)]
    for record in page["contents"]:
        assert errors_of("compiled/organization_list.json", record) == []
    nord = organisation_hsds_id(directory.nord)
    detail = get(reader, "hsds_organization", nord).json()
    assert len(detail["services"]) == 9 and "attributes" not in detail["services"][0]
    assert errors_of("compiled/organization.json", detail) == []
    full = get(reader, "hsds_organization", nord, full_service="true").json()
    assert "attributes" in full["services"][0]
    assert errors_of("compiled/organization.json", full) == []
    nested = get(reader, "hsds_organizations", full="true").json()["contents"]
    assert [len(r["services"]) for r in nested] == [2, 1, 9]
    for record in nested:
        assert errors_of("compiled/organization.json", record) == []


def test_organisations_are_found_by_each_kind_of_id(reader, directory):
    # A stored HSDS id, one derived from the KBO number, one from the primary key.
    for organisation in (directory.imported, directory.nord, directory.no_address):
        found = get(reader, "hsds_organization", organisation_hsds_id(organisation)).json()
        assert found["name"] == organisation.name


# --- services at locations -------------------------------------------------------------------


def test_services_at_locations_are_services_at_their_organisations_place(reader, directory):
    page = get(reader, "hsds_service_at_locations", per_page=100).json()
    # Not the two GP services: their organisation has no address.
    assert page["total_items"] == 10
    record = page["contents"][0]
    service = Service.objects.get(hsds_id=record["service_id"])
    assert record["id"] == service_at_location_id(service.hsds_id) != str(service.hsds_id)
    assert record["location"]["external_identifier"] == "21015"
    assert "addresses" not in record["location"] and "attributes" not in record["service"]
    assert errors_of("compiled/service_at_location_list.json", record) == []
    detail = get(reader, "hsds_service_at_location", record["id"]).json()
    assert detail["service"]["id"] == record["service_id"]
    assert detail["location"]["addresses"][0]["address_1"] == "Rue Royale Sainte-Marie 1"
    assert errors_of("compiled/service_at_location.json", detail) == []
    no_place = next(s for s in directory.services if s.organisation == directory.no_address)
    assert get(reader, "hsds_service_at_location",
               service_at_location_id(no_place.hsds_id)).status_code == 404


def test_a_postcode_finds_the_services_covering_it(reader, directory):
    covering = get(reader, "hsds_service_at_locations", postcode="1030", per_page=100).json()
    names = sorted(r["service"]["name"] for r in covering["contents"])
    # Schaerbeek (1030): the nursing services serve it; meals and CPAS the whole region.
    assert names == sorted([f"Soins infirmiers {n}" for n in range(6)]
                           + ["CPAS", "Warme maaltijden 0", "Warme maaltijden 1"])
    elsewhere = get(reader, "hsds_service_at_locations", postcode="1180").json()
    assert sorted(r["service"]["name"] for r in elsewhere["contents"]) == [
        "CPAS", "Warme maaltijden 0", "Warme maaltijden 1"]
    assert get(reader, "hsds_service_at_locations", postcode="9000").json()["total_items"] == 0


def test_proximity_is_refused_with_the_reason(reader, directory):
    body = get(reader, "hsds_service_at_locations", postcode="1030", proximity="500").json()
    assert body["errors"] == [{"parameter": "proximity", "detail": (
        "Relais knows the municipalities a service covers, not where it is on a map: "
        "filter with postcode alone.")}]


# --- filters ---------------------------------------------------------------------------------


def test_taxonomy_filters(reader, directory):
    nursing = term_id(CATEGORY_TAXONOMY, Category.HOME_NURSING)
    found = get(reader, "hsds_services", taxonomy_term_id=nursing).json()
    assert found["total_items"] == 6
    dutch_names = term_id(I18N, "name", "nl")
    found = get(reader, "hsds_services", taxonomy_term_id=dutch_names).json()
    assert found["total_items"] == 9  # six nursing, two meals, the CPAS
    assert get(reader, "hsds_services", taxonomy_id=taxonomy_id(CATEGORY_TAXONOMY)
               ).json()["total_items"] == 12
    # The organisation types are attributes of organisations, not of services.
    assert get(reader, "hsds_services", taxonomy_id=taxonomy_id(ORG_TYPE_TAXONOMY)
               ).json()["total_items"] == 0
    assert get(reader, "hsds_services", taxonomy_term_id=str(uuid.uuid4())
               ).json()["total_items"] == 0


def test_filters_are_cumulative(reader, directory):
    meals = term_id(CATEGORY_TAXONOMY, Category.MEALS)
    nord = organisation_hsds_id(directory.nord)
    assert get(reader, "hsds_services", taxonomy_term_id=meals, organization_id=nord
               ).json()["total_items"] == 2
    imported = organisation_hsds_id(directory.imported)
    assert get(reader, "hsds_services", taxonomy_term_id=meals, organization_id=imported
               ).json()["total_items"] == 0


def test_organization_id_takes_every_kind_of_id(reader, directory):
    for organisation, count in ((directory.nord, 9), (directory.no_address, 2),
                                (directory.imported, 1)):
        page = get(reader, "hsds_services", organization_id=organisation_hsds_id(organisation))
        assert page.json()["total_items"] == count


def test_modified_after_follows_the_service_and_its_organisation(reader, directory):
    long_ago = timezone.now() - timedelta(days=30)
    Service.objects.update(updated_at=long_ago)
    type(directory.nord).objects.update(updated_at=long_ago)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert get(reader, "hsds_services", modified_after=since).json()["total_items"] == 0
    Service.objects.filter(pk=directory.services[-2].pk).update(updated_at=timezone.now())
    type(directory.nord).objects.filter(pk=directory.no_address.pk).update(
        updated_at=timezone.now())
    changed = get(reader, "hsds_services", modified_after=since).json()
    assert sorted(r["name"] for r in changed["contents"]) == ["CPAS", "Médecin 0", "Médecin 1"]
    # A date alone is its midnight in Brussels; so is a time without an offset.
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert get(reader, "hsds_services", modified_after=day).json()["total_items"] == 3
    assert get(reader, "hsds_service_at_locations", modified_after=day
               ).json()["total_items"] == 1


# --- taxonomies --------------------------------------------------------------------------------


def test_taxonomies_and_their_terms(reader, directory):
    taxonomies = get(reader, "hsds_taxonomies").json()
    assert [t["name"] for t in taxonomies["contents"]] == [
        CATEGORY_TAXONOMY, ORG_TYPE_TAXONOMY, RELAIS, I18N]
    for record in taxonomies["contents"]:
        assert errors_of("taxonomy.json", record) == []
        assert get(reader, "hsds_taxonomy", record["id"]).json() == record
    categories = get(reader, "hsds_taxonomy_terms", taxonomy_id=taxonomy_id(CATEGORY_TAXONOMY),
                     per_page=100).json()
    assert categories["total_items"] == len(Category.values)
    for record in categories["contents"]:
        assert errors_of("taxonomy_term.json", record) == []
        assert record["taxonomy_detail"]["name"] == CATEGORY_TAXONOMY
    found = get(reader, "hsds_taxonomy_terms", search="Palliative").json()
    assert [(t["taxonomy"], t["code"]) for t in found["contents"]] == [
        (CATEGORY_TAXONOMY, "palliative")]
    assert get(reader, "hsds_taxonomy_terms", parent_id=str(uuid.uuid4())
               ).json()["total_items"] == 0


def test_every_attribute_of_a_record_points_at_a_listed_term(reader, directory):
    listed = {t["id"]: t for t in get(reader, "hsds_taxonomy_terms", per_page=100
                                      ).json()["contents"]}
    record = get(reader, "hsds_service", directory.services[0].hsds_id).json()
    organisation = record["organization"]
    for attribute in record["attributes"] + organisation["attributes"]:
        term = attribute["taxonomy_term"]
        assert attribute["taxonomy_term_id"] == term["id"]
        assert listed[term["id"]]["taxonomy_id"] == term["taxonomy_id"]
        assert get(reader, "hsds_taxonomy_term", term["id"]).json()["name"] == term["name"]


# --- errors ------------------------------------------------------------------------------------


NOBODY = "0b7d4a4e-3f0c-4c39-9d3e-6a2f1b9c8e11"  # a UUID nothing has


@pytest.mark.parametrize("path", [
    "/hsds/services/not-a-uuid", f"/hsds/services/{NOBODY}", f"/hsds/organizations/{NOBODY}",
    f"/hsds/taxonomies/{NOBODY}", f"/hsds/taxonomy_terms/{NOBODY}",
    f"/hsds/service_at_locations/{NOBODY}",
    "/hsds/locations", "/hsds/services/", "/hsds/services/x/y",
])
def test_not_found_is_json(reader, directory, path):
    response = reader.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": 404, "detail": (
        "Nothing here: no such object, or not one you may read.")}


def test_other_methods_are_a_json_405_and_change_nothing(reader, directory):
    before = Service.objects.count()
    for method in ("post", "put", "delete", "patch"):
        response = getattr(reader, method)(reverse("interop:hsds_services"))
        assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
        assert response.json()["detail"] == "The HSDS API is read-only: use GET."
    assert Service.objects.count() == before
    assert reader.head(reverse("interop:hsds_services")).status_code == 200


# --- NDJSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "query", "schema", "count"), [
    ("hsds_services", {}, "compiled/service_list.json", 12),
    ("hsds_services", {"full": "true"}, "compiled/service.json", 12),
    ("hsds_service_at_locations", {}, "compiled/service_at_location_list.json", 10),
    ("hsds_organizations", {"full_service": "true"}, "compiled/organization.json", 3),
    ("hsds_taxonomy_terms", {}, "taxonomy_term.json", 48),
])
def test_ndjson_streams_every_record(reader, directory, name, query, schema, count):
    response = get(reader, name, format="ndjson", **query)
    assert response["Content-Type"] == "application/x-ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == count
    for line in lines:
        assert errors_of(schema, json.loads(line)) == []


# --- query counts ------------------------------------------------------------------------------

# (endpoint, query, queries on top of AUTH_QUERIES): count + rows, + prefetches if nested.
PAGES = [
    ("hsds_services", {}, 2),
    ("hsds_services", {"minimal": "true"}, 2),
    ("hsds_services", {"full": "true"}, 5),  # + areas, zones, hours
    ("hsds_services", {"search": "soins", "taxonomy_id": taxonomy_id(CATEGORY_TAXONOMY),
                       "modified_after": "2020-01-01"}, 2),
    ("hsds_service_at_locations", {}, 2),
    ("hsds_service_at_locations", {"full": "true"}, 5),
    ("hsds_service_at_locations", {"postcode": "1030"}, 3),  # + the postcode's places
    ("hsds_organizations", {}, 2),
    ("hsds_organizations", {"full": "true"}, 3),  # + their services
    ("hsds_organizations", {"full_service": "true"}, 6),  # + the services' nested rows
    ("hsds_taxonomies", {}, 0),
    ("hsds_taxonomy_terms", {}, 0),
]


@pytest.mark.parametrize(("name", "query", "extra"), PAGES)
def test_a_page_costs_the_same_queries_however_long(reader, directory,
                                                    django_assert_num_queries, name, query,
                                                    extra):
    for per_page in (1, 10):
        with django_assert_num_queries(AUTH_QUERIES + extra):
            response = get(reader, name, per_page=per_page, **query)
        assert response.status_code == 200
        assert response.json()["size"] == min(per_page, response.json()["total_items"])


@pytest.mark.parametrize(("name", "extra"), [
    ("hsds_service", 4), ("hsds_service_at_location", 4), ("hsds_organization", 4),
])
def test_a_record_costs_a_fixed_number_of_queries(reader, directory, django_assert_num_queries,
                                                  name, extra):
    first = {"hsds_service": str(directory.services[0].hsds_id),
             "hsds_service_at_location": service_at_location_id(directory.services[0].hsds_id),
             "hsds_organization": organisation_hsds_id(directory.nord)}[name]
    with django_assert_num_queries(AUTH_QUERIES + extra):
        assert get(reader, name, first).status_code == 200


def test_ndjson_queries_grow_with_chunks_not_records(reader, directory,
                                                     django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(paging, "CHUNK", 5)  # 12 services: three chunks
    # One query read in chunks (a cursor), and three prefetches a chunk.
    with django_assert_num_queries(AUTH_QUERIES + 1 + 3 * 3):
        response = get(reader, "hsds_services", format="ndjson", full="true")
        assert len(b"".join(response.streaming_content).splitlines()) == 12


def test_still_accurate_counts_as_a_change_for_modified_after(reader, directory,
                                                              platform_admin):
    Service.objects.update(updated_at=timezone.now() - timedelta(days=30))
    type(directory.nord).objects.update(updated_at=timezone.now() - timedelta(days=30))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    confirm_still_accurate(directory.services[0], actor=platform_admin)
    changed = get(reader, "hsds_services", modified_after=since).json()
    assert ids(changed) == [str(directory.services[0].hsds_id)]


# --- nothing about persons ---------------------------------------------------------------------


def test_no_person_shows_through_the_api_even_to_those_who_see_her(client, coordinator,
                                                                    world, directory):
    """The API is the directory: a person whose network holds a directory organisation,
    read by her coordinator (who sees her everywhere else), appears in no answer."""
    person = network.create_person(
        {"first_name": "Zoë", "last_name": "Quokkaberg", "sex": "F", "niss": "41030200244"},
        actor=coordinator, organisation=world.coordination_centre)
    network.add_member(person, kind=MemberKind.ORGANISATION, organisation=directory.nord,
                       roles=[Role.HOME_NURSE], actor=coordinator)
    client.force_login(coordinator)
    service = directory.services[0]
    fullest = {"hsds_services": "full=true", "hsds_service_at_locations": "full=true",
               "hsds_organizations": "full_service=true", "hsds_taxonomies": "",
               "hsds_taxonomy_terms": ""}
    addresses = [
        *(f"{reverse(f'interop:{name}')}?{query}&{more}" for name, query in fullest.items()
          for more in ("per_page=100", "format=ndjson", "search=Quokkaberg")),
        reverse("interop:hsds_services") + "?minimal=true&per_page=1000",
        reverse("interop:hsds_service", args=[service.hsds_id]),
        reverse("interop:hsds_service_at_location",
                args=[service_at_location_id(service.hsds_id)]),
        reverse("interop:hsds_organization", args=[organisation_hsds_id(directory.nord)]),
    ]
    for address in addresses:
        response = client.get(address)
        body = (b"".join(response.streaming_content) if response.streaming
                else response.content).decode()
        assert response.status_code == 200, address
        for marker in ("Quokkaberg", "Zo\\u00eb", "Zoë", "41030200244", "41.03.02-002.44"):
            assert marker not in body, (address, marker)
