"""Versions: vread answers the current version as a read and an earlier one with a 410
saying only the current one is kept; `_history` is a history Bundle (a Patient's
earlier versions dated from the audit log, without content nor who); both through the
gate and audited as a read; whoever may not read the resource gets the same 404."""

import pytest
from fhir.resources import construct_fhir_element

from relais.audit.models import AuditEvent, Outcome
from relais.interop.fhir import registry, resources
from relais.interop.fhir.documents import as_resource
from relais.network import services
from relais.network.models import Person

pytestmark = pytest.mark.django_db

resources.register_all()


def _changed(person, coordinator, **fields):
    person = Person.objects.get(pk=person.pk)
    services.update_person(person, fields, actor=coordinator, expected_version=person.version)
    return person


def _reads(person) -> int:
    return AuditEvent.objects.filter(action="person.read", person_id=person.pk).count()


def test_vread_of_the_current_version_is_the_read(api, world, madeleine):
    caller = api(world.coordination_centre)

    read = caller.get(f"/fhir/Patient/{madeleine.pk}")
    version = caller.get(f"/fhir/Patient/{madeleine.pk}/_history/1")

    assert version.status_code == 200, version.content
    assert version.json() == read.json()
    # Her version is the row's and her GP's (the network's): "1-…"
    assert version["ETag"] == read["ETag"] and read["ETag"].startswith('W/"1-')
    assert _reads(madeleine) == 2  # each a read of her record
    held = caller.get(f"/fhir/Patient/{madeleine.pk}/_history/1",
                      HTTP_IF_NONE_MATCH=read["ETag"])
    assert held.status_code == 304


def _served(person) -> str:
    """The versionId served: the row's version and a digest of her GPs ("3-…")."""
    row = registry.TYPES["Patient"].candidates().get(pk=person.pk)
    served = as_resource(registry.TYPES["Patient"], row)["meta"]["versionId"]
    assert served.startswith(f"{row.version}-")
    return served


def test_an_earlier_version_is_gone_and_one_never_made_is_not_found(api, world, madeleine,
                                                                  coordinator):
    _changed(madeleine, coordinator, phone="+32 2 555 00 09")
    caller = api(world.coordination_centre)

    gone = caller.get(f"/fhir/Patient/{madeleine.pk}/_history/1")
    never = caller.get(f"/fhir/Patient/{madeleine.pk}/_history/7")

    assert gone.status_code == 410
    outcome = construct_fhir_element("OperationOutcome", gone.json())
    assert outcome.issue[0].diagnostics == (
        f"Relais keeps only the current version of Patient/{madeleine.pk} (version "
        f"{_served(madeleine)}): version 1 is no longer available.")
    assert never.status_code == 404
    assert never.json()["issue"][0]["diagnostics"] == (
        f"Patient/{madeleine.pk} has no version “7”: Relais keeps only its current version "
        f"({_served(madeleine)}).")
    assert "Lambert" not in gone.content.decode() + never.content.decode()
    assert _reads(madeleine) == 2  # asked through the gate, audited as reads


def test_a_digest_version_is_read_when_current_and_not_found_else(api, world, stay):
    caller = api(world.hospital)
    version = caller.get(f"/fhir/Encounter/{stay.pk}").json()["meta"]["versionId"]

    assert caller.get(f"/fhir/Encounter/{stay.pk}/_history/{version}").status_code == 200
    assert caller.get(f"/fhir/Encounter/{stay.pk}/_history/1").status_code == 404


def test_a_patients_history_dates_its_versions_from_the_audit_log(api, world, madeleine,
                                                                  coordinator):
    _changed(madeleine, coordinator, phone="+32 2 555 00 09")
    person = _changed(madeleine, coordinator, street="Rue Haute 2")
    caller = api(world.coordination_centre)

    response = caller.get(f"/fhir/Patient/{madeleine.pk}/_history")

    assert response.status_code == 200, response.content
    bundle = response.json()
    construct_fhir_element("Bundle", bundle)
    assert (bundle["type"], bundle["total"]) == ("history", 3)
    entries = bundle["entry"]
    assert [e["response"]["etag"] for e in entries] == [
        f'W/"{_served(madeleine)}"', 'W/"2"', 'W/"1"']
    assert [e["request"] for e in entries] == [
        {"method": "PUT", "url": f"Patient/{madeleine.pk}"},
        {"method": "PUT", "url": f"Patient/{madeleine.pk}"},
        {"method": "POST", "url": "Patient"}]
    assert entries[0]["resource"]["address"][0]["line"] == ["Rue Haute 2"]
    assert "resource" not in entries[1] and "resource" not in entries[2]
    made = AuditEvent.objects.filter(person_id=madeleine.pk, action__in=(
        "person.create", "person.change")).order_by("-occurred_at", "-pk")
    assert [e["response"]["lastModified"] for e in entries[1:]] == [
        event.occurred_at.isoformat(timespec="milliseconds") for event in made[1:]]
    assert person.version == 3
    # Nothing of who changed what: no actor, no field name.
    assert "coordinator" not in response.content.decode()
    assert "street" not in response.content.decode()
    assert _reads(madeleine) == 1


