"""The gate's statements kept across requests (issue 13's "my work" p95, issue 15): a
work list's statement is built once per user, day and filters, and whatever the rows say
(consents, exclusions, network members, break-the-glass) still shows on the very next
request; what the statement is built from in Python (the memberships) changes the key."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from relais.access import decisions
from relais.access import persons as persons_module
from relais.access.models import BreakGlassAccess, ConsentScope
from relais.accounts.models import Membership
from relais.followup import work
from relais.followup.models import Channel, Contact, FollowUp, Protocol, Watch
from relais.network import services
from tests.conftest import login_as
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_statement_kept_before():
    """These tests count the statements built: none kept by an earlier test, not even
    those built per shape of user (tests/conftest.py keeps them otherwise)."""
    decisions.forget_statements()

TODAY = timezone.localdate


@pytest.fixture
def contact(madeleine, world):
    """A follow-up contact of the GP practice's for Madeleine, due today."""
    followup = FollowUp.objects.create(person=madeleine, started_on=TODAY(),
                                       protocol=Protocol.objects.create(family="t", name="T"))
    return Contact.objects.create(followup=followup, channel=Channel.PHONE, due_on=TODAY(),
                                  owner_organisation=world.gp_practice)


def listed(user) -> list[int]:
    with decisions.counting() as built:
        items = work.items_for(user, audit_as=None).items
    return [item.pk for item in items], built["statement"]


def test_the_second_list_reuses_the_statement_and_reads_the_same(gp, contact, client):
    assert listed(gp) == ([contact.pk], 1)
    assert listed(gp) == ([contact.pk], 0)
    page = login_as(client, gp).get(reverse("followup:my_work"))  # a request: the same
    assert page.status_code == 200 and "Madeleine Lambert" in page.content.decode()


def test_a_consent_withdrawn_after_the_statement_was_kept_shows_at_once(
        gp, coordinator, madeleine, contact):
    assert listed(gp) == ([contact.pk], 1)
    services.revoke_consent(madeleine.consents.get(scope=ConsentScope.NETWORK),
                            actor=coordinator)
    assert listed(gp) == ([], 0)  # the same statement: the rows changed, not its SQL


def test_an_exclusion_after_the_statement_was_kept_shows_at_once(gp, coordinator, madeleine,
                                                                 contact):
    assert listed(gp) == ([contact.pk], 1)
    services.exclude_member(madeleine.members.get(user=gp), actor=coordinator)
    assert listed(gp) == ([], 0)


def test_a_new_membership_builds_another_statement(world, madeleine, coordinator):
    """The organisations a user acts for are in the statement's parameters (read once per
    request): a membership that starts or ends makes another key."""
    nurse = UserFactory(email="new-nurse@test.relais.example")
    followup = FollowUp.objects.create(person=madeleine, started_on=TODAY(),
                                       protocol=Protocol.objects.create(family="t", name="T"))
    contact = Contact.objects.create(followup=followup, channel=Channel.VISIT, due_on=TODAY(),
                                     owner_organisation=world.home_nursing)
    assert listed(nurse) == ([], 1)
    membership = MembershipFactory(user=nurse, organisation=world.home_nursing)
    nurse = type(nurse).objects.get(pk=nurse.pk)  # a new request: memberships read anew
    assert listed(nurse) == ([contact.pk], 1)
    Membership.objects.filter(pk=membership.pk).update(ended_on=TODAY())
    nurse = type(nurse).objects.get(pk=nurse.pk)
    assert listed(nurse) == ([], 0)  # back to the first key: no organisation


