"""Search features: _include and _revinclude through each included type's gate, _elements,
_sort, lenient and strict handling of what the server cannot follow, Patient
$everything; the CapabilityStatement and the scopes say the truth about them and about
the writes. Every Bundle is valid R4 (fhir.resources)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources import construct_fhir_element

from relais.access.models import Consent
from relais.audit.models import AuditEvent
from relais.interop.fhir import registry, resources
from relais.network import services
from relais.network.models import MemberKind, Person, Role
from relais.stays import services as stay_services
from relais.stays.models import Stay
from tests.factories import HospitalFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

resources.register_all()


def _bundle(response):
    assert response.status_code == 200, response.content
    bundle = response.json()
    construct_fhir_element("Bundle", bundle)
    return bundle


def _entries(bundle, mode):
    return [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]
            if e["search"]["mode"] == mode]


def _warning(bundle):
    outcome = [e for e in bundle.get("entry", []) if e["search"]["mode"] == "outcome"]
    return outcome[0]["resource"]["issue"][0]["diagnostics"] if outcome else None


# --- _include and _revinclude --------------------------------------------------------------


def test_include_the_patient_of_each_encounter(api, world, stay, madeleine):
    bundle = _bundle(api(world.coordination_centre).get(
        "/fhir/Encounter", {"_include": "Encounter:patient"}))

    assert _entries(bundle, "match") == [("Encounter", str(stay.pk))]
    assert _entries(bundle, "include") == [("Patient", str(madeleine.pk))]
    assert bundle["total"] == 1  # matches only
    assert "_include=Encounter%3Apatient" in bundle["link"][0]["url"]
    read = AuditEvent.objects.filter(action="person.search").latest("pk")
    assert read.detail["persons"] == [madeleine.pk]


def test_an_included_resource_goes_through_its_own_gate(api, world, stay, madeleine):
    """The hospital sees its stay but not the person (no consent to share with
    hospitals): the stay comes, the person does not."""
    bundle = _bundle(api(world.hospital).get("/fhir/Encounter",
                                             {"_include": "Encounter:patient"}))

    assert _entries(bundle, "match") == [("Encounter", str(stay.pk))]
    assert _entries(bundle, "include") == []


def test_revinclude_the_stays_and_networks_of_the_patients(api, world, stay, madeleine):
    bundle = _bundle(api(world.coordination_centre).get("/fhir/Patient", {
        "_id": madeleine.pk, "_revinclude": ["Encounter:patient", "CareTeam:patient"]}))

    assert _entries(bundle, "match") == [("Patient", str(madeleine.pk))]
    assert sorted(_entries(bundle, "include")) == [("CareTeam", str(madeleine.pk)),
                                                   ("Encounter", str(stay.pk))]


def test_include_a_roles_practitioner_and_organization(api, world, coordinator):
    bundle = _bundle(api(world.coordination_centre).get("/fhir/PractitionerRole", {
        "_include": ["PractitionerRole:practitioner", "PractitionerRole:organization"]}))

    assert sorted(_entries(bundle, "include")) == sorted([
        ("Practitioner", str(coordinator.pk)),
        ("Organization", str(world.coordination_centre.pk))])


def test_a_patient_with_her_gp_and_the_organisation_that_keeps_her_record(
        api, world, madeleine, gp):
    """What a hospital's system asks at an admission: the person by SSIN with her GP."""
    bundle = _bundle(api(world.coordination_centre).get("/fhir/Patient", {
        "identifier": f"https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin|"
                      f"{madeleine.niss}",
        "_include": ["Patient:general-practitioner", "Patient:organization"]}))

    patient = bundle["entry"][0]["resource"]
    assert patient["generalPractitioner"] == [{"reference": f"Practitioner/{gp.pk}"}]
    assert sorted(_entries(bundle, "include")) == sorted([
        ("Practitioner", str(gp.pk)), ("Organization", str(world.coordination_centre.pk))])
    assert "_include=Patient%3Ageneral-practitioner" in bundle["link"][0]["url"]


