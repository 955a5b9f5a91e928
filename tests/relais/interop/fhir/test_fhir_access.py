"""Who reads what through the FHIR API: the gate, as on the pages.

The matrix is generated from the registered types: a system client acting for an
unrelated organisation, for an organisation the person asked never to inform, or for a
member organisation once the consent is withdrawn, gets a 404 (FHIR's practice: no
difference between "does not exist" and "may not read") and empty searches, for every
type that holds a person's data. A new type must say where it stands, or this fails.
"""

from types import SimpleNamespace

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken

from relais.access.models import BreakGlassAccess, Consent
from relais.audit.models import AuditEvent, Outcome
from relais.booklet import services as booklet
from relais.interop.fhir import clients, registry, resources
from relais.network import services
from relais.network.models import Person
from tests.relais.interop.fhir.conftest import get_token

pytestmark = pytest.mark.django_db

resources.register_all()

# For each type holding a person's data, the id of Madeleine's object of that type.
ABOUT_MADELEINE = {
    "Patient": lambda hers: hers.madeleine.pk,
    "CareTeam": lambda hers: hers.madeleine.pk,
    "RelatedPerson": lambda hers: hers.daughter.pk,
    "Practitioner": lambda hers: hers.gp.pk,  # seen as her GP
    "Encounter": lambda hers: hers.stay.pk,
    "Consent": lambda hers: hers.consent.pk,
    "Flag": lambda hers: hers.madeleine.pk,  # her safeguarding concern
    "Communication": lambda hers: hers.entry.pk,  # a booklet entry for her whole network
    "AuditEvent": lambda hers: hers.created.pk,  # her record's creation, in "who looked"
    "ServiceRequest": lambda hers: hers.referral.pk,
    "Task": lambda hers: f"referral-{hers.referral.pk}",
    "CarePlan": lambda hers: f"followup-{hers.followup.pk}",
    "QuestionnaireResponse": lambda hers: hers.screening.pk,
}
# The other kind of the types made of two (rows.Parts), in the same matrix.
ABOUT_MADELEINE_TOO = {
    "Task (follow-up contact)": lambda hers: f"contact-{hers.followup.contacts.first().pk}",
    "CarePlan (discharge plan)": lambda hers: f"discharge-{hers.stay.pk}",
}
NOT_ABOUT_A_PERSON = {
    "Organization": "everyone signed in reads the organisations (R21)",
    "PractitionerRole": "a membership, read by colleagues (test_colleagues_read_roles)",
    "HealthcareService": "the directory, read by everyone signed in (R21), as the HSDS API "
                         "publishes it (test_fhir_directory.py)",
    "Location": "the place of an organisation offering a listing (test_fhir_directory.py)",
    "Questionnaire": "the screening instruments, no secret (test_fhir_care.py)",
}


@pytest.fixture
def hers(madeleine, daughter, gp, stay, world, coordinator, referral, followup,
         social_screening):
    """Her objects of every type; a safeguarding concern whose circle holds the
    home-nursing service."""
    Person.objects.filter(pk=madeleine.pk).update(safeguarding=True)
    madeleine.members.filter(organisation=world.home_nursing).update(
        in_safeguarding_circle=True)
    entry = booklet.write(madeleine, author=coordinator, body="Lambert: new dressing.")
    return SimpleNamespace(madeleine=madeleine, daughter=daughter, gp=gp, stay=stay,
                           consent=Consent.objects.get(person=madeleine), entry=entry,
                           referral=referral, followup=followup, screening=social_screening,
                           created=AuditEvent.objects.get(action="person.create",
                                                          person_id=madeleine.pk))


def test_every_type_is_in_the_matrix():
    assert set(ABOUT_MADELEINE) | set(NOT_ABOUT_A_PERSON) == set(registry.TYPES)


def _refused_organisation(case, world, madeleine, excluded_organisation, coordinator):
    if case == "unrelated":
        return world.care_zone_team
    if case == "excluded":
        return excluded_organisation
    consent = Consent.objects.in_force().get(person=madeleine)
    services.revoke_consent(consent, actor=coordinator)
    return world.home_nursing  # a member of her network, without her consent now


HER_OBJECTS = sorted(ABOUT_MADELEINE.items()) + sorted(ABOUT_MADELEINE_TOO.items())


@pytest.mark.parametrize("type_name, pk_of", HER_OBJECTS, ids=[n for n, _o in HER_OBJECTS])
@pytest.mark.parametrize("case", ["unrelated", "excluded", "no consent"])
def test_a_system_that_may_not_read_her_gets_nothing(
        case, type_name, pk_of, api, world, madeleine, hers, excluded_organisation,
        coordinator):
    type_name = type_name.split()[0]
    caller = api(_refused_organisation(case, world, madeleine, excluded_organisation,
                                       coordinator))
    pk = pk_of(hers)
    denied_before = AuditEvent.objects.filter(outcome=Outcome.DENIED).count()

    read = caller.get(f"/fhir/{type_name}/{pk}")
    found = caller.get(f"/fhir/{type_name}", {"_id": pk})

    assert read.status_code == 404
    assert read.json()["issue"][0]["code"] == "not-found"
    assert found.status_code == 200
    assert found.json()["total"] == 0
    assert "Lambert" not in read.content.decode() + found.content.decode()
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() == denied_before + 1


@pytest.mark.parametrize("type_name, pk_of", HER_OBJECTS, ids=[n for n, _o in HER_OBJECTS])
def test_a_member_of_her_network_reads_her(type_name, pk_of, api, world, hers):
    type_name = type_name.split()[0]
    caller = api(world.home_nursing)
    pk = pk_of(hers)

    read = caller.get(f"/fhir/{type_name}/{pk}")
    found = caller.get(f"/fhir/{type_name}", {"_id": pk})

    assert read.status_code == 200, read.content
    assert read.json()["id"] == str(pk)
    assert found.json()["total"] == 1


