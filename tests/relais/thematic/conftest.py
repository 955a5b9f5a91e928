"""The thematic consultations' world: the personas' care zone is South-East (the test
organisations are in Woluwe-Saint-Lambert); a second zone, North, has its own support
team and a manager, who must not run or (for the manager) read South-East's sessions."""

from datetime import date

import pytest

from relais.accounts.models import Function, OrganisationType
from relais.core.models import CareZone
from relais.thematic.models import (
    ActionStatus,
    Finding,
    JointAction,
    Section,
    SectorCount,
    ThematicSession,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    brussels_municipality,
)


@pytest.fixture
def south_east(db):
    return CareZone.objects.get(code="south-east")


@pytest.fixture
def north_team(db):
    return OrganisationFactory(name="North Team", type=OrganisationType.CARE_ZONE_TEAM,
                               municipality=brussels_municipality("21010"), postcode="1090")


@pytest.fixture
def north_analyst(north_team):
    user = UserFactory(email="north-analyst@test.relais.example")
    MembershipFactory(user=user, organisation=north_team, function=Function.CARE_ZONE_ANALYST)
    return user


@pytest.fixture
def north_manager(db):
    organisation = OrganisationFactory(name="North Nursing",
                                       municipality=brussels_municipality("21010"),
                                       postcode="1090")
    user = UserFactory(email="north-manager@test.relais.example")
    MembershipFactory(user=user, organisation=organisation, function=Function.MANAGER,
                      is_manager=True)
    return user


@pytest.fixture
def session(world, south_east):
    """A South-East session in Dutch with a finding per section and one action owned by
    the coordination centre, due in the past."""
    session = ThematicSession.objects.create(
        care_zone=south_east, language="nl", theme_nl="Ontslag en mantelzorg",
        theme_fr="Sortie et aidants", held_on=date(2026, 4, 22), place="Tombergstraat 1",
        review_themes=["isolation"], next_on=date(2027, 3, 2), next_hours="13.00–16.00",
        next_place="Kerselarenlaan 241")
    SectorCount.objects.create(session=session, sector=OrganisationType.HOSPITAL,
                               organisations=2, participants=5)
    SectorCount.objects.create(session=session, sector=OrganisationType.HOME_NURSING,
                               organisations=1, participants=3)
    Finding.objects.create(session=session, section=Section.NEEDS, position=1,
                           text_nl="Mantelzorgers missen informatie.",
                           text_fr="Les aidants manquent d'information.",
                           requirements=["R15"])
    Finding.objects.create(session=session, section=Section.OFFER, position=1,
                           text_nl="Weinig samenwerking.", requirements=["R8"])
    Finding.objects.create(session=session, section=Section.PROSPECTS, position=1,
                           text_nl="Waakzaamheid voor geïsoleerden.",
                           text_fr="Vigilance envers les isolés.")
    action = JointAction.objects.create(
        session=session, position=1, title_nl="Infofiche voor mantelzorgers",
        title_fr="Fiche d'information pour les aidants", owner=world.coordination_centre,
        due_on=date(2026, 9, 1), status=ActionStatus.IN_PROGRESS)
    action.partners.set([world.hospital])
    return session


@pytest.fixture
def action(session):
    return session.actions.get()


@pytest.fixture
def decision_maker(world):
    """An alderman's read-only account, at an organisation of the zone."""
    office = OrganisationFactory(name="Cabinet de l'échevin", type=OrganisationType.OTHER)
    user = UserFactory(email="alderman@test.relais.example")
    MembershipFactory(user=user, organisation=office, function=Function.DECISION_MAKER)
    return user
