"""A person with a network, and the systems that may or may not read it.

Madeleine Lambert's record is kept by the coordination centre; she consented to share
with her network: her GP (in person), the home-nursing service, her daughter Sophie
(caregiver, trusted person). "Social Excluded" was in the network until she asked never
to inform it. Each organisation may register a system client (`system_client`). Her
care (`referral`, `followup`, `social_screening`): the hospital refers her to the
coordination centre; she was followed at home after an earlier stay; she was screened.
"""

import base64
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from relais.access.models import ConsentScope
from relais.directory import services as directory_services
from relais.directory.models import Category
from relais.followup.models import FollowUp
from relais.interop.fhir import clients
from relais.network import services
from relais.network.models import MemberKind, Relation, Role
from relais.stays import referrals, screening
from relais.stays import services as stay_services
from tests.factories import HospitalFactory, OrganisationFactory

MADELEINE_SSIN = "41030200244"


@pytest.fixture
def excluded_organisation(db):
    return OrganisationFactory(name="Social Excluded")


@pytest.fixture
def madeleine(world, coordinator, gp, excluded_organisation):
    person = services.create_person(
        {"first_name": "Madeleine", "last_name": "Lambert", "birth_date": date(1941, 3, 2),
         "sex": "F", "niss": MADELEINE_SSIN, "phone": "+32 2 555 00 00",
         "street": "Rue Haute 1", "postcode": "1000"},
        actor=coordinator, organisation=world.coordination_centre)
    services.record_consent(person, scope=ConsentScope.NETWORK, given_by="Madeleine Lambert",
                            given_on=date(2026, 1, 5), actor=coordinator)
    services.add_member(person, kind=MemberKind.PROFESSIONAL, user=gp, roles=[Role.GP],
                        actor=coordinator)
    services.add_member(person, kind=MemberKind.ORGANISATION, organisation=world.home_nursing,
                        roles=[Role.HOME_NURSE], actor=coordinator)
    services.add_member(person, kind=MemberKind.INFORMAL, name="Sophie Lambert",
                        relation=Relation.CHILD, phone="+32 470 00 00 01",
                        roles=[Role.INFORMAL_CAREGIVER, Role.TRUSTED_PERSON],
                        actor=coordinator)
    excluded = services.add_member(person, kind=MemberKind.ORGANISATION,
                                   organisation=excluded_organisation,
                                   roles=[Role.SOCIAL_WORKER], actor=coordinator)
    services.exclude_member(excluded, actor=coordinator)
    return person


@pytest.fixture
def daughter(madeleine):
    return madeleine.members.get(name="Sophie Lambert")


@pytest.fixture
def stay(madeleine, world, liaison_nurse):
    """Madeleine is in the hospital now."""
    return stay_services.open_stay(madeleine, hospital=world.hospital, ward=world.ward,
                                   visit_number="V-2026-001", admission_type="emergency",
                                   actor=liaison_nurse)


@pytest.fixture
def referral(madeleine, stay, world, liaison_nurse, platform_admin):
    """The hospital refers her to the coordination centre, with her agreement."""
    service = directory_services.create_service(
        world.coordination_centre,
        {"category": Category.HOME_CARE_COORDINATION, "name_fr": "Coordination Test",
         "name_nl": "Coördinatie Test", "languages": ["fr", "nl"],
         "serves_all_brussels": True}, actor=platform_admin)
    return referrals.send(
        person=madeleine, service=service, urgency="72h", actor=liaison_nurse,
        sender_organisation=world.hospital, stay=stay, person_agrees=True,
        needs={"help_needed": "Coordinate home care", "frequency": "daily",
               "start_on": timezone.localdate() + timedelta(days=3),
               "reason": "Lives alone; no caregiver nearby",
               "person_wishes": "Lambert wants to go home"})


@pytest.fixture
def followup(madeleine):
    """Ten days ago she went home from another hospital: a follow-up with its contacts."""
    clinic = HospitalFactory(name="Clinique Test")
    earlier = stay_services.open_stay(madeleine, hospital=clinic,
                                      admitted_at=timezone.now() - timedelta(days=20))
    stay_services.discharge(earlier, discharged_at=timezone.now() - timedelta(days=10),
                            destination="home", reason="test")
    return FollowUp.objects.get(stay=earlier)


SOCIAL_ANSWERS = {
    "living": "alone", "caregiver": "none", "contacts": "rarely", "network": "no",
    "psychosocial": "some", "cognition": "no", "housing": "ready", "finances": "no",
    "language": "yes", "refusal": "no", "dependants": "no", "priority": "yes",
    "violence": "suspected"}


@pytest.fixture
def social_screening(stay, world, liaison_nurse):
    """At admission: she lives alone with no caregiver, and domestic violence is suspected
    (a restricted finding)."""
    return screening.record_screening(stay, "relais-social", SOCIAL_ANSWERS,
                                      actor=liaison_nurse, organisation=world.hospital)


@pytest.fixture
def system_client(db):
    """`system_client(organisation, scopes=...)` → (SystemClient, secret)."""

    def make(organisation, allowed="system/*.rs"):
        return clients.register_client(name=f"{organisation.name} system",
                                       organisation=organisation, allowed=allowed)

    return make


@pytest.fixture
def api(system_client):
    """`api(organisation)` → a Client whose requests carry a fresh access token of a
    system client acting for `organisation` (got from the token endpoint)."""

    def make(organisation, allowed="system/*.rs", scope=None, language="en"):
        client, secret = system_client(organisation, allowed)
        token = get_token(client.application.client_id, secret, scope)["access_token"]
        caller = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language)
        caller.system = client
        return caller

    return make


def get_token(client_id: str, secret: str, scope: str | None = None) -> dict:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = Client().post("/fhir/auth/token", data,
                             HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 200, response.content
    return response.json()