def test_a_history_of_another_type_holds_its_current_version(api, world, referral):
    caller = api(world.coordination_centre)

    bundle = caller.get(f"/fhir/Task/referral-{referral.pk}/_history").json()

    construct_fhir_element("Bundle", bundle)
    assert bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["id"] == f"referral-{referral.pk}"


@pytest.mark.parametrize("case", ["unrelated", "excluded", "no consent"])
@pytest.mark.parametrize("path", ["_history", "_history/1"])
def test_a_system_that_may_not_read_her_gets_the_same_404(case, path, api, world, madeleine,
                                                         excluded_organisation, coordinator):
    if case == "no consent":
        services.revoke_consent(madeleine.consents.get(), actor=coordinator)
    organisation = {"unrelated": world.care_zone_team, "excluded": excluded_organisation,
                    "no consent": world.home_nursing}[case]
    caller = api(organisation)
    denied = AuditEvent.objects.filter(outcome=Outcome.DENIED).count()

    response = caller.get(f"/fhir/Patient/{madeleine.pk}/{path}")

    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"
    assert "Lambert" not in response.content.decode()
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() == denied + 1


def test_sessions_read_versions_through_the_same_gate(client, gp, outsider, caregiver,
                                                      madeleine, daughter):
    client.force_login(gp)
    assert client.get(f"/fhir/Patient/{madeleine.pk}/_history").status_code == 200
    client.force_login(outsider)
    assert client.get(f"/fhir/Patient/{madeleine.pk}/_history").status_code == 404
    assert client.get(f"/fhir/Patient/{madeleine.pk}/_history/1").status_code == 404
    client.force_login(caregiver)  # a portal account not in her network
    assert client.get(f"/fhir/Patient/{madeleine.pk}/_history").status_code == 404


def test_a_token_without_read_gets_no_version(api, world, madeleine):
    caller = api(world.coordination_centre, scope="system/Patient.s")

    assert caller.get(f"/fhir/Patient/{madeleine.pk}/_history/1").status_code == 403
    assert caller.get(f"/fhir/Patient/{madeleine.pk}/_history").status_code == 403


def test_a_version_in_a_batch_is_read_as_alone(api, world, madeleine):
    caller = api(world.coordination_centre)
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": f"Patient/{madeleine.pk}/_history/1"}},
        {"request": {"method": "GET", "url": f"Patient/{madeleine.pk}/_history"}}]}

    response = caller.post("/fhir/", batch, content_type="application/fhir+json")

    assert response.status_code == 200, response.content
    answers = [e["response"]["status"] for e in response.json()["entry"]]
    assert [a.split()[0] for a in answers] == ["200", "200"]
    assert response.json()["entry"][1]["resource"]["type"] == "history"


def test_only_read_methods_reach_a_version(api, world, madeleine):
    caller = api(world.coordination_centre, allowed="system/*.rs system/Patient.u")

    response = caller.put(f"/fhir/Patient/{madeleine.pk}/_history/1", "{}",
                          content_type="application/fhir+json")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_since_keeps_the_versions_made_from_then_and_count_the_newest(api, world, madeleine,
                                                                      coordinator):
    _changed(madeleine, coordinator, phone="+32 2 555 00 09")
    _changed(madeleine, coordinator, street="Rue Haute 2")
    made = list(AuditEvent.objects.filter(person_id=madeleine.pk, action__in=(
        "person.create", "person.change")).order_by("occurred_at", "pk"))
    caller = api(world.coordination_centre)
    history = f"/fhir/Patient/{madeleine.pk}/_history"

    since = caller.get(history, {"_since": made[1].occurred_at.isoformat()}).json()
    newest = caller.get(history, {"_count": "1"}).json()
    later = caller.get(history, {"_since": "2999-01-01"}).json()

    construct_fhir_element("Bundle", since)
    assert [e["response"]["etag"] for e in since["entry"]] == [
        f'W/"{_served(madeleine)}"', 'W/"2"']
    assert since["total"] == 2
    assert "_since=" in since["link"][0]["url"]
    assert [e["response"]["etag"] for e in newest["entry"]] == [f'W/"{_served(madeleine)}"']
    assert newest["total"] == 3  # all there are; the page holds the newest
    construct_fhir_element("Bundle", later)
    assert (later["total"], "entry" in later) == (0, False)  # FHIR has no empty arrays


@pytest.mark.parametrize("query", [{"_since": "yesterday"}, {"_since": "2026-12-01T10:00:00"},
                                   {"_since": "2026-13-01"},
                                   {"_since": "2026-12-01T25:00:00+01:00"},
                                   {"_count": "0"}, {"_count": "many"}])
def test_a_history_value_that_cannot_be_read_is_a_400_that_reads_nothing(query, api, world,
                                                                          madeleine):
    caller = api(world.coordination_centre)

    response = caller.get(f"/fhir/Patient/{madeleine.pk}/_history", query)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert _reads(madeleine) == 0


def test_an_unknown_history_parameter_is_ignored_unless_strict(api, world, madeleine):
    caller = api(world.coordination_centre)
    history = f"/fhir/Patient/{madeleine.pk}/_history"

    lenient = caller.get(history, {"_at": "2026-12-01"})
    strict = caller.get(history, {"_at": "2026-12-01"}, headers={"Prefer": "handling=strict"})

    assert lenient.status_code == 200
    assert strict.status_code == 400
    assert "_at" in strict.json()["issue"][0]["diagnostics"]
