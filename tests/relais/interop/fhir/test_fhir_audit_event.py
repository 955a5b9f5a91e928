"""AuditEvent: the audit log as BALP-style events, read as the pages let it be read —
one's own events and a manager's organisations' (the audit log's page), every event
about a person whose "who looked at this record" the caller may open."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.audit import log as audit
from relais.audit.models import AuditEvent
from relais.interop.fhir.resources.audit_event import action_of
from relais.network import rules as network_rules
from relais.network import services
from relais.network.models import Person

pytestmark = pytest.mark.django_db


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {int(e["resource"]["id"]) for e in response.json().get("entry", [])
            if e["search"]["mode"] == "match"}


def _about(person) -> set[int]:
    return set(AuditEvent.objects.filter(person_id=person.pk).values_list("pk", flat=True))


@pytest.mark.parametrize("organisation", ["coordination_centre", "home_nursing"])
def test_who_may_change_her_record_reads_her_log(organisation, api, world, madeleine):
    """The centre keeps her record; the home-nursing service is in her network with
    her consent: their staff open "who looked at this record", so their systems read it."""
    expected = _about(madeleine)

    found = _ids(api(getattr(world, organisation)).get(
        "/fhir/AuditEvent", {"patient": f"Patient/{madeleine.pk}", "_count": 100}))

    assert found == expected
    assert len(found) >= 5  # her record's creation, consent, members, an exclusion


def test_the_contact_point_reads_her_log_a_relative_does_not(client, caregiver, madeleine,
                                                             daughter):
    daughter.user = caregiver
    daughter.save()
    client.force_login(caregiver)
    assert _ids(client.get("/fhir/AuditEvent", {"patient": madeleine.pk})) == set()

    madeleine.members.update(is_contact_point=False)
    madeleine.members.filter(pk=daughter.pk).update(is_contact_point=True)

    assert _ids(client.get("/fhir/AuditEvent", {"patient": madeleine.pk})) == _about(
        madeleine)


def test_a_manager_reads_the_organisations_events_others_their_own(client, world,
                                                                   coordinator, outsider):
    audit.record("organisation.change", actor=outsider,
                 organisation=world.coordination_centre)
    theirs = audit.record("auth.login", actor=outsider)
    client.force_login(coordinator)

    managed = _ids(client.get("/fhir/AuditEvent", {"subtype": "organisation.change"}))

    client.force_login(outsider)
    own = _ids(client.get("/fhir/AuditEvent", {"_count": 100}))
    assert len(managed) == 1
    assert managed <= own  # the outsider wrote it
    assert theirs.pk in own
    assert all(AuditEvent.objects.get(pk=pk).actor == outsider for pk in own)


def test_a_system_reads_its_own_events(api, world, madeleine):
    caller = api(world.care_zone_team)
    account = caller.system.account
    caller.get(f"/fhir/Patient/{madeleine.pk}")  # refused: an event of its own

    found = _ids(caller.get("/fhir/AuditEvent", {"agent": account.pk}))

    assert found == set(AuditEvent.objects.filter(actor=account).values_list("pk", flat=True))
    denied = found.pop()
    assert AuditEvent.objects.get(pk=denied).action == "access.denied"
    who = caller.get(f"/fhir/AuditEvent/{denied}").json()["agent"][0]["who"]
    assert who == {"identifier": {"system": "urn:relais:user", "value": str(account.pk)},
                   "display": "Care Zone Team Test system"}  # the client, no Practitioner
    assert _ids(caller.get("/fhir/AuditEvent", {"patient": madeleine.pk})) == set()


def test_an_event_as_balp(api, world, madeleine, gp):
    event = audit.record("person.read", actor=gp, target=madeleine, person_id=madeleine.pk,
                         organisation=world.gp_practice)

    got = api(world.coordination_centre).get(f"/fhir/AuditEvent/{event.pk}").json()

    assert got["type"]["code"] == "110110"
    assert got["subtype"] == [{"system": "urn:relais:audit-action", "code": "person.read"}]
    assert got["action"] == "R"
    assert got["outcome"] == "0"
    assert got["recorded"] == event.occurred_at.isoformat(timespec="milliseconds")
    user, organisation = got["agent"]
    assert user["who"]["reference"] == f"Practitioner/{gp.pk}"
    assert user["who"]["display"] == gp.get_full_name()
    assert user["requestor"] is True
    assert user["type"]["coding"][0]["code"] == "IRCP"
    assert organisation["who"]["reference"] == f"Organization/{world.gp_practice.pk}"
    assert organisation["requestor"] is False
    assert got["entity"] == [{
        "what": {"reference": f"Patient/{madeleine.pk}"},
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                 "code": "1", "display": "Person"},
        "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1",
                 "display": "Patient"}}]
    assert "@" not in json.dumps(got)  # nobody by their e-mail address


def test_breaking_the_glass_says_why(api, world, madeleine, liaison_nurse):
    services.break_glass(madeleine, reason="Unconscious at the emergency room.",
                         actor=liaison_nurse, organisation=world.hospital)
    event = AuditEvent.objects.get(action="person.break_glass")

    got = api(world.coordination_centre).get(f"/fhir/AuditEvent/{event.pk}").json()

    assert got["action"] == "E"
    assert got["purposeOfEvent"] == [{"text": "Unconscious at the emergency room.",
                                      "coding": [{"system": "http://terminology.hl7.org/"
                                                            "CodeSystem/v3-ActReason",
                                                  "code": "ETREAT",
                                                  "display": "Emergency Treatment"}]}]


@pytest.mark.parametrize("action, letter", [
    ("person.read", "R"), ("stay.list", "R"), ("person.search", "E"),
    ("person.create", "C"), ("booklet.write", "C"), ("person.change", "U"),
    ("consent.revoke", "U"), ("thematic.finding_deleted", "D"), ("auth.login", "E"),
    ("booklet.attachment_read", "R"), ("followup.review_list_read", "R")])
def test_the_action_letter(action, letter):
    assert action_of(action) == letter


def test_reading_her_log_is_audited_with_her_id(api, world, madeleine):
    caller = api(world.home_nursing)
    one = AuditEvent.objects.filter(person_id=madeleine.pk).first()

    caller.get(f"/fhir/AuditEvent/{one.pk}")
    caller.get("/fhir/AuditEvent", {"patient": madeleine.pk})

    read = AuditEvent.objects.get(action="fhir.auditevent.read")
    assert read.person_id == madeleine.pk
    assert read.organisation == world.home_nursing
    search = AuditEvent.objects.get(action="fhir.auditevent.search")
    assert search.detail["persons"] == [madeleine.pk]


def test_search_by_date_subtype_outcome_and_organisation(api, world, madeleine,
                                                        coordinator):
    caller = api(world.coordination_centre)
    created = AuditEvent.objects.get(action="person.create", person_id=madeleine.pk)
    day = created.occurred_at.astimezone().date().isoformat()

    def found(**query):
        return _ids(caller.get("/fhir/AuditEvent", {"patient": madeleine.pk, **query}))

    assert found(subtype="person.create") == {created.pk}
    assert created.pk in found(date=day)
    assert found(date=f"gt{day}") == set()
    assert found(outcome="4") == set()
    assert found(agent=f"Practitioner/{coordinator.pk}") >= {created.pk}
    assert created.pk in found(agent=f"Organization/{world.coordination_centre.pk}")


def test_unreadable_values_are_a_400(api, world):
    caller = api(world.coordination_centre)

    for query in ({"patient": "Group/1"}, {"date": "today"}, {"agent": "Device/x"},
                  {"patient": "9" * 30}):
        assert caller.get("/fhir/AuditEvent", query).status_code == 400, query


def test_the_list_form_agrees_with_the_page(world, madeleine, coordinator, gp, home_nurse,
                                           outsider, caregiver, liaison_nurse):
    for user in (coordinator, gp, home_nurse, outsider, caregiver, liaison_nurse):
        listed = set(Person.objects.filter(pk__in=network_rules.access_log_persons(user))
                     .values_list("pk", flat=True))
        may = {madeleine.pk} if network_rules.may_see_access_log(user, madeleine) else set()
        assert listed == may, user


def test_a_search_costs_the_same_queries_for_one_or_many(api, world, madeleine, gp,
                                                         liaison_nurse):
    caller = api(world.coordination_centre)
    with CaptureQueriesContext(connection) as one:
        caller.get("/fhir/AuditEvent", {"_count": 3})
    for actor in (gp, liaison_nurse):
        audit.record("person.read", actor=actor, person_id=madeleine.pk,
                     organisation=world.hospital)

    with CaptureQueriesContext(connection) as many:
        bundle = caller.get("/fhir/AuditEvent", {"_count": 100}).json()

    assert bundle["total"] > 3
    assert len(many.captured_queries) == len(one.captured_queries)


def test_everything_leaves_the_log_out(api, world, madeleine):
    bundle = api(world.coordination_centre).get(
        f"/fhir/Patient/{madeleine.pk}/$everything").json()

    assert "AuditEvent" not in {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert _about(madeleine)  # there are events about her