def test_iterate_from_the_stays_to_their_patients_and_their_gps(api, world, stay, madeleine,
                                                                gp):
    """A home-care system's morning question: who of mine is in hospital, and who is
    their GP."""
    bundle = _bundle(api(world.coordination_centre).get("/fhir/Encounter", {
        "status": "in-progress", "_include": "Encounter:patient",
        "_include:iterate": "Patient:general-practitioner"}))

    assert _entries(bundle, "match") == [("Encounter", str(stay.pk))]
    assert _entries(bundle, "include") == [("Patient", str(madeleine.pk)),
                                           ("Practitioner", str(gp.pk))]
    assert "_include%3Aiterate=Patient%3Ageneral-practitioner" in bundle["link"][0]["url"]


def test_iterate_goes_no_further_than_the_gate(api, world, stay, madeleine):
    """The hospital sees its stay, not the person: no patient, so no GP either."""
    bundle = _bundle(api(world.hospital).get("/fhir/Encounter", {
        "_include": "Encounter:patient", "_include:iterate": "Patient:general-practitioner"}))

    assert _entries(bundle, "match") == [("Encounter", str(stay.pk))]
    assert _entries(bundle, "include") == []


def test_revinclude_iterate_from_what_was_included(api, world, stay, madeleine):
    """The GP's patients, and those patients' stays."""
    gp_id = madeleine.members.get(roles__role=Role.GP).user_id
    bundle = _bundle(api(world.coordination_centre).get("/fhir/Practitioner", {
        "_id": gp_id, "_revinclude": "Patient:general-practitioner",
        "_revinclude:iterate": "Encounter:patient"}))

    assert sorted(_entries(bundle, "include")) == [("Encounter", str(stay.pk)),
                                                   ("Patient", str(madeleine.pk))]


def test_a_gp_practice_is_an_organization_and_the_type_can_be_named(
        api, world, madeleine, gp, coordinator):
    practice = OrganisationFactory(name="Maison médicale du Midi")
    services.add_member(madeleine, kind=MemberKind.ORGANISATION, organisation=practice,
                        roles=[Role.GP], actor=coordinator)
    caller = api(world.coordination_centre)

    both = _bundle(caller.get("/fhir/Patient", {
        "_id": madeleine.pk, "_include": "Patient:general-practitioner"}))
    practices = _bundle(caller.get("/fhir/Patient", {
        "_id": madeleine.pk, "_include": "Patient:general-practitioner:Organization"}))

    assert both["entry"][0]["resource"]["generalPractitioner"] == [
        {"reference": f"Practitioner/{gp.pk}"}, {"reference": f"Organization/{practice.pk}"}]
    assert sorted(_entries(both, "include")) == sorted([
        ("Practitioner", str(gp.pk)), ("Organization", str(practice.pk))])
    assert _entries(practices, "include") == [("Organization", str(practice.pk))]


def test_a_gp_added_or_excluded_is_a_new_version_of_her(api, world, madeleine, gp,
                                                        coordinator):
    """Her GPs come from the network's rows: a change there changes her ETag and
    lastUpdated, so a client holding the old copy is not told it is still current."""
    caller = api(world.coordination_centre)
    before = caller.get(f"/fhir/Patient/{madeleine.pk}")
    practice = OrganisationFactory(name="Maison médicale du Midi")
    services.add_member(madeleine, kind=MemberKind.ORGANISATION, organisation=practice,
                        roles=[Role.GP], actor=coordinator)

    added = caller.get(f"/fhir/Patient/{madeleine.pk}", HTTP_IF_NONE_MATCH=before["ETag"])
    services.exclude_member(madeleine.members.get(organisation=practice), actor=coordinator)
    excluded = caller.get(f"/fhir/Patient/{madeleine.pk}", HTTP_IF_NONE_MATCH=added["ETag"])

    assert added.status_code == 200 and added["ETag"] != before["ETag"]
    assert {"reference": f"Organization/{practice.pk}"} in added.json()["generalPractitioner"]
    assert (added.json()["meta"]["lastUpdated"] > before.json()["meta"]["lastUpdated"])
    assert excluded.status_code == 200 and excluded["ETag"] == before["ETag"]
    assert excluded.json()["generalPractitioner"] == before.json()["generalPractitioner"]
    assert excluded.json()["meta"]["lastUpdated"] > added.json()["meta"]["lastUpdated"]