def test_break_the_glass_ends_on_the_database_clock(world, coordinator, madeleine):
    """Break-the-glass is a grant with an end: the kept statement compares with the
    database's now, not the moment it was built."""
    stranger = UserFactory(email="er-doctor@test.relais.example")
    MembershipFactory(user=stranger, organisation=OrganisationFactory(name="ER Test"))
    watch = Watch.objects.create(person=madeleine, owner=stranger, next_check_on=TODAY(),
                                 started_on=TODAY())
    assert listed(stranger) == ([], 1)
    access = BreakGlassAccess.objects.create(
        user=stranger, person=madeleine, reason="Unconscious at the ER",
        expires_at=timezone.now() + timedelta(hours=8))
    assert listed(stranger) == ([watch.pk], 0)
    BreakGlassAccess.objects.filter(pk=access.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert listed(stranger) == ([], 0)


def test_a_statement_holding_the_moment_it_was_built_is_not_kept():
    def build():
        return "SELECT %s", [timezone.now()]

    with decisions.counting() as built:
        decisions.statement(("test.now",), build)
        decisions.statement(("test.now",), build)
    assert built["statement"] == 2
    with decisions.counting() as built:
        decisions.statement(("test.day",), lambda: ("SELECT %s", [TODAY()]))
        decisions.statement(("test.day",), lambda: ("SELECT %s", [TODAY()]))
    assert built["statement"] == 1


def test_another_user_with_the_same_organisations_gets_their_own(world, gp, madeleine,
                                                                 contact):
    """The GP is in Madeleine's network in person, not the practice: a locum of the same
    practice shares the GP's organisations but not the GP's statement, nor her record."""
    colleague = UserFactory(email="locum@test.relais.example")
    MembershipFactory(user=colleague, organisation=world.gp_practice)
    assert listed(gp) == ([contact.pk], 1)
    assert listed(colleague) == ([], 1)


def test_the_visible_persons_subquery_is_kept_and_reads_the_rows_when_it_runs(
        gp, coordinator, madeleine):
    from relais.access.persons import visible_person_pks
    from relais.network.models import Person

    def seen():
        with decisions.deciding_once(), decisions.counting() as built:  # a request
            pks = set(Person.objects.filter(pk__in=visible_person_pks(gp, Person.objects.all()))
                      .values_list("pk", flat=True))
        return pks, built["statement"]

    decisions.forget_statements()  # the fixtures' notifications asked it already
    assert seen() == ({madeleine.pk}, 1)
    assert seen() == ({madeleine.pk}, 0)
    services.exclude_member(madeleine.members.get(user=gp), actor=coordinator)
    assert seen() == (set(), 0)


def test_the_kept_person_subqueries_are_not_sorted(gp, madeleine):
    """An `IN (subquery)` needs no order, and Person's default one made PostgreSQL sort
    every visible person for each use (bench/fhir_api.py: the count of a home-care
    organisation's patients in hospital, 100,000 persons, 840 → 496 ms)."""
    from relais.access.persons import excluded_person_pks, visible_person_pks
    from relais.network.models import Person

    decisions.forget_statements()
    for kept in (visible_person_pks(gp, Person.objects.all()),
                 excluded_person_pks(gp, Person.objects.all())):
        assert "ORDER BY" not in kept.sql.upper()


@pytest.mark.parametrize("persona", ["coordinator", "gp", "caregiver", "former_member",
                                     "excluded_pro", "outsider", "liaison_nurse"])
def test_a_question_about_one_person_answers_as_the_queryset_does(request, world, gp,
                                                                  madeleine, persona):
    from relais.access.persons import (
        about_one,
        completable_persons,
        excluded_persons,
        visible_persons,
    )
    from relais.network.models import Person

    other = services.create_person({"first_name": "Other", "last_name": "Patient", "sex": "X"},
                                   actor=gp, organisation=world.gp_practice)
    user = request.getfixturevalue(persona)
    for question, asked in (("visible", visible_persons), ("completable", completable_persons),
                            ("excluded", excluded_persons)):
        for person in (madeleine, other):
            expected = asked(user, Person.objects.filter(pk=person.pk)).exists()
            for _ in range(2):  # built, then kept
                assert about_one(user, question, Person.objects.all(), person.pk) == expected, (
                    persona, question, person)


# --- person statements built once per shape of user --------------------------------------


def _build(asker, key_start: str, question: str) -> tuple[str, tuple]:
    """A person statement for `asker`, as persons.py builds it (the list of pks, or the
    question about one person)."""
    from relais.network.models import Person

    persons = Person.objects.all()
    asked = {"visible": persons_module.visible_persons,
             "completable": persons_module.completable_persons,
             "excluded": persons_module.excluded_persons}[question]
    if key_start == "person_pks":
        if persons_module._expressions(asker, question) is None:
            return "", ()
        query = asked(asker, persons).order_by().values("pk")
    else:
        query = asked(asker, persons.filter(pk=persons_module.SOMEONE)).order_by().values(
            "pk")[:1]
    sql, params = query.query.sql_with_params()
    return sql, tuple(params)


def _built_for_the_user_itself(user, key_start: str, question: str) -> tuple[str, tuple]:
    """The statement as it was built before shapes: for the user, with their own ids."""
    with decisions.answering_anew():
        return _build(user, key_start, question)


def _built_for_the_shape(user, key_start: str, question: str) -> tuple[str, tuple]:
    sql, params = persons_module._statement_for(
        user, (key_start, "test", question), lambda asker: _build(asker, key_start, question))
    return sql, tuple(params)


@pytest.fixture
def everyone(world, liaison_nurse, hospital_manager, coordinator, gp, home_nurse, analyst,
             platform_admin, outsider, caregiver):
    """Users of every shape the fixtures make, and one acting for three organisations,
    managing the second."""
    busy = UserFactory(email="busy@test.relais.example")
    MembershipFactory(user=busy, organisation=world.hospital)
    MembershipFactory(user=busy, organisation=world.home_nursing, is_manager=True)
    MembershipFactory(user=busy, organisation=world.gp_practice)
    return [liaison_nurse, hospital_manager, coordinator, gp, home_nurse, analyst,
            platform_admin, outsider, caregiver, busy]


@pytest.mark.parametrize(("key_start", "question"), [
    ("person_pks", "visible"), ("person_pks", "excluded"),  # no list of completable is kept
    ("about_one", "visible"), ("about_one", "completable"), ("about_one", "excluded")])
def test_a_statement_built_for_the_shape_is_the_users_own(everyone, key_start, question):
    decisions.forget_statements()
    for user in everyone:
        shaped = _built_for_the_shape(user, key_start, question)
        own = _built_for_the_user_itself(user, key_start, question)
        assert shaped[0] == own[0], user.email
        # The organisations sit in `IN (...)` lists, in the order their set iterates.
        assert _organisations_unnamed(user, shaped[1]) == _organisations_unnamed(user, own[1])
        assert sorted(map(str, shaped[1])) == sorted(map(str, own[1])), user.email


def _organisations_unnamed(user, params) -> list:
    from relais.access.policy import member_organisation_ids

    organisations = member_organisation_ids(user)
    return ["organisation" if type(value) is int and value in organisations else value
            for value in params]


def test_users_of_one_shape_share_a_statement_and_each_gets_their_own_ids(world):
    nurses = [UserFactory(email=f"nurse{n}@test.relais.example") for n in range(3)]
    for nurse in nurses:
        MembershipFactory(user=nurse, organisation=world.home_nursing)
    decisions.forget_statements()
    with decisions.counting() as built:
        statements = [_built_for_the_shape(nurse, "person_pks", "visible") for nurse in nurses]
    assert built["statement"] == 1
    assert [nurse.pk in params for nurse, (_, params) in zip(nurses, statements, strict=True)] \
        == [True] * 3
    assert len({tuple(params) for _, params in statements}) == 3


# --- candidates: the persons a grant may admit, found from the user's side ---------------


def test_every_grant_names_its_candidates():
    """Without them, `candidate_person_ids` answers None and a list over the region's rows
    (my work's alerts) probes the gate for each row again."""
    assert [name for name, grant in persons_module.GRANTS.items()
            if grant.candidates is None] == []


def test_the_candidates_hold_every_person_each_user_may_read(everyone, madeleine, gp):
    from relais.access.persons import candidate_person_ids, visible_persons
    from relais.network.models import Person

    services.create_person({"first_name": "Other", "last_name": "Patient", "sex": "X"},
                           actor=gp, organisation=gp.memberships.first().organisation)
    BreakGlassAccess.objects.create(
        person=madeleine, user=everyone[-1], organisation=None, reason="Unconscious at home",
        expires_at=timezone.now() + timedelta(hours=1))
    seen_by_someone = 0
    for user in everyone:
        visible = set(visible_persons(user, Person.objects.all()).values_list("pk", flat=True))
        candidates = candidate_person_ids(user)
        assert visible <= set(candidates), user.email
        seen_by_someone += bool(visible)
    assert seen_by_someone >= 4  # the check compared real sets, not empty ones


def test_the_candidates_leave_out_what_no_grant_reaches(outsider, madeleine):
    from relais.access.persons import candidate_person_ids

    assert candidate_person_ids(outsider) == []


def test_past_the_cap_there_are_no_candidates_and_lists_ask_the_gate_alone(
        monkeypatch, coordinator, gp, madeleine):
    from relais.access.persons import candidate_person_ids
    from relais.booklet.models import Entry, EntryKind

    alert = Entry.objects.create(person=madeleine, kind=EntryKind.ALERT, author=gp,
                                 body="Fell in the kitchen")
    assert madeleine.pk in candidate_person_ids(coordinator)
    assert [i.pk for i in work.items_for(coordinator).items if i.kind == "alert"] == [alert.pk]
    monkeypatch.setattr(persons_module, "CANDIDATES_AT_MOST", 0)
    assert candidate_person_ids(coordinator) is None
    # My work's alerts, the gate alone: the same answer.
    assert [i.pk for i in work.items_for(coordinator).items if i.kind == "alert"] == [alert.pk]


def test_past_the_cap_the_user_is_not_asked_again_for_five_minutes(
        monkeypatch, coordinator, gp, madeleine):
    """Finding that a user has too many candidates reads the cap's worth of rows (13 ms
    at 100,000 visible persons): the answer None is kept a while, per user."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from relais.access.persons import candidate_person_ids

    monkeypatch.setattr(persons_module, "CANDIDATES_AT_MOST", 0)
    with CaptureQueriesContext(connection) as first:
        assert candidate_person_ids(coordinator) is None
    with CaptureQueriesContext(connection) as again:
        assert candidate_person_ids(coordinator) is None
    assert len(first) >= 1
    assert len(again) == 0
    with CaptureQueriesContext(connection) as other:
        assert candidate_person_ids(gp) is None  # another user: asked as usual
    assert len(other) >= 1
    # Kept per cap: with more allowed, the coordinator is asked, and has candidates.
    assert madeleine.pk in candidate_person_ids(coordinator, at_most=20_000)
    with CaptureQueriesContext(connection) as kept:
        assert candidate_person_ids(coordinator) is None  # still kept
    assert len(kept) == 0
    later = decisions.time.monotonic() + persons_module.TOO_MANY_KEPT_SECONDS + 1
    # The gate's clock only: the process's own (psycopg, the replica's health) stays.
    monkeypatch.setattr(decisions, "time", SimpleNamespace(monotonic=lambda: later))
    with CaptureQueriesContext(connection) as expired:
        assert candidate_person_ids(coordinator) is None
    assert len(expired) >= 1  # asked again
