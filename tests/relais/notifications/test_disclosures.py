"""Who reads who was told what about a person (GDPR art. 15(1)(c); `rules.py`, shown on the
person's copy of their data): the person, their contact point, and a representative while
they may act; never professionals, and never the notifications to someone the person
excluded.

Madeleine Lambert's network (tests/relais/network/conftest.py): she is her own contact
point; her daughter (the `caregiver` persona) is caregiver and trusted person; her GP, the
home-nursing service and the coordination centre; a physiotherapist who left; a social
worker she excluded. Each was told when they joined ("network.added").
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from relais.network import services as network
from relais.network.models import Role
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