def test_the_excluded_organisation_is_never_in_her_care_team(api, world, madeleine,
                                                               excluded_organisation):
    team = api(world.coordination_centre).get(f"/fhir/CareTeam/{madeleine.pk}").json()

    members = {p["member"]["reference"] for p in team["participant"]}
    assert f"Organization/{excluded_organisation.pk}" not in members
    assert f"Organization/{world.home_nursing.pk}" in members
    assert f"Patient/{madeleine.pk}" in members  # the person, her own contact point
    contact = next(p for p in team["participant"]
                   if p["member"]["reference"] == f"Patient/{madeleine.pk}")
    assert contact["role"][0]["coding"][0]["code"] == "contact-point"


def test_colleagues_read_roles(api, world, coordinator, gp):
    caller = api(world.coordination_centre)

    roles = caller.get("/fhir/PractitionerRole").json()

    practitioners = {e["resource"]["practitioner"]["reference"] for e in roles["entry"]}
    assert practitioners == {f"Practitioner/{coordinator.pk}"}


def test_a_read_is_audited_under_the_client_for_its_organisation(api, world, madeleine):
    caller = api(world.home_nursing)

    caller.get(f"/fhir/Patient/{madeleine.pk}")

    event = AuditEvent.objects.filter(action="person.read", person_id=madeleine.pk).get()
    client_id = caller.system.application.client_id.lower()
    assert event.actor_label == f"fhir.{client_id}@clients.relais.invalid"
    assert event.actor.first_name == "Home Nursing Test system"
    assert event.organisation == world.home_nursing


def test_a_search_is_audited_naming_the_persons_shown(api, world, madeleine):
    api(world.home_nursing).get("/fhir/Patient", {"family": "lamb"})

    event = AuditEvent.objects.get(action="person.search")
    assert event.detail["persons"] == [madeleine.pk]
    assert "lamb" not in str(event.detail)  # the query is not kept


def test_a_system_never_breaks_the_glass(api, world, madeleine):
    caller = api(world.care_zone_team)
    account = caller.system.account

    assert not account.has_usable_password()  # it can never sign in to the pages
    assert not account.check_password("")
    assert caller.get(f"/fhir/Patient/{madeleine.pk}").status_code == 404
    assert not BreakGlassAccess.objects.filter(user=account).exists()


def test_a_signed_in_user_reads_through_the_same_gate(client, gp, outsider, madeleine):
    client.force_login(gp)
    assert client.get(f"/fhir/Patient/{madeleine.pk}").status_code == 200

    client.force_login(outsider)
    assert client.get(f"/fhir/Patient/{madeleine.pk}").status_code == 404


def test_no_credentials_is_a_401_with_an_operation_outcome(client, madeleine):
    response = client.get(f"/fhir/Patient/{madeleine.pk}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_token_reads_only_what_its_scopes_allow(api, world, madeleine):
    caller = api(world.coordination_centre, scope="system/Patient.rs")

    assert caller.get(f"/fhir/Patient/{madeleine.pk}").status_code == 200
    refused = caller.get(f"/fhir/CareTeam/{madeleine.pk}")
    assert refused.status_code == 403
    assert 'insufficient_scope' in refused["WWW-Authenticate"]


def test_a_client_gets_no_scope_beyond_its_registration(system_client, world):
    client, secret = system_client(world.coordination_centre, "system/Patient.rs")
    credentials = {"grant_type": "client_credentials", "scope": "system/CareTeam.rs",
                   "client_id": client.application.client_id, "client_secret": secret}

    response = Client().post("/fhir/auth/token", credentials)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert get_token(client.application.client_id, secret)["scope"] == "system/Patient.rs"


def test_a_revoked_client_is_refused_at_once(api, world, madeleine):
    caller = api(world.coordination_centre)
    clients.revoke_client(caller.system)

    response = caller.get(f"/fhir/Patient/{madeleine.pk}")
    assert response.status_code == 401
    assert not AccessToken.objects.filter(application=caller.system.application).exists()


def test_the_hospital_reads_its_stay_and_the_visit_number_finds_it(api, world, stay):
    caller = api(world.hospital)

    found = caller.get("/fhir/Encounter", {"identifier": "V-2026-001", "status": "in-progress"})

    encounter = found.json()["entry"][0]["resource"]
    assert encounter["id"] == str(stay.pk)
    assert encounter["serviceProvider"] == {"reference": f"Organization/{world.hospital.pk}"}
    assert encounter["priority"]["coding"][0]["code"] == "EM"


def test_only_the_safeguarding_circle_reads_the_flag(api, world, hers):
    in_circle, not_in_circle = api(world.home_nursing), api(world.coordination_centre)
    flag = f"/fhir/Flag/{hers.madeleine.pk}"

    assert in_circle.get(flag).status_code == 200
    assert not_in_circle.get(f"/fhir/Patient/{hers.madeleine.pk}").status_code == 200
    assert not_in_circle.get(flag).status_code == 404
    assert not_in_circle.get("/fhir/Flag").json()["total"] == 0


def test_a_portal_account_never_reads_the_flag(client, caregiver, hers):
    member = hers.daughter
    member.user = caregiver
    member.in_safeguarding_circle = True
    member.save()
    client.force_login(caregiver)

    assert client.get(f"/fhir/Patient/{hers.madeleine.pk}").status_code == 200
    assert client.get(f"/fhir/Flag/{hers.madeleine.pk}").status_code == 404