def test_a_gp_who_left_or_is_never_informed_is_not_her_gp(api, world, madeleine, gp,
                                                          coordinator):
    member = madeleine.members.get(user=gp)
    services.exclude_member(member, actor=coordinator)

    bundle = _bundle(api(world.coordination_centre).get("/fhir/Patient", {
        "_id": madeleine.pk, "_include": "Patient:general-practitioner"}))

    assert "generalPractitioner" not in bundle["entry"][0]["resource"]
    assert _entries(bundle, "include") == []


@pytest.mark.parametrize("key, value", [("general-practitioner", "Practitioner/{gp}"),
                                        ("general-practitioner", "{gp}"),
                                        ("general-practitioner:Practitioner", "{gp}")])
def test_search_patients_by_their_gp(key, value, api, world, madeleine, gp):
    caller = api(world.coordination_centre)

    found = _bundle(caller.get("/fhir/Patient", {key: value.format(gp=gp.pk)}))
    none = _bundle(caller.get("/fhir/Patient", {
        "general-practitioner": f"Organization/{gp.pk}"}))

    assert _entries(found, "match") == [("Patient", str(madeleine.pk))]
    assert none["total"] == 0


def test_the_gps_patients_come_with_a_revinclude(api, world, madeleine, gp):
    bundle = _bundle(api(world.coordination_centre).get("/fhir/Practitioner", {
        "_id": gp.pk, "_revinclude": "Patient:general-practitioner"}))

    assert _entries(bundle, "include") == [("Patient", str(madeleine.pk))]


@pytest.mark.parametrize("value", ["Location/3", "Practitioner/x", "Practitioner/"])
def test_a_gp_reference_that_is_not_one_is_a_400(value, api, world, madeleine):
    response = api(world.coordination_centre).get("/fhir/Patient",
                                                  {"general-practitioner": value})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_include_the_care_teams_patient(api, world, madeleine):
    bundle = _bundle(api(world.coordination_centre).get(
        "/fhir/CareTeam", {"_include": "CareTeam:patient"}))

    assert _entries(bundle, "include") == [("Patient", str(madeleine.pk))]


def test_an_include_the_token_may_not_search_is_left_out(api, world, stay, madeleine):
    caller = api(world.coordination_centre, allowed="system/Encounter.rs")

    bundle = _bundle(caller.get("/fhir/Encounter", {"_include": "Encounter:patient"}))

    assert _entries(bundle, "include") == []
    assert "Encounter:patient" in _warning(bundle)


@pytest.mark.parametrize("query", [{"_include": "Encounter:colour"},
                                   {"_include": "Patient:organization"},
                                   {"_include": "Encounter:patient:Organization"},
                                   {"_include:iterate": "Encounter:colour"},
                                   {"_include": "Patient:general-practitioner"},
                                   {"_revinclude": "Encounter:service-provider"},
                                   {"_sort": "colour"}])
def test_what_cannot_be_followed_is_a_warning_or_under_strict_a_400(query, api, world, stay):
    caller = api(world.coordination_centre)

    lenient = _bundle(caller.get("/fhir/Encounter", query))
    strict = caller.get("/fhir/Encounter", query, HTTP_PREFER="handling=strict")

    assert lenient["total"] == 1
    assert "Ignored search parameters" in _warning(lenient)
    assert strict.status_code == 400
    assert strict.json()["issue"][0]["code"] == "not-supported"


def test_includes_cost_the_same_queries_for_one_or_many(api, world, stay, coordinator):
    caller = api(world.coordination_centre)
    query = {"_include": "Encounter:patient", "_revinclude": "CareTeam:patient"}
    with CaptureQueriesContext(connection) as one:
        caller.get("/fhir/Encounter", query)
    for n in range(4):
        person = services.create_person({"first_name": f"P{n}", "last_name": "Test"},
                                        actor=coordinator,
                                        organisation=world.coordination_centre)
        stay_services.open_stay(person, hospital=HospitalFactory())
    with CaptureQueriesContext(connection) as many:
        bundle = _bundle(caller.get("/fhir/Encounter", query))

    assert bundle["total"] == 5
    assert len(many.captured_queries) == len(one.captured_queries)


