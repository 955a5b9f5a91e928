"""Who reads who was told what about a person (GDPR art. 15(1)(c); `rules.py`, shown on the
person's copy of their data): the person, their contact point, and whoever exercises the
person's rights in their name now (network.rules._represents: the representative with a
mandate in force or the administrator with a court order in force while the person is
judged unable, a minor's legal representative unless the minor is judged able); never
professionals, and never the notifications to someone the person excluded.

Madeleine Lambert's network (tests/relais/network/conftest.py): she is her own contact
point; her daughter (the `caregiver` persona) is caregiver and trusted person; her GP, the
home-nursing service and the coordination centre; a physiotherapist who left; a social
worker she excluded. Each was told when they joined ("network.added").
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone

from relais.access.models import ConsentScope
from relais.network import rules as network_rules
from relais.network import services as network
from relais.network.models import MemberKind, MemberRole, Person, Relation, Role, minor_on
from relais.notifications import kinds, rules
from relais.notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of

pytestmark = pytest.mark.django_db


def recipients(user, person) -> set:
    return set(rules.visible_disclosures(user, Notification.objects.filter(person=person))
               .values_list("recipient_id", flat=True))


@pytest.fixture
def daughter(member_of):
    return member_of(name="Sophie Lambert")


@pytest.fixture
def mandated(madeleine, daughter, coordinator):
    """Her daughter is her representative by a mandate in force."""
    today = timezone.localdate()
    return network.record_mandate(
        madeleine, representative=daughter, scope="Health", signed_on=today,
        signed_by_person=True, signed_by_representative=True, starts_on=today,
        actor=coordinator)


def assess(person, finding: str, *, actor, days_ago: int = 0, review_in: int | None = 30):
    today = timezone.localdate()
    return network.record_assessment(
        person, finding=finding, assessed_by="Dr Janssens",
        assessed_on=today - timedelta(days=days_ago),
        review_by=None if review_in is None else today + timedelta(days=review_in),
        actor=actor)


def test_the_contact_point_reads_every_recipient_but_the_excluded(
        madeleine, daughter, caregiver, coordinator, gp, former_member, excluded_pro):
    assert not rules.reads_disclosures(caregiver, madeleine)
    assert recipients(caregiver, madeleine) == set()
    network.set_contact_point(daughter, actor=coordinator)
    assert rules.reads_disclosures(caregiver, madeleine)
    assert recipients(caregiver, madeleine) == {gp.pk, caregiver.pk, former_member.pk}
    assert Notification.objects.filter(person=madeleine, recipient=excluded_pro).exists()


def test_a_representative_reads_them_only_while_they_may_act(
        madeleine, caregiver, coordinator, mandated):
    assert not rules.reads_disclosures(caregiver, madeleine)  # able: she reads her own
    assess(madeleine, "unable", actor=coordinator)
    assert rules.reads_disclosures(caregiver, madeleine)
    assert caregiver.pk in recipients(caregiver, madeleine)
    assess(madeleine, "able", actor=coordinator)
    # The latest assessment decides (the same day: the one recorded last).
    assert not rules.reads_disclosures(caregiver, madeleine)


def test_an_unable_finding_past_its_review_date_gives_the_representative_nothing(
        madeleine, caregiver, coordinator, mandated):
    assess(madeleine, "unable", actor=coordinator, days_ago=60, review_in=-1)
    assert not rules.reads_disclosures(caregiver, madeleine)
    assess(madeleine, "unable", actor=coordinator, review_in=None)
    assert rules.reads_disclosures(caregiver, madeleine)


def test_the_role_without_a_mandate_in_force_gives_nothing(madeleine, daughter, caregiver,
                                                            coordinator, mandated):
    assess(madeleine, "unable", actor=coordinator)
    network.revoke_mandate(mandated, actor=coordinator)
    assert Role.REPRESENTATIVE in daughter.role_codes()
    assert not rules.reads_disclosures(caregiver, madeleine)
    assert recipients(caregiver, madeleine) == set()


def test_an_organisation_she_excluded_takes_its_staff_off_the_list(
        madeleine, daughter, caregiver, coordinator, world):
    network.set_contact_point(daughter, actor=coordinator)
    staff = UserFactory()
    MembershipFactory(user=staff, organisation=world.home_nursing)
    from_the_service = Notification.objects.create(recipient=staff, kind="booklet.alert",
                                                   person=madeleine)
    assert staff.pk in recipients(caregiver, madeleine)
    network.exclude_member(madeleine.members.get(organisation=world.home_nursing),
                           actor=coordinator)
    assert staff.pk not in recipients(caregiver, madeleine)
    assert Notification.objects.filter(pk=from_the_service.pk).exists()  # kept, unshown


@pytest.mark.parametrize("reader", ["coordinator", "gp", "home_nurse", "liaison_nurse",
                                    "outsider", "former_member", "excluded_pro"])
def test_professionals_and_others_read_none(madeleine, request, reader):
    user = request.getfixturevalue(reader)
    assert not rules.reads_disclosures(user, madeleine)
    assert recipients(user, madeleine) == set()


def test_a_professional_contact_point_in_person_reads_them(madeleine, gp, coordinator,
                                                           member_of):
    network.set_contact_point(member_of(user=gp), actor=coordinator)
    assert rules.reads_disclosures(gp, madeleine)


def test_anonymous_reads_none(madeleine):
    assert not rules.reads_disclosures(AnonymousUser(), madeleine)
    assert not rules.visible_disclosures(AnonymousUser(), Notification.objects.all()).exists()


def test_every_kind_has_a_label_and_an_unknown_one_reads_as_other_news():
    assert all(str(kind.label) for kind in kinds.KINDS.values())
    with pytest.raises(ValueError, match="a kind needs a label"):
        kinds.Kind("test.unlabelled", "booklet", "Something.")
    assert Notification(kind="referral.declined").kind_label == "Referral declined"
    assert Notification(kind="gone.away").kind_label == "Other news"


# --- legal representatives without a mandate: the court's administrator, a minor's parents
# (network.rules._represents, DOMAIN.md §1). The same rule opens the copy of the data and
# "who looked at this record": the three forms of it answer alike.


def acts_for(user, person) -> bool:
    """Whether `user` speaks for `person`, asked of each form of the rule: who was told
    what, "who looked at this record" for one person and as a list (the FHIR API's)."""
    answers = {rules.reads_disclosures(user, person),
               network_rules.may_see_access_log(user, person),
               person.pk in set(network_rules.access_log_persons(user).values_list("pk",
                                                                                  flat=True))}
    assert len(answers) == 1, "the forms of the rule disagree"
    return answers.pop()


def order_for(person, member, *, actor, ordered_days_ago=0, starts_in=0, ends_in=None):
    """The justice of the peace's order naming `member` administrator of the person,
    authorised to exercise their patient rights."""
    today = timezone.localdate()
    return network.record_protection_order(
        person, administrator=member, court="Justice of the peace, 2nd canton of Brussels",
        ordered_on=today - timedelta(days=ordered_days_ago), covers_patient_rights=True,
        starts_on=today + timedelta(days=starts_in),
        ends_on=None if ends_in is None else today + timedelta(days=ends_in), actor=actor)


def test_the_administrator_acts_only_with_a_court_order_in_force_while_she_is_unable(
        madeleine, daughter, caregiver, coordinator):
    MemberRole.objects.create(member=daughter, role=Role.ADMINISTRATOR)
    assess(madeleine, "unable", actor=coordinator)
    assert not acts_for(caregiver, madeleine)  # the role alone: no order recorded
    order = order_for(madeleine, daughter, actor=coordinator)
    assert acts_for(caregiver, madeleine)
    assert caregiver.pk in recipients(caregiver, madeleine)
    assess(madeleine, "able", actor=coordinator)
    assert not acts_for(caregiver, madeleine)  # she exercises her rights herself again
    assess(madeleine, "unable", actor=coordinator)
    network.lift_protection_order(order, actor=coordinator)
    assert not acts_for(caregiver, madeleine)  # the court ended the protection


def test_an_order_not_yet_or_no_longer_in_force_gives_the_administrator_nothing(
        madeleine, daughter, caregiver, coordinator):
    assess(madeleine, "unable", actor=coordinator)
    order_for(madeleine, daughter, actor=coordinator, starts_in=1)
    assert not acts_for(caregiver, madeleine)
    order_for(madeleine, daughter, actor=coordinator, ordered_days_ago=60, starts_in=-60,
              ends_in=-1)
    assert not acts_for(caregiver, madeleine)
    order_for(madeleine, daughter, actor=coordinator, ordered_days_ago=60, starts_in=-60,
              ends_in=0)  # its last day
    assert acts_for(caregiver, madeleine)


def test_a_trusted_person_decides_nothing_in_her_place(madeleine, daughter, caregiver,
                                                      coordinator):
    assert Role.TRUSTED_PERSON in daughter.role_codes()
    assess(madeleine, "unable", actor=coordinator)
    assert not acts_for(caregiver, madeleine)


def test_an_adults_relative_in_the_laws_order_gets_no_copy_from_relais(
        madeleine, daughter, caregiver, coordinator):
    """The law's order (partner, adult child, ...) applies when a practitioner turns to
    them, which nothing in Relais records: the professionals hand them the copy."""
    MemberRole.objects.create(member=daughter, role=Role.LEGAL_REPRESENTATIVE)
    assess(madeleine, "unable", actor=coordinator)
    assert not acts_for(caregiver, madeleine)


def test_a_professional_of_the_network_never_speaks_for_her_by_a_legal_role(
        madeleine, gp, coordinator, member_of):
    """A court order names her GP (the form offers only relatives and friends): the rule
    still gives the GP no one else's notifications; the access log they read as a
    professional who keeps the record."""
    assess(madeleine, "unable", actor=coordinator)
    order_for(madeleine, member_of(user=gp), actor=coordinator)
    assert not rules.reads_disclosures(gp, madeleine)
    assert recipients(gp, madeleine) == set()


@pytest.fixture
def lucas(world, coordinator, gp, caregiver):
    """Lucas, ten: his mother (the `caregiver` login) is his legal representative; his GP
    follows him. His parents consented to share with the network."""
    today = timezone.localdate()
    person = network.create_person(
        {"first_name": "Lucas", "last_name": "Lambert", "sex": "M",
         "birth_date": today.replace(year=today.year - 10, day=min(today.day, 28))},
        actor=coordinator, organisation=world.coordination_centre)
    network.record_consent(person, scope=ConsentScope.NETWORK, given_by="Sophie Lambert",
                           given_on=today, actor=coordinator)
    network.add_member(person, kind=MemberKind.INFORMAL, user=caregiver, name="Sophie Lambert",
                       relation=Relation.PARENT, roles=[Role.LEGAL_REPRESENTATIVE],
                       actor=coordinator)
    network.add_member(person, kind=MemberKind.PROFESSIONAL, user=gp, roles=[Role.GP],
                       actor=coordinator)
    return person


def born(person, day) -> None:
    Person.objects.filter(pk=person.pk).update(birth_date=day)
    person.refresh_from_db()


def test_a_minors_legal_representative_acts_until_he_is_judged_able(lucas, caregiver,
                                                                     coordinator, gp):
    assert acts_for(caregiver, lucas)
    assert recipients(caregiver, lucas) == {caregiver.pk, gp.pk}
    assess(lucas, "unable", actor=coordinator)
    assert acts_for(caregiver, lucas)
    assess(lucas, "able", actor=coordinator)  # he exercises his rights himself
    assert not acts_for(caregiver, lucas)


def test_a_minors_legal_representative_acts_until_he_turns_18(lucas, caregiver):
    today = timezone.localdate()
    try:
        eighteenth_birthday_today = today.replace(year=today.year - 18)
    except ValueError:  # 29 February: born on the 28th, 18 today
        eighteenth_birthday_today = today.replace(year=today.year - 18, day=28)
    born(lucas, eighteenth_birthday_today + timedelta(days=1))
    assert acts_for(caregiver, lucas)  # 18 tomorrow
    born(lucas, eighteenth_birthday_today)
    assert not acts_for(caregiver, lucas)
    born(lucas, None)  # not known to be a minor
    assert not acts_for(caregiver, lucas)


def test_on_29_february_whoever_was_born_on_28_february_18_years_before_is_18():
    assert minor_on(date(2028, 2, 29)) == Q(birth_date__gt=date(2010, 2, 28))
    assert minor_on(date(2026, 12, 6), field="person__birth_date") == Q(
        person__birth_date__gt=date(2008, 12, 6))


@pytest.mark.parametrize("holder", ["trusted_person", "professional", "excluded"])
def test_who_else_holds_a_role_for_a_minor_reads_nothing(lucas, caregiver, gp, coordinator,
                                                         holder):
    parent = lucas.members.get(user=caregiver)
    if holder == "trusted_person":
        network.update_member(parent, roles=[Role.TRUSTED_PERSON], actor=coordinator)
        user = caregiver
    elif holder == "professional":
        network.update_member(lucas.members.get(user=gp),
                              roles=[Role.GP, Role.LEGAL_REPRESENTATIVE], actor=coordinator)
        user = gp
    else:
        network.exclude_member(parent, actor=coordinator)
        user = caregiver
    assert not rules.reads_disclosures(user, lucas)
    assert recipients(user, lucas) == set()
