"""Open Referral HSDS 3.0: export validates, import round-trips, bad files change nothing."""

import copy
import csv
import io
import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from jsonschema import Draft202012Validator

from relais.accounts.models import Organisation, OrganisationType
from relais.audit.models import AuditEvent
from relais.core.models import CareZone, Municipality
from relais.directory import hsds
from relais.directory.hsds import HsdsImportError, export_hsds, import_hsds, load_hsds_file
from relais.directory.models import Capacity, Category, Service, ServiceStatus, UrgentStart
from relais.directory.services import create_service
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

# A copy of the specification's schemas and examples (CC BY-SA 4.0, see its README).
HSDS3 = Path(__file__).resolve().parents[2] / "fixtures" / "hsds3"
EXAMPLE_SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
EXAMPLE_ORGANIZATION_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"


@pytest.fixture
def spec():
    return HSDS3


def compiled_validator(spec, name):
    schema = json.loads((spec / "schema" / "compiled" / f"{name}.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def municipality(nis):
    return Municipality.objects.get(nis_code=nis)


@pytest.fixture
def actor(db):
    return UserFactory(email="importer@test.relais.example")


@pytest.fixture
def directory(actor):
    """Two organisations (one without KBO) and three services in every shape we keep."""
    north = OrganisationFactory(
        name="Soins Nord", street="Rue Royale Sainte-Marie 12", postcode="1030",
        municipality=municipality("21015"), phone="02 242 00 00", email="info@nord.example",
        website="https://nord.example", description="Soins infirmiers 7 jours sur 7.")
    south = OrganisationFactory(name="Zorg Zuid", kbo_number="", type=OrganisationType.HOME_HELP,
                                postcode="", municipality=None)
    full = create_service(north, {
        "category": Category.HOME_NURSING, "name_fr": "Soins à domicile Schaerbeek",
        "name_nl": "Thuisverpleging Schaarbeek", "name_en": "Home nursing Schaerbeek",
        "description_fr": "Toilette, pansements, injections.",
        "description_nl": "Wassen, verbanden, inspuitingen.",
        "how_to_refer_fr": "Téléphonez la veille avant 16 h.",
        "how_to_refer_nl": "Bel de dag voordien voor 16 uur.",
        "languages": ["fr", "nl", "ar"],
        "municipalities": [municipality("21015"), municipality("21006")],
        "care_zones": [CareZone.objects.get(code="north-east")],
        "minimum_age": 18, "maximum_age": 120, "eligibility": "Adults living at home.",
        "fees": "Reimbursed by the health insurance.", "schedule": "Mon–Sun 7:00–21:00",
        "contact_name": "Amina Benali", "contact_phone": "+32 2 242 00 01",
        "contact_email": "amina@nord.example", "riziv_number": "",
        "urgent_start": UrgentStart.WITHIN_24H, "capacity": Capacity.WAITING_LIST,
        "typical_wait_days": 5, "status": ServiceStatus.ACTIVE,
    }, actor=actor)
    Service.objects.filter(pk=full.pk).update(capacity_confirmed_on=date(2026, 10, 1),
                                              verified_on=date(2026, 9, 30))
    regional = create_service(north, {
        "category": Category.MEALS, "name_nl": "Warme maaltijden",
        "serves_all_brussels": True, "status": ServiceStatus.TEMPORARILY_CLOSED,
        "capacity": Capacity.ACCEPTING,
    }, actor=actor)
    english = create_service(south, {
        "category": Category.HOME_HELP, "name_en": "Home help south", "languages": ["en"],
        "capacity": Capacity.FULL, "riziv_number": "12345678", "status": ServiceStatus.INACTIVE,
    }, actor=actor)
    return {"north": north, "south": south, "full": full, "regional": regional,
            "english": english}


def canonical(value):
    """Lists sorted, so two documents compare whatever the order of their items."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def wipe(directory):
    """Delete the services; retire the organisations so that nothing can match them.

    Organisations cannot be deleted once audit events name them (on_delete=PROTECT, and
    the log is append-only), so they get a new identity instead: a random HSDS id, no KBO
    number, another name. An import must then create its organisations anew.
    """
    Service.objects.all().delete()
    for organisation in (directory["north"], directory["south"]):
        Organisation.objects.filter(pk=organisation.pk).update(
            hsds_id=uuid.uuid4(), kbo_number="", name=f"Retired {organisation.pk}")


def state():
    return (Organisation.objects.count(), Service.objects.count(), AuditEvent.objects.count(),
            sorted(Service.objects.values_list("name_fr", "name_nl", "name_en", "version")))


def by_id(document, key, identifier):
    return next(o for o in document[key] if o["id"] == identifier)


# --- Export --------------------------------------------------------------------------------

def test_export_validates_against_the_specification_schemas(spec, directory):
    document = export_hsds()
    assert len(document["organizations"]) == 2 and len(document["services"]) == 3
    for name, key in (("organization", "organizations"), ("service", "services")):
        validator = compiled_validator(spec, name)
        for obj in document[key]:
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(obj)]
            assert errors == [], obj["id"]


def test_export_maps_relais_fields_to_hsds(directory):
    document = export_hsds()
    north = directory["north"]
    organization = by_id(document, "organizations", hsds.organisation_hsds_id(north))
    assert organization["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                f"relais:organisation:kbo:{north.kbo_number}"))
    assert organization["organization_identifiers"][0] | {"id": None} == {
        "id": None, "identifier_scheme": "BE-BCE_KBO", "identifier_type": "KBO",
        "identifier": north.kbo_number}
    location = organization["locations"][0]
    assert (location["external_identifier"], location["external_identifier_type"]) == (
        "21015", "NIS")
    assert location["addresses"][0]["postal_code"] == "1030"
    assert organization["phones"][0]["number"] == "02 242 00 00"

    service = by_id(document, "services", str(directory["full"].hsds_id))
    assert service["organization_id"] == organization["id"]
    assert service["name"] == "Soins à domicile Schaerbeek"  # French first
    assert service["alternate_name"] == "Thuisverpleging Schaarbeek / Home nursing Schaerbeek"
    assert service["application_process"] == "Téléphonez la veille avant 16 h."
    assert service["assured_date"] == "2026-09-30"
    assert service["email"] == "amina@nord.example"
    assert (service["minimum_age"], service["maximum_age"]) == (18, 120)
    assert [(lang["code"], lang["name"]) for lang in service["languages"]] == [
        ("ar", "Arabic"), ("fr", "French"), ("nl", "Dutch")]
    assert [a["extent"] for a in service["service_areas"]] == [
        "NIS 21006", "NIS 21015", "CARE-ZONE north-east"]
    assert {a["extent_type"] for a in service["service_areas"]} == {"text"}
    assert service["contacts"][0]["name"] == "Amina Benali"
    assert service["contacts"][0]["phones"] == service["phones"]
    assert service["schedules"][0]["description"] == "Mon–Sun 7:00–21:00"
    attributes = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"],
                   a["taxonomy_term"].get("language", "")): a.get("value", "")
                  for a in service["attributes"]}
    assert attributes[("relais-category", "home_nursing", "")] == ""
    assert attributes[("relais-i18n", "name", "nl")] == "Thuisverpleging Schaarbeek"
    assert attributes[("relais-i18n", "description", "nl")] == "Wassen, verbanden, inspuitingen."
    assert attributes[("relais", "capacity", "")] == "waiting_list"
    assert attributes[("relais", "urgent_start", "")] == "24h"
    assert attributes[("relais", "typical_wait_days", "")] == "5"
    assert attributes[("relais", "capacity_confirmed_on", "")] == "2026-10-01"

    regional = by_id(document, "services", str(directory["regional"].hsds_id))
    assert regional["name"] == "Warme maaltijden"  # no French name: Dutch
    assert regional["status"] == "temporarily closed"
    assert [a["extent"] for a in regional["service_areas"]] == ["NIS 04000"]
    assert "null" not in json.dumps(document)  # no None where HSDS allows no null


def test_an_organisation_without_kbo_gets_a_stable_id(directory):
    south = directory["south"]
    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, f"relais:organisation:pk:{south.pk}"))
    assert hsds.organisation_hsds_id(south) == expected
    assert export_hsds() == export_hsds()
    organization = by_id(export_hsds(), "organizations", expected)
    assert "organization_identifiers" not in organization and "locations" not in organization
    assert organization["description"] == ""  # required by HSDS, so kept even when empty


def test_the_embedded_schema_matches_the_specification(spec):
    """hsds.SCHEMA_OBJECTS (what import validates with) is HSDS 3.0, field for field."""
    extras = {("organization", "services"), ("service_at_location", "service")}
    for kind in hsds.SCHEMA_OBJECTS:
        official = json.loads((spec / "schema" / f"{kind}.json").read_text())
        assert hsds.schema_table(kind) == official["path"]
        assert hsds.schema_required(kind) == official["required"], kind
        ours = dict(hsds.schema_fields(kind))
        children = hsds.schema_children(kind)
        expected_children = {}
        for name, prop in official["properties"].items():
            if prop.get("type") == "array":
                expected_children[name] = prop["items"]["$ref"].removesuffix(".json")
            elif "$ref" in prop:
                expected_children[name] = prop["$ref"].removesuffix(".json")
            else:
                assert name in ours, (kind, name)
                kind_of = ours[name]
                assert (prop["type"] == "number") == (kind_of == "number"), (kind, name)
                our_format = kind_of if kind_of in {"uuid", "email", "uri", "date-time"} else None
                assert prop.get("format") == our_format, (kind, name)
                if prop.get("datapackage_type") in {"date", "time"}:
                    assert kind_of == prop["datapackage_type"], (kind, name)
                assert prop.get("enum") == hsds.SCHEMA_ENUMS.get((kind, name)), (kind, name)
        assert list(ours) == [n for n in official["properties"] if n not in expected_children]
        assert {k: v for k, v in children.items() if (kind, k) not in extras} == (
            expected_children), kind


def test_the_embedded_schema_accepts_the_specification_examples(spec):
    for example, kind in (("service_full", "service"), ("organization_full", "organization"),
                          ("service_at_location_full", "service_at_location")):
        obj = json.loads((spec / "examples" / f"{example}.json").read_text())
        assert hsds.schema_problems(kind, obj, example) == []
    assert hsds.schema_problems("service", {"id": "x", "name": 3}, "s") == [
        "s: 'status' is a required property", "s.id: 'x' is not a 'uuid'",
        "s.name: 3 is not of type 'string'"]


# --- Import: round trip and updates -----------------------------------------------------------

def test_round_trip_export_wipe_import_export_is_identical(directory, actor):
    before = export_hsds()
    wipe(directory)
    assert Service.objects.count() == 0

    report = import_hsds(copy.deepcopy(before), actor=actor)

    assert report.counts() == {"organizations": {"created": 2, "updated": 0, "unchanged": 0},
                               "services": {"created": 3, "updated": 0, "unchanged": 0}}
    assert report.notes == []
    assert canonical(export_hsds()) == canonical(before)
    full = Service.objects.get(hsds_id=directory["full"].hsds_id)
    assert (full.name_fr, full.name_nl, full.name_en) == (
        "Soins à domicile Schaerbeek", "Thuisverpleging Schaarbeek", "Home nursing Schaerbeek")
    assert full.how_to_refer_nl == "Bel de dag voordien voor 16 uur."
    assert full.category == Category.HOME_NURSING and full.capacity == Capacity.WAITING_LIST
    assert full.verified_on == date(2026, 9, 30) and full.verified_by is None
    assert "schaarbeek" in full.search_text and "thuisverpleging" in full.search_text
    assert Organisation.objects.get(name="Zorg Zuid").hsds_id is not None
    assert Organisation.objects.count() == 4  # two retired, two imported
    event = AuditEvent.objects.filter(action="directory.import").get()
    assert event.actor == actor
    assert event.detail["services"] == {"created": 3, "updated": 0, "unchanged": 0}


def test_reimport_updates_instead_of_duplicating(directory, actor):
    document = export_hsds()
    report = import_hsds(document, actor=actor)
    assert report.counts()["services"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert report.counts()["organizations"] == {"created": 0, "updated": 2, "unchanged": 0}

    full = by_id(document, "services", str(directory["full"].hsds_id))
    full["name"] = "Soins infirmiers Schaerbeek"  # edited outside Relais: the French name
    full["status"] = "inactive"
    report = import_hsds(document, actor=actor)

    assert report.counts()["services"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert report.counts()["organizations"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert Service.objects.count() == 3 and Organisation.objects.count() == 2
    service = Service.objects.get(pk=directory["full"].pk)
    assert service.name_fr == "Soins infirmiers Schaerbeek"
    assert service.name_nl == "Thuisverpleging Schaarbeek"
    assert service.status == ServiceStatus.INACTIVE
    assert service.version == directory["full"].version + 1


def test_an_organisation_is_matched_on_its_kbo_number(directory, actor):
    document = export_hsds()
    north = by_id(document, "organizations", hsds.organisation_hsds_id(directory["north"]))
    other_id = str(uuid.uuid4())
    for service in document["services"]:
        if service["organization_id"] == north["id"]:
            service["organization_id"] = other_id
    north["id"] = other_id  # another source, its own ids, the same enterprise
    north["name"] = "Soins Nord asbl"

    report = import_hsds(document, actor=actor)

    assert report.counts()["organizations"]["created"] == 0
    organisation = Organisation.objects.get(pk=directory["north"].pk)
    assert organisation.name == "Soins Nord asbl" and str(organisation.hsds_id) == other_id
    assert "asbl" in Service.objects.get(pk=directory["full"].pk).search_text


# --- Import: the specification's examples ------------------------------------------------------

EXAMPLES = ["service_full.json", "service_list.json", "organization_full.json",
            "service_at_location_full.json", "service_at_location_list.json", "tabular.json",
            "csv"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_specification_examples_import(spec, actor, name):
    report = import_hsds(load_hsds_file(spec / "examples" / name), actor=actor)

    assert report.counts()["services"]["created"] == 1
    assert report.counts()["organizations"]["created"] == 1
    service = Service.objects.get(hsds_id=EXAMPLE_SERVICE_ID)
    assert str(service.organisation.hsds_id) == EXAMPLE_ORGANIZATION_ID
    assert service.name_fr == "Community Counselling"  # no translations: taken as French
    assert service.category == Category.SOCIAL_SERVICE
    assert service.minimum_age == 12 and service.verified_on == date(2005, 1, 1)
    assert service.contact_email == "email@example.com"
    assert service.organisation.type == OrganisationType.OTHER
    assert any("no Relais category" in note for note in report.notes)
    assert any(n.startswith("services: HSDS fields Relais does not keep") for n in report.notes)
    if "list" not in name:  # list pages carry a summary of each service only
        assert service.languages == " ur "
        assert service.contact_phone == "+44 1234 234567"
        assert service.contact_name == "Ann Persona"
        assert service.schedule.startswith("The service is available from 10 am to 6pm")
        assert any("service_areas[0]: not a Brussels municipality" in n for n in report.notes)
    # and again: the same records, updated in place
    import_hsds(load_hsds_file(spec / "examples" / name), actor=actor)
    assert Service.objects.count() == 1 and Organisation.objects.count() == 1


def test_an_organization_list_imports_organisations_only(spec, actor):
    report = import_hsds(load_hsds_file(spec / "examples" / "organization_list.json"),
                         actor=actor)
    assert report.counts()["organizations"]["created"] == 1
    organisation = Organisation.objects.get(hsds_id=EXAMPLE_ORGANIZATION_ID)
    assert (organisation.name, organisation.email) == (
        "Example Organization Inc.", "email@example.com")
    assert Service.objects.count() == 0


def test_english_text_can_be_imported_as_english(spec, actor):
    import_hsds(load_hsds_file(spec / "examples" / "service_full.json"), actor=actor,
                language="en")
    service = Service.objects.get(hsds_id=EXAMPLE_SERVICE_ID)
    assert (service.name_fr, service.name_en) == ("", "Community Counselling")


@pytest.mark.parametrize("name", ["taxonomy.json", "taxonomy_list.json", "base.json"])
def test_files_without_organizations_or_services_are_refused(spec, name):
    with pytest.raises(HsdsImportError) as error:
        load_hsds_file(spec / "examples" / name)
    assert "not an HSDS organization, service or service_at_location" in str(error.value)


# --- Import: refused documents change nothing ----------------------------------------------------

def new_ids(document):
    """The same records under new ids: importing them would create everything anew."""
    text = json.dumps(document)
    for obj in document["organizations"] + document["services"]:
        text = text.replace(obj["id"], str(uuid.uuid4()))
    document = json.loads(text)
    for organization in document["organizations"]:
        organization.pop("organization_identifiers", None)  # no KBO match either
    return document


def attribute(service, code):
    return next(a for a in service["attributes"] if a["taxonomy_term"]["code"] == code)


def soins_first(document):
    """The full service (areas, ages, attributes…) as services[0]."""
    full = next(s for s in document["services"] if s["name"].startswith("Soins"))
    document["services"].remove(full)
    document["services"].insert(0, full)
    return document


REFUSED = {
    "schema": (lambda d: d["services"][1].update(status="open"),
               "services[1].status: 'open' is not one of ['active', 'inactive', 'defunct', "
               "'temporarily closed']"),
    "not a uuid": (lambda d: d["services"][2].update(id="service-3"),
                   "services[2].id: 'service-3' is not a 'uuid'"),
    "language": (lambda d: d["services"][0]["languages"][0].update(code="arabe"),
                 "services[0].languages[0].code: 'arabe' is not an ISO 639 language code"),
    "organisation": (lambda d: d["services"][2].update(
                         organization_id="5b0e3a3c-4f0e-4c38-9a53-0c0b1f4c1d2e"),
                     "services[2].organization_id: no organization "
                     "5b0e3a3c-4f0e-4c38-9a53-0c0b1f4c1d2e in the file or in Relais"),
    "municipality": (lambda d: d["services"][0]["service_areas"][0].update(extent="NIS 99999"),
                     "services[0].service_areas[0].extent: no Brussels municipality has NIS "
                     "code 99999"),
    "zone": (lambda d: d["services"][0]["service_areas"][2].update(extent="CARE-ZONE nowhere"),
             "services[0].service_areas[2].extent: no care zone has the code 'nowhere'"),
    "age": (lambda d: d["services"][0].update(maximum_age=12),
            "services[0].maximum_age: The maximum age cannot be below the minimum age."),
    "email": (lambda d: d["services"][0].update(email="amina@"),
              "services[0].email: Enter a valid email address."),
    "capacity": (lambda d: attribute(d["services"][0], "capacity").update(value="plenty"),
                 "services[0].attributes[8].value: 'plenty' is not one of 'accepting', "
                 "'waiting_list', 'full'"),
    "kbo": (lambda d: d["organizations"][0].setdefault("organization_identifiers", []).append(
                {"id": str(uuid.uuid4()), "identifier_scheme": "BE-BCE_KBO",
                 "identifier_type": "KBO", "identifier": "0403.019.262"}),
            "organizations[0].organization_identifiers[0].identifier: 0403.019.262 is not a "
            "valid KBO/BCE enterprise number"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_document_changes_nothing_and_says_where(directory, actor, case):
    """New ids, so that without the one problem everything would be created."""
    change, message = REFUSED[case]
    document = soins_first(new_ids(export_hsds()))
    change(document)
    before = state()

    with pytest.raises(HsdsImportError) as error:
        import_hsds(document, actor=actor)

    assert any(p.startswith(message) for p in error.value.problems), error.value.problems
    assert state() == before


def test_duplicate_ids_are_refused(directory, actor):
    document = export_hsds()
    document["services"].append(copy.deepcopy(document["services"][0]))
    document["organizations"].append(copy.deepcopy(document["organizations"][1]))
    before = state()
    with pytest.raises(HsdsImportError) as error:
        import_hsds(document, actor=actor)
    first = document["services"][0]["id"]
    assert f"services[3].id: {first} is also the id of services[0]" in error.value.problems
    assert any(p.startswith("organizations[2].id: ") and "organizations[1]" in p
               for p in error.value.problems)
    assert state() == before


def test_a_valid_start_does_not_survive_a_bad_end(directory, actor):
    """Everything or nothing: new records before the bad one are not written either."""
    document = new_ids(export_hsds())
    document["services"][-1]["languages"] = [{"id": str(uuid.uuid4()), "name": "Klingon"}]
    before = state()
    with pytest.raises(HsdsImportError) as error:
        import_hsds(document, actor=actor)
    assert error.value.problems == [
        "services[2].languages[0].code: missing, and the name 'Klingon' is not a known "
        "language"]
    assert state() == before


def test_not_json_is_refused(tmp_path):
    path = tmp_path / "directory.json"
    path.write_text("organizations: []\n")
    with pytest.raises(HsdsImportError) as error:
        load_hsds_file(path)
    assert error.value.problems == [
        "directory.json: not valid JSON (Expecting value at line 1, column 1)"]


def test_wrong_shapes_are_refused():
    with pytest.raises(HsdsImportError) as error:
        hsds.normalise("services")
    assert error.value.problems == ["document: expected a JSON object or array, got str"]
    with pytest.raises(HsdsImportError) as error:
        hsds.normalise({"services": {"id": "x"}})
    assert error.value.problems == ["services: expected a list, got dict"]
    with pytest.raises(HsdsImportError) as error:
        import_hsds({"organizations": [], "services": []}, actor=None)
    assert error.value.problems == ["document: no organizations or services"]


# --- CSV datapackage -------------------------------------------------------------------------

def test_csv_export_uses_the_specification_columns(spec, directory, tmp_path):
    files = hsds.export_csv(tmp_path)
    assert {f.name for f in files} >= {"organizations.csv", "services.csv", "phones.csv",
                                       "languages.csv", "service_areas.csv", "datapackage.json"}
    for path in files:
        if path.suffix == ".csv":
            example = spec / "examples" / "csv" / path.name
            with path.open(newline="") as ours, example.open(newline="") as theirs:
                assert next(csv.reader(ours)) == next(csv.reader(theirs)), path.name
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert package["profile"] == "tabular-data-package"
    resources = {r["name"]: r for r in package["resources"]}
    assert resources["service"]["path"] == "services.csv"
    fields = {f["name"]: f for f in resources["service"]["schema"]["fields"]}
    assert fields["minimum_age"]["type"] == "number"
    assert fields["id"] == {"name": "id", "type": "string", "format": "uuid",
                            "constraints": {"required": True}}
    with (tmp_path / "services.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 3
    with (tmp_path / "service_areas.csv").open(newline="") as handle:
        extents = sorted(row["extent"] for row in csv.DictReader(handle))
    assert extents == ["CARE-ZONE north-east", "NIS 04000", "NIS 21006", "NIS 21015"]


def test_csv_round_trip(directory, actor, tmp_path):
    before = export_hsds()
    hsds.export_csv(tmp_path)
    assert canonical(hsds.read_csv(tmp_path)) == canonical(before)
    wipe(directory)
    report = hsds.import_csv(tmp_path, actor=actor)
    assert report.counts()["services"]["created"] == 3
    assert canonical(export_hsds()) == canonical(before)


def test_a_directory_without_tables_is_refused(tmp_path):
    with pytest.raises(HsdsImportError) as error:
        load_hsds_file(tmp_path)
    assert error.value.problems == [f"{tmp_path}: no organizations.csv or services.csv"]


# --- The command -----------------------------------------------------------------------------

def test_the_command_exports_and_imports(directory, tmp_path):
    out = io.StringIO()
    call_command("directory", "export", stdout=out)
    assert json.loads(out.getvalue()) == export_hsds()

    path = tmp_path / "directory.json"
    call_command("directory", "export", "--output", str(path), stdout=io.StringIO())
    call_command("directory", "export", "--format", "csv", "--output", str(tmp_path / "csv"),
                 stdout=io.StringIO())
    assert (tmp_path / "csv" / "datapackage.json").exists()
    wipe(directory)

    out, err = io.StringIO(), io.StringIO()
    call_command("directory", "import", str(path), stdout=out, stderr=err)
    assert "organizations: 2 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "services: 3 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "importing [##############################] 5/5" in err.getvalue()

    out = io.StringIO()
    call_command("directory", "import", str(tmp_path / "csv"), stdout=out,
                 stderr=io.StringIO())
    assert "services: 0 created, 0 updated, 3 unchanged" in out.getvalue()


def test_the_command_lists_every_problem_and_fails(directory, tmp_path):
    document = export_hsds()
    document["services"][0]["status"] = "open"
    document["services"][1]["minimum_age"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"import refused: 2 problem\(s\); nothing was"):
        call_command("directory", "import", str(path), stdout=io.StringIO(), stderr=err)
    assert "PROBLEM services[0].status: 'open' is not one of" in err.getvalue()
    assert "PROBLEM services[1].minimum_age: expected a whole number" in err.getvalue()


def test_relais_directory_exits_non_zero_on_a_bad_file(tmp_path, capsys):
    from relais.config.cli import main

    path = tmp_path / "bad.json"
    path.write_text("{")
    with pytest.raises(SystemExit) as exit_:
        main(["directory", "import", str(path)])
    assert exit_.value.code == 1
    assert "bad.json: not valid JSON" in capsys.readouterr().err


def test_structured_opening_hours_travel_as_weekly_schedules(spec, directory, actor):
    from relais.directory.hours import parse_hours
    from relais.directory.services import update_service

    service = Service.objects.order_by("pk").first()
    update_service(service, {"hours": parse_hours("mon-fri 8:00-12:00, 13:00-17:00; sat 9-12")},
                   actor=actor, expected_version=service.version)
    document = export_hsds()
    exported = next(s for s in document["services"] if s["id"] == str(service.hsds_id))
    weekly = [s for s in exported["schedules"] if s.get("freq") == "WEEKLY"]
    assert {(s["byday"], s["opens_at"], s["closes_at"]) for s in weekly} == {
        ("MO,TU,WE,TH,FR", "08:00", "12:00"), ("MO,TU,WE,TH,FR", "13:00", "17:00"),
        ("SA", "09:00", "12:00")}
    validator = compiled_validator(spec, "service")
    assert list(validator.iter_errors(exported)) == []
    service.opening_hours.all().delete()
    import_hsds(document, actor=actor)
    assert service.opening_hours.count() == 11
    assert export_hsds() == document