# --- _elements and _sort -----------------------------------------------------------------


def test_elements_keeps_what_was_asked_and_what_r4_requires(api, world, stay, madeleine):
    caller = api(world.coordination_centre)

    patients = _bundle(caller.get("/fhir/Patient", {"_elements": "name,Patient.birthDate"}))
    encounter = caller.get(f"/fhir/Encounter/{stay.pk}", {"_elements": "period"}).json()

    patient = patients["entry"][0]["resource"]
    assert set(patient) == {"resourceType", "id", "meta", "name", "birthDate"}
    assert patient["meta"]["tag"][0]["code"] == "SUBSETTED"
    assert set(encounter) == {"resourceType", "id", "meta", "status", "class", "period"}
    construct_fhir_element("Encounter", encounter)
    assert "_elements=name%2CPatient.birthDate" in patients["link"][0]["url"]


def test_summary_text_keeps_what_r4_requires_and_data_everything(api, world, stay):
    caller = api(world.coordination_centre)

    text = _bundle(caller.get("/fhir/Encounter", {"_summary": "text"}))
    data = _bundle(caller.get("/fhir/Encounter", {"_summary": "data"}))
    whole = _bundle(caller.get("/fhir/Encounter"))

    encounter = text["entry"][0]["resource"]
    assert set(encounter) == {"resourceType", "id", "meta", "status", "class"}
    assert encounter["meta"]["tag"][0]["code"] == "SUBSETTED"
    assert data["entry"] == whole["entry"]
    assert "_summary=text" in text["link"][0]["url"]


def test_sort_by_date_and_last_updated(api, world, madeleine, coordinator):
    now = timezone.now()
    older = stay_services.open_stay(madeleine, hospital=world.hospital,
                                    admitted_at=now - timedelta(days=30))
    stay_services.discharge(older, discharged_at=now - timedelta(days=20), from_feed=True)
    newer = stay_services.open_stay(madeleine, hospital=world.hospital,
                                    admitted_at=now - timedelta(days=2))
    other = services.create_person({"first_name": "Albert", "last_name": "Zed"},
                                   actor=coordinator, organisation=world.coordination_centre)
    caller = api(world.coordination_centre)

    def ids(type_name, sort):
        bundle = _bundle(caller.get(f"/fhir/{type_name}", {"_sort": sort}))
        return [e["resource"]["id"] for e in bundle["entry"]]

    assert ids("Encounter", "date") == [str(older.pk), str(newer.pk)]
    assert ids("Encounter", "-date") == [str(newer.pk), str(older.pk)]
    Person.objects.filter(pk=madeleine.pk).update(updated_at=now + timedelta(minutes=1))
    assert ids("Patient", "-_lastUpdated") == [str(madeleine.pk), str(other.pk)]
    assert ids("Patient", "_lastUpdated") == [str(other.pk), str(madeleine.pk)]
    assert ids("Patient", "name") == [str(madeleine.pk), str(other.pk)]  # Lambert, Zed


def test_the_next_link_keeps_the_sort(api, world, madeleine, coordinator):
    for n in range(3):
        services.create_person({"first_name": f"T{n}", "last_name": "Lambertini"},
                               actor=coordinator, organisation=world.coordination_centre)
    caller = api(world.coordination_centre)

    first = _bundle(caller.get("/fhir/Patient", {"_sort": "-given", "_count": 2}))
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = _bundle(caller.get(following))

    names = [e["resource"]["name"][0]["given"][0] for page in (first, second)
             for e in page["entry"]]
    assert names == ["T2", "T1", "T0", "Madeleine"]


# --- $everything -------------------------------------------------------------------------


def test_everything_about_her_that_the_caller_reads(api, world, stay, madeleine, daughter):
    caller = api(world.coordination_centre)

    bundle = _bundle(caller.get(f"/fhir/Patient/{madeleine.pk}/$everything"))

    found = {(kind, id) for kind, id in _entries(bundle, "match")}
    assert {("Patient", str(madeleine.pk)), ("CareTeam", str(madeleine.pk)),
            ("RelatedPerson", str(daughter.pk)), ("Encounter", str(stay.pk))} <= found
    assert ("Consent", str(Consent.objects.get(person=madeleine).pk)) in found
    assert not any(kind == "Flag" for kind, _id in found)  # no concern, or not the circle
    assert bundle["total"] == len(found)
    assert {e["resource"]["subject" if "subject" in e["resource"] else "patient"]["reference"]
            for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"} == {
        f"Patient/{madeleine.pk}"}
    everything = AuditEvent.objects.get(action="fhir.patient.everything")
    assert (everything.person_id, everything.actor) == (madeleine.pk,
                                                        caller.system.account)


