"""A person with a realistic network, for the network tests.

Madeleine Lambert lives alone. Her record is kept by the coordination centre (the
coordinator opened it). Her GP is a member in person, the home-nursing service as an
organisation, her daughter (the `caregiver` persona's account) is caregiver and trusted
person. A former physiotherapist left the network; a nephew's social worker was excluded
at her request. She consented to share with her network.
"""

from datetime import date

import pytest

from relais.access.models import ConsentScope
from relais.accounts.models import Function
from relais.network import services
from relais.network.models import MemberKind, Relation, Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

NETWORK_PERSONAS = ["coordinator", "gp", "home_nurse", "caregiver", "liaison_nurse", "analyst",
                    "platform_admin", "outsider", "former_member", "excluded_pro", "anonymous"]


@pytest.fixture
def former_member(world):
    user = UserFactory(email="physio@test.relais.example")
    MembershipFactory(user=user, organisation=OrganisationFactory(name="Physio Test"),
                      function=Function.PHYSIOTHERAPIST)
    return user


@pytest.fixture
def excluded_pro(world):
    user = UserFactory(email="excluded@test.relais.example")
    MembershipFactory(user=user, organisation=OrganisationFactory(name="Social Test"),
                      function=Function.SOCIAL_WORKER)
    return user


@pytest.fixture
def madeleine(world, coordinator, gp, home_nurse, caregiver, former_member, excluded_pro):
    person = services.create_person(
        {"first_name": "Madeleine", "last_name": "Lambert", "birth_date": date(1941, 3, 2),
         "sex": "F", "niss": "41030200244", "living_situation": "alone",
         "priority_groups": ["elderly"]},
        actor=coordinator, organisation=world.coordination_centre)
    services.record_consent(person, scope=ConsentScope.NETWORK, given_by="Madeleine Lambert",
                            given_on=date(2026, 11, 1), actor=coordinator)
    services.add_member(person, kind=MemberKind.PROFESSIONAL, user=gp, roles=[Role.GP],
                        actor=coordinator)
    services.add_member(person, kind=MemberKind.ORGANISATION, organisation=world.home_nursing,
                        roles=[Role.HOME_NURSE], actor=coordinator)
    services.add_member(person, kind=MemberKind.INFORMAL, user=caregiver, name="Sophie Lambert",
                        relation=Relation.CHILD, phone="+32 470 00 00 01",
                        roles=[Role.INFORMAL_CAREGIVER, Role.TRUSTED_PERSON],
                        actor=coordinator)
    former = services.add_member(person, kind=MemberKind.PROFESSIONAL, user=former_member,
                                 roles=[Role.PHYSIOTHERAPIST], actor=coordinator)
    services.end_member(former, actor=coordinator)
    excluded = services.add_member(person, kind=MemberKind.PROFESSIONAL, user=excluded_pro,
                                   roles=[Role.SOCIAL_WORKER], actor=coordinator)
    services.exclude_member(excluded, actor=coordinator)
    return person


@pytest.fixture
def member_of(madeleine):
    def find(**lookup):
        return madeleine.members.get(**lookup)

    return find
