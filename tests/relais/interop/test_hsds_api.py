"""The read-only HSDS 3 API: pages in the HSDS shape, records that validate, the same
read rights as the directory pages."""

import json
from pathlib import Path

import pytest
from django.urls import reverse
from jsonschema import Draft202012Validator

from relais.core.models import Municipality
from relais.directory import hsds
from relais.directory.models import Category
from relais.directory.services import create_service
from tests.factories import OrganisationFactory
from tests.helpers import SIGNED_IN_QUERIES

pytestmark = pytest.mark.django_db

COMPILED = Path(__file__).resolve().parents[2] / "fixtures" / "hsds3" / "schema" / "compiled"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
             "empty", "contents"}


def validator(name):
    schema = json.loads((COMPILED / f"{name}.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def listed(platform_admin, world):
    schaerbeek = Municipality.objects.get(nis_code="21015")
    organisation = OrganisationFactory(name="Soins Nord")
    return [create_service(organisation, {
        "category": Category.HOME_NURSING, "name_fr": f"Soins infirmiers {n}",
        "name_nl": f"Thuisverpleging {n}", "languages": ["fr", "nl"],
        "municipalities": [schaerbeek], "contact_phone": "+32 2 500 00 00"},
        actor=platform_admin) for n in range(30)]


def test_anonymous_callers_need_a_public_directory(client, listed, settings):
    assert client.get(reverse("interop:hsds_services")).status_code == 401
    settings.RELAIS_PUBLIC_DIRECTORY = True
    assert client.get(reverse("interop:hsds_services")).status_code == 200


def test_services_come_in_hsds_pages(client, home_nurse, listed):
    client.force_login(home_nurse)
    first = client.get(reverse("interop:hsds_services"), {"per_page": 20}).json()
    assert set(first) == PAGE_KEYS
    assert (first["total_items"], first["total_pages"], first["size"]) == (30, 2, 20)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    second = client.get(reverse("interop:hsds_services"), {"per_page": 20, "page": 2}).json()
    assert (second["page_number"], second["size"], second["last_page"]) == (2, 10, True)
    check = validator("service")
    for record in first["contents"]:
        assert list(check.iter_errors(record)) == []


def test_search_and_detail(client, home_nurse, listed):
    client.force_login(home_nurse)
    found = client.get(reverse("interop:hsds_services"), {"search": "thuisverpleging 7"}).json()
    names = {record["name"]: record["id"] for record in found["contents"]}
    # PostgreSQL matches word prefixes ("7"), SQLite substrings ("7", "17", "27").
    assert "Soins infirmiers 7" in names and set(names) <= {
        "Soins infirmiers 7", "Soins infirmiers 17", "Soins infirmiers 27"}
    service_id = names["Soins infirmiers 7"]
    detail = client.get(reverse("interop:hsds_service", args=[service_id])).json()
    assert detail["id"] == service_id and detail["organization"]["name"] == "Soins Nord"
    missing = client.get(reverse("interop:hsds_service", args=["not-a-uuid"]))
    assert missing.status_code == 404


def test_organizations_list_and_detail_validate(client, home_nurse, listed):
    client.force_login(home_nurse)
    page = client.get(reverse("interop:hsds_organizations")).json()
    assert page["total_items"] == 1
    organisation_id = page["contents"][0]["id"]
    assert organisation_id == hsds.organisation_hsds_id(listed[0].organisation)
    detail = client.get(reverse("interop:hsds_organization", args=[organisation_id])).json()
    assert len(detail["services"]) == 30
    assert list(validator("organization").iter_errors(page["contents"][0])) == []


def test_the_services_page_query_count_does_not_grow(client, home_nurse, listed,
                                                     django_assert_num_queries):
    client.force_login(home_nurse)
    # count, page (with organisation and municipality), areas and hours (3 prefetches)
    with django_assert_num_queries(SIGNED_IN_QUERIES - 1 + 5):
        response = client.get(reverse("interop:hsds_services"), {"per_page": 25})
    assert response.json()["size"] == 25