def test_everything_is_narrowed_by_the_tokens_scopes(api, world, stay, madeleine):
    caller = api(world.coordination_centre, allowed="system/Patient.r system/Encounter.r")

    bundle = _bundle(caller.get(f"/fhir/Patient/{madeleine.pk}/$everything"))

    assert {kind for kind, _id in _entries(bundle, "match")} == {"Patient", "Encounter"}


def test_everything_of_some_types_only(api, world, stay, madeleine, daughter):
    caller = api(world.coordination_centre)

    bundle = _bundle(caller.get(f"/fhir/Patient/{madeleine.pk}/$everything",
                                {"_type": "Encounter,RelatedPerson"}))

    assert sorted(_entries(bundle, "match")) == [("Encounter", str(stay.pk)),
                                                 ("RelatedPerson", str(daughter.pk))]
    assert bundle["total"] == 2
    assert "_type=Encounter%2CRelatedPerson" in bundle["link"][0]["url"]


def test_everything_with_the_types_repeated_takes_them_all(api, world, stay, madeleine,
                                                           daughter):
    bundle = _bundle(api(world.coordination_centre).get(
        f"/fhir/Patient/{madeleine.pk}/$everything",
        {"_type": ["Encounter", "RelatedPerson"]}))

    assert {kind for kind, _id in _entries(bundle, "match")} == {"Encounter",
                                                                 "RelatedPerson"}


def test_everything_since_a_moment_is_what_changed_since(api, world, stay, madeleine):
    caller = api(world.coordination_centre)
    Stay.objects.filter(pk=stay.pk).update(updated_at=timezone.now() + timedelta(hours=1))
    since = (timezone.now() + timedelta(minutes=30)).isoformat()

    bundle = _bundle(caller.get(f"/fhir/Patient/{madeleine.pk}/$everything",
                                {"_since": since}))

    assert sorted(_entries(bundle, "match")) == [  # the stay and its discharge plan
        ("CarePlan", f"discharge-{stay.pk}"), ("Encounter", str(stay.pk))]


def test_everything_in_pages_with_next_and_previous_links(api, world, stay, madeleine):
    caller = api(world.coordination_centre)
    whole = _bundle(caller.get(f"/fhir/Patient/{madeleine.pk}/$everything"))
    assert whole["total"] >= 5

    found, url, pages = [], f"/fhir/Patient/{madeleine.pk}/$everything?_count=2", 0
    while url:
        page = _bundle(caller.get(url))
        assert page["total"] == whole["total"]
        assert len(_entries(page, "match")) <= 2
        found += _entries(page, "match")
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        url = following[0].removeprefix("http://testserver") if following else None
        pages += 1
        if pages > 1:
            assert any(link["relation"] == "previous" for link in page["link"])

    assert found == _entries(whole, "match")
    assert pages == -(-whole["total"] // 2)


@pytest.mark.parametrize("query", [{"_type": "Patient,Colour"}, {"_type": ","},
                                   {"_since": "yesterday"}, {"_count": "0"},
                                   {"_count": "many"}, {"_offset": "-1"}])
def test_everything_with_a_value_it_cannot_read_is_a_400(query, api, world, madeleine):
    response = api(world.coordination_centre).get(
        f"/fhir/Patient/{madeleine.pk}/$everything", query)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not AuditEvent.objects.filter(
        action__in=["fhir.patient.everything", "person.read"]).exists()


def test_everything_with_an_unknown_parameter_under_strict_is_a_400(api, world, madeleine):
    caller = api(world.coordination_centre)
    address = f"/fhir/Patient/{madeleine.pk}/$everything"

    lenient = caller.get(address, {"start": "2026-01-01"})
    strict = caller.get(address, {"start": "2026-01-01"}, HTTP_PREFER="handling=strict")

    assert lenient.status_code == 200
    assert strict.status_code == 400
    assert strict.json()["issue"][0]["code"] == "not-supported"


@pytest.mark.parametrize("organisation", ["care_zone_team", "excluded"])
def test_everything_of_someone_the_caller_may_not_read_is_a_404(
        organisation, api, world, madeleine, excluded_organisation):
    caller = api(excluded_organisation if organisation == "excluded" else
                 getattr(world, organisation))

    response = caller.get(f"/fhir/Patient/{madeleine.pk}/$everything")

    assert response.status_code == 404
    assert "Lambert" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="fhir.patient.everything").exists()


