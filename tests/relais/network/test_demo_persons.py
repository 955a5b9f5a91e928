"""The demo persons: numbers that validate, every story present, the access rules at work."""

from datetime import date

import pytest
from django.db import transaction

from relais.access.models import Consent, ConsentScope
from relais.access.policy import member_organisation_ids
from relais.accounts import demo
from relais.accounts.models import Organisation, User
from relais.network import legal
from relais.network.demo import PERSONS, load_demo_persons, niss_for
from relais.network.models import (
    LivingSituation,
    MemberKind,
    NetworkMember,
    Person,
    PriorityGroup,
    Relation,
    Role,
)
from relais.network.validators import check_niss_matches, validate_niss

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    """The demo loaded once for the module (2.5 s), in a transaction rolled back at its end;
    each test runs in its own savepoint inside it, as usual."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo.load_demo()
        yield load_demo_persons()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo_once, db):
    return demo_once


def organisation(key):
    base = next(o.kbo_base for o in demo.ORGANISATIONS if o.key == key)
    return Organisation.objects.get(kbo_number=demo.kbo(base))


def user(local_part):
    return User.objects.get(email=f"{local_part}@{demo.DEMO_DOMAIN}")


def members_with_roles(*roles, **lookup):
    """Active members holding every one of `roles` (and matching `lookup`)."""
    found = NetworkMember.objects.active().filter(**lookup)
    for role in roles:
        found = found.filter(roles__role=role)
    return found


def test_creates_the_persons_once(loaded):
    assert loaded == len(PERSONS) >= 38
    assert Person.objects.count() == loaded
    assert load_demo_persons() == 0
    assert Person.objects.count() == loaded


def test_every_national_number_is_valid_and_matches_birth_date_and_sex(loaded):
    with_number = Person.objects.exclude(niss="")
    assert with_number.count() >= loaded - 2
    for person in with_number:
        validate_niss(person.niss)
        assert check_niss_matches(person.niss, person.birth_date, person.sex) == [], person


@pytest.mark.parametrize(("born", "sex", "expected"), [
    ((1941, 3, 2), "F", "41030200244"),  # the tests' Madeleine: serial 2
    ((1985, 7, 30), "M", "85073003328"),  # the form's example 85.07.30-033.28
])
def test_niss_for_computes_the_check_digits(born, sex, expected):
    serial = (int(expected[6:9]) - (1 if sex == "M" else 2)) // 2
    assert niss_for(date(*born), sex, serial) == expected


def test_births_from_2000_use_the_2_prefix(loaded):
    young = Person.objects.filter(birth_date__year__gte=2000).exclude(niss="")
    assert young.exists()
    for person in young:
        assert check_niss_matches(person.niss, person.birth_date, person.sex) == []
        first9 = int(person.niss[:9])
        assert int(person.niss[9:]) == 97 - (2_000_000_000 + first9) % 97


def test_story_a_daughter_is_caregiver_trusted_person_and_contact_point(loaded):
    daughters = members_with_roles(
        Role.INFORMAL_CAREGIVER, Role.TRUSTED_PERSON, kind=MemberKind.INFORMAL,
        relation=Relation.CHILD, is_contact_point=True, user__isnull=True,
        person__living_situation=LivingSituation.ALONE)
    assert daughters.exists()
    daughter = daughters.first()
    # She replaced the person as contact point: exactly one contact point remains.
    assert daughter.person.members.active().filter(is_contact_point=True).count() == 1
    assert daughter.person.members.get(relation=Relation.SELF).is_contact_point is False


def test_story_b_a_son_is_the_designated_representative(loaded):
    son = members_with_roles(Role.REPRESENTATIVE, kind=MemberKind.INFORMAL,
                             relation=Relation.CHILD, never_inform=False).get()
    mandate = son.mandates.get()  # as the law asks, and the person page warns without one
    assert (mandate.in_force, mandate.signed_by_person, mandate.person) == (
        True, True, son.person)
    assert legal.missing_mandates([son], [mandate]) == []


def test_story_c_an_isolated_person_with_only_professionals(loaded):
    isolated = [p for p in Person.objects.filter(living_situation=LivingSituation.ALONE)
                if PriorityGroup.ISOLATED in p.priority_groups]
    only_professionals = [
        p for p in isolated
        if not p.members.active().filter(kind=MemberKind.INFORMAL)
        .exclude(relation=Relation.SELF).exists()
        and p.members.active().filter(kind=MemberKind.PROFESSIONAL).exists()]
    assert only_professionals


def test_story_d_safeguarding_with_the_shelter_in_the_circle_and_partner_excluded(loaded):
    shelter = organisation("dv")
    person = Person.objects.get(
        safeguarding=True,
        members__organisation=shelter, members__in_safeguarding_circle=True)
    excluded = person.members.get(kind=MemberKind.INFORMAL, relation=Relation.PARTNER)
    assert excluded.never_inform is True
    assert excluded.in_safeguarding_circle is False
    assert excluded.is_contact_point is False


def test_story_e_homeless_without_national_number(loaded):
    homeless = Person.objects.filter(niss="", living_situation=LivingSituation.HOMELESS,
                                     members__organisation=organisation("cpas")).distinct()
    found = [p for p in homeless if PriorityGroup.HOMELESS in p.priority_groups]
    assert found
    assert found[0].birth_date is None


def test_story_f_without_consent_only_the_coordination_centre_sees_it(loaded):
    without_consent = Person.objects.exclude(pk__in=Consent.objects.values("person_id"))
    assert without_consent.count() == 1
    person = without_consent.get()
    centre = organisation("coordination")
    assert person.owner_organisation == centre
    # The GP is in the network, yet does not see the record before consent.
    assert person.members.filter(user=user("gp")).exists()
    assert not Person.objects.visible_to(user("gp")).filter(pk=person.pk).exists()
    assert Person.objects.visible_to(user("coordinator")).filter(pk=person.pk).exists()


def test_story_g_the_hospital_liaison_is_a_member(loaded):
    assert NetworkMember.objects.active().filter(
        kind=MemberKind.PROFESSIONAL, user=user("liaison"), never_inform=False).exists()


def test_the_coordinator_sees_every_record_of_the_coordination_centre(loaded):
    coordinator = user("coordinator")
    kept = Person.objects.filter(owner_organisation=organisation("coordination"))
    assert kept.count() == loaded
    assert set(Person.objects.visible_to(coordinator)) == set(kept)


def test_the_gp_sees_only_consented_persons_whose_network_includes_the_gp(loaded):
    gp = user("gp")
    in_network = NetworkMember.objects.active().filter(never_inform=False).filter(
        user=gp) | NetworkMember.objects.active().filter(
        never_inform=False, organisation_id__in=member_organisation_ids(gp))
    consented = Consent.objects.in_force().filter(scope=ConsentScope.NETWORK)
    expected = set(Person.objects.filter(pk__in=in_network.values("person_id"))
                   .filter(pk__in=consented.values("person_id")))
    seen = set(Person.objects.visible_to(gp))
    assert seen == expected
    assert 0 < len(seen) < loaded