def test_a_person_reads_her_own_everything_in_her_session(client, caregiver, madeleine,
                                                          daughter):
    """A portal user the gate lets read the record (her daughter, trusted person) gets
    what the gate gives her, through the same door."""
    daughter.user = caregiver
    daughter.save()
    client.force_login(caregiver)

    Person.objects.filter(pk=madeleine.pk).update(safeguarding=True)

    bundle = _bundle(client.get(f"/fhir/Patient/{madeleine.pk}/$everything"))

    found = _entries(bundle, "match")
    assert found[0] == ("Patient", str(madeleine.pk))
    assert ("CareTeam", str(madeleine.pk)) in found
    assert not [kind for kind, _id in found if kind == "Flag"]  # portal: no safeguarding


# --- what the server says it does ----------------------------------------------------------


def test_the_capability_statement_tells_the_writes_and_search_features(client):
    statement = client.get("/fhir/metadata").json()
    construct_fhir_element("CapabilityStatement", statement)
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}

    encounter = served["Encounter"]
    assert [i["code"] for i in encounter["interaction"]] == ["read", "search-type", "vread",
                                                            "history-instance", "create",
                                                            "update"]
    assert (encounter["conditionalCreate"], encounter["updateCreate"],
            encounter["versioning"]) == (True, False, "versioned-update")
    assert "Encounter:patient" in encounter["searchInclude"]
    assert "Encounter:patient" in served["Patient"]["searchRevInclude"]
    assert served["Patient"]["operation"] == [{
        "name": "everything",
        "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]
    assert [i["code"] for i in served["Patient"]["interaction"]] == ["read", "search-type",
                                                                    "vread", "history-instance",
                                                                    "create", "update"]
    for resource in served.values():
        writes = {"create", "update"} & {i["code"] for i in resource["interaction"]}
        assert bool(writes) == bool(registry.TYPES[resource["type"]].create
                                    or registry.TYPES[resource["type"]].update)


def test_the_write_scopes_are_offered_for_what_is_written_only(client, system_client, world):
    scopes = client.get("/fhir/.well-known/smart-configuration").json()["scopes_supported"]

    assert {"system/Encounter.cu", "system/Encounter.crus", "system/*.crus",
            "system/Patient.rs"} <= set(scopes)
    assert "system/Patient.cu" in scopes  # created and updated
    assert "system/Organization.cu" not in scopes
    assert not [scope for scope in scopes if "d" in scope.split(".")[1].replace("read", "")]
    with pytest.raises(ValueError):
        system_client(world.hospital, "system/Organization.u")
    with pytest.raises(ValueError):
        system_client(world.hospital, "system/*.cruds")
    client_, _secret = system_client(world.hospital, "system/Encounter.cu system/*.rs")
    assert client_.scopes == "system/Encounter.cu system/*.rs"


def test_stay_ids_in_everything_are_the_visible_ones(api, world, madeleine, stay):
    """A stay in another hospital: the coordination centre reads it (her network), so it
    is in her export; its hospital's name is not needed."""
    other = stay_services.open_stay(madeleine, hospital=HospitalFactory())

    bundle = _bundle(api(world.coordination_centre).get(
        f"/fhir/Patient/{madeleine.pk}/$everything"))

    stays = {id for kind, id in _entries(bundle, "match") if kind == "Encounter"}
    assert stays == {str(stay.pk), str(other.pk)} == {
        str(pk) for pk in Stay.objects.values_list("pk", flat=True)}
