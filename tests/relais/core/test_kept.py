"""Querysets compiled once and run with each request's values (relais.core.kept)."""


from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, F, Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.access import decisions
from relais.accounts.models import Membership, Organisation, User
from relais.core import kept
from relais.core.sql import AnyOf, AnyOfMany
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.helpers import compiled_statements

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_statement_kept_before():
    """These tests count the statements built: none kept by an earlier test, not even
    those built per shape of user (tests/conftest.py keeps them otherwise)."""
    decisions.forget_statements()


class Builds:
    """A build function that counts how often it is called."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, slots):
        self.calls += 1
        return self.build(slots)


def _memberships_of(slots):
    return Membership.objects.filter(user_id=slots.user).select_related(
        "organisation").order_by("organisation__name")


def test_rows_are_those_of_the_queryset_for_each_value_and_it_is_built_once():
    first, second = UserFactory(), UserFactory()
    for name in ("Alpha", "Beta"):
        MembershipFactory(user=first, organisation=OrganisationFactory(name=name))
    MembershipFactory(user=second, organisation=OrganisationFactory(name="Gamma"))
    build = Builds(_memberships_of)

    for user in (first, second, first):
        got = kept.rows(("test.memberships",), build, user=user.pk)
        expected = list(Membership.objects.filter(user=user).order_by("organisation__name"))
        assert got == expected
    assert [m.organisation.name for m in kept.rows(("test.memberships",), build,
                                                   user=first.pk)] == ["Alpha", "Beta"]
    assert build.calls == 1


def test_a_kept_statement_keeps_its_sql_not_the_conditions_it_was_built_from():
    """A statement kept per user held the gate's conditions, trees of subqueries: a web
    worker grew by 0.6 MB for each user it served (docs/bench.md, stop 37). Once SQL,
    the conditions and the columns' SQL are dropped; the rows still come right."""
    user = UserFactory()
    MembershipFactory(user=user, organisation=OrganisationFactory(name="Alpha"))
    in_alpha = Membership.objects.filter(organisation__name="Alpha").values("user_id")

    def build(slots):
        return _memberships_of(slots).filter(user__in=User.objects.filter(pk__in=in_alpha)
                                             ).annotate(n=Count("user__memberships"))

    for _ in range(2):
        got = kept.rows(("test.forgets",), build, user=user.pk)
        assert [(m.organisation.name, m.n) for m in got] == [("Alpha", 1)]
    compiled = next(value for key, value in kept._kept.items() if "test.forgets" in key)
    assert compiled.queryset.query.where.children == []
    assert compiled.compiler.where is None
    assert {sql for _column, sql, _alias in compiled.compiler.select} == {("", ())}
    assert "Alpha" not in repr(vars(compiled.queryset.query))
    assert "Alpha" in compiled.params or "Alpha" in compiled.sql


def test_related_rows_come_with_the_rows_without_more_queries():
    user = UserFactory()
    MembershipFactory(user=user, organisation=OrganisationFactory(name="Alpha"))
    kept.rows(("test.memberships",), _memberships_of, user=user.pk)
    with CaptureQueriesContext(connection) as queries:
        [membership] = kept.rows(("test.memberships",), _memberships_of, user=user.pk)
        assert membership.organisation.name == "Alpha"
    assert len(queries) == 1


def test_prefetched_rows_are_prefetched():
    organisation = OrganisationFactory()
    MembershipFactory.create_batch(3, organisation=organisation)

    def build(slots):
        return Organisation.objects.filter(pk=slots.pk).prefetch_related("memberships")

    kept.rows(("test.prefetch",), build, pk=organisation.pk)
    with CaptureQueriesContext(connection) as queries:
        [found] = kept.rows(("test.prefetch",), build, pk=organisation.pk)
        assert len(found.memberships.all()) == 3
    assert len(queries) == 2  # the organisation, then its memberships


def _compiled_models(run) -> list:
    with compiled_statements() as compiled:
        run()
    return compiled


def test_a_reverse_foreign_keys_prefetch_is_kept_and_files_each_objects_rows():
    alpha, beta, empty = (OrganisationFactory(name=n) for n in ("Alpha", "Beta", "Empty"))
    MembershipFactory.create_batch(2, organisation=alpha)
    MembershipFactory.create_batch(3, organisation=beta)
    newest_first = Membership.objects.select_related("user").order_by("-pk")

    def build(slots):
        return Organisation.objects.filter(pk__in=[slots.a, slots.b, slots.c]).order_by(
            "name").prefetch_related(Prefetch("memberships", queryset=newest_first),
                                     Prefetch("memberships", queryset=newest_first,
                                              to_attr="listed"))

    def run():
        return kept.rows(("test.kept_prefetch",), build, a=alpha.pk, b=beta.pk, c=empty.pk)

    run()
    found = None

    def again():
        nonlocal found
        found = run()

    assert _compiled_models(again) == []  # nothing built or compiled the second time
    expected = list(Organisation.objects.filter(pk__in=[alpha.pk, beta.pk, empty.pk]).order_by(
        "name").prefetch_related(Prefetch("memberships", queryset=newest_first)))
    with CaptureQueriesContext(connection) as queries:
        for got, wanted in zip(found, expected, strict=True):
            assert list(got.memberships.all()) == list(wanted.memberships.all())
            assert got.listed == list(wanted.memberships.all())
            assert all(m.organisation is got and m.user.email for m in got.listed)
    assert len(queries) == 0
    assert [len(o.listed) for o in found] == [2, 3, 0]


def test_a_prefetch_with_a_value_of_the_request_is_built_each_time():
    """A stand-in in a prefetch's own queryset: the query is run as Django would, each
    time with the request's values (kept, the first request's would stay in it)."""
    organisation = OrganisationFactory()
    first, second = MembershipFactory(organisation=organisation), MembershipFactory(
        organisation=organisation)

    def build(slots):
        return Organisation.objects.filter(pk=slots.pk, memberships__user_id=slots.user
                                           ).prefetch_related(Prefetch(
                                               "memberships", to_attr="theirs",
                                               queryset=Membership.objects.filter(
                                                   user_id=slots.user)))

    for membership in (first, second, first):
        [found] = kept.rows(("test.request_prefetch",), build, pk=organisation.pk,
                            user=membership.user_id)
        assert found.theirs == [membership]


@pytest.mark.parametrize("any_of", [AnyOf, AnyOfMany])
def test_a_list_of_ids_takes_a_slot_through_any_of(any_of):
    """core.sql.AnyOf sends a list as one parameter (an array; JSON text on SQLite): a
    list of any length is one stand-in, and the statement is built once. AnyOfMany too,
    the array behind a subquery on PostgreSQL."""
    organisations = OrganisationFactory.create_batch(4)
    build = Builds(lambda s: Organisation.objects.filter(any_of(F("pk"), s.ids)).order_by(
        "pk"))
    for chosen in ([0, 2], [1], [], [0, 1, 2, 3], [3, 0]):
        ids = [organisations[n].pk for n in chosen]
        assert kept.rows((f"test.{any_of.lookup_name}",), build, ids=ids) == sorted(
            (organisations[n] for n in chosen), key=lambda o: o.pk)
    assert build.calls == 1


def test_rows_among_ids_are_kept_per_power_of_two_of_them():
    pks = [user.pk for user in UserFactory.create_batch(5)]
    built = []

    def build(slots, ids):
        built.append(len(ids))
        return User.objects.filter(pk__in=ids).order_by("pk")

    for count in (3, 4, 5, 2, 1, 8 - 3):
        with CaptureQueriesContext(connection) as queries:
            found = kept.among(("test.among",), build, pks[:count])
        assert [user.pk for user in found] == sorted(pks[:count]) and len(queries) == 1
    assert built == [4, 8, 2, 1]  # 3 and 4 ids share the statement for four, 5 has eight's
    assert kept.among(("test.among",), build, []) == []


def test_values_counts_existence_and_first():
    user = UserFactory()
    MembershipFactory.create_batch(2, user=user)

    def ids(slots):
        return Membership.objects.filter(user_id=slots.user).values_list(
            "organisation_id", flat=True)

    expected = set(Membership.objects.filter(user=user).values_list("organisation_id",
                                                                    flat=True))
    assert set(kept.rows(("test.ids",), ids, user=user.pk)) == expected
    assert kept.count(("test.count",), ids, user=user.pk) == 2
    assert kept.exists(("test.exists",), ids, user=user.pk)
    assert not kept.exists(("test.exists",), ids, user=UserFactory().pk)
    assert kept.first(("test.first",), lambda s: Membership.objects.filter(
        user_id=s.user).order_by("-pk"), user=user.pk) == Membership.objects.filter(
        user=user).order_by("-pk").first()


def test_which_of_several_querysets_have_rows_is_one_statement():
    user, other = UserFactory(), UserFactory()
    MembershipFactory(user=user)
    builds = {
        "memberships": Builds(lambda s: Membership.objects.filter(user_id=s.user)),
        "named": Builds(lambda s: Organisation.objects.filter(name=s.name)),
        "among": Builds(lambda s: User.objects.filter(AnyOf(F("pk"), s.ids))),
    }
    for who, name, ids, expected in (
            (user, "nowhere", [], {"memberships": True, "named": False, "among": False}),
            (other, Membership.objects.get().organisation.name, [other.pk],
             {"memberships": False, "named": True, "among": True})):
        with CaptureQueriesContext(connection) as queries:
            assert kept.exist_each(("test.each",), builds, user=who.pk, name=name,
                                   ids=ids) == expected
        assert len(queries) == 1
    assert [build.calls for build in builds.values()] == [1, 1, 1]


def test_a_slot_none_of_the_querysets_uses_is_an_error():
    with pytest.raises(ValueError, match="person"):
        kept.exist_each(("test.each_unused",), {
            "users": lambda s: User.objects.filter(pk=s.user)}, user=1, person=2)


def _memberships_count(user):
    return kept.later_count(("test.later_count",), lambda s: Membership.objects.filter(
        user_id=s.user), user=user.pk)


def _is_member_of(user, organisation):
    return kept.later_exists(("test.later_exists",), lambda s: Membership.objects.filter(
        user_id=s.user, organisation_id=s.organisation), user=user.pk,
        organisation=organisation.pk)


def test_questions_asked_later_in_a_block_are_answered_in_one_statement():
    user, other = UserFactory(), UserFactory()
    organisation = MembershipFactory.create_batch(2, user=user)[0].organisation
    with kept.asking_together(), CaptureQueriesContext(connection) as queries:
        count, member, outsider = (_memberships_count(user), _is_member_of(user, organisation),
                                   _is_member_of(other, organisation))
        answers = kept.exist_each(("test.each_later",), {
            "memberships": lambda s: Membership.objects.filter(user_id=s.user),
            "inactive": lambda s: User.objects.filter(pk=s.user, is_active=False)},
            user=user.pk)
        assert len(queries) == 1  # the exist_each needed its answers: all were asked
        assert (count.get(), member.get(), outsider.get()) == (2, True, False)
    assert answers == {"memberships": True, "inactive": False}
    assert len(queries) == 1
    assert "SELECT COUNT(*)" in queries[0]["sql"] and queries[0]["sql"].count("EXISTS(") == 4


def test_outside_a_block_each_question_is_asked_alone():
    user = UserFactory()
    organisation = MembershipFactory(user=user).organisation
    with CaptureQueriesContext(connection) as queries:
        count, member = _memberships_count(user), _is_member_of(user, organisation)
        assert not queries
        assert (count.get(), member.get()) == (1, True)
    assert len(queries) == 2


def test_the_blocks_join_asks_its_question_with_the_first_statement_once():
    user, other = UserFactory(), UserFactory()
    organisation = MembershipFactory(user=user).organisation
    joined = []

    def join():
        joined.append(_memberships_count(user))

    with kept.asking_together(join=join), CaptureQueriesContext(connection) as queries:
        assert _is_member_of(user, organisation).get()
        assert len(joined) == 1 and len(queries) == 1
        assert joined[0].get() == 1  # answered with the first: no query
        assert not _is_member_of(other, organisation).get()
    assert len(joined) == 1 and len(queries) == 2


def test_an_answer_not_read_yet_is_asked_again_after_a_write():
    """What a page asks after writing is answered as the write left it; what it read
    before keeps the answer it read."""
    user = UserFactory()
    organisation = MembershipFactory(user=user).organisation
    with kept.asking_together():
        read, unread = _memberships_count(user), _memberships_count(user)
        assert read.get() == 1
        MembershipFactory(user=user)
        kept.written()  # what access.decisions does on a write in a request
        assert (read.get(), unread.get()) == (1, 2)
        assert _is_member_of(user, organisation).get()


def test_a_question_that_cannot_be_kept_is_asked_as_django_would():
    user = UserFactory()
    with kept.asking_together(), CaptureQueriesContext(connection) as queries:
        nothing = kept.later_count(("test.nothing",), lambda s: Membership.objects.filter(
            user_id__in=[]), user=user.pk)
        assert nothing.get() == 0
    assert not queries


def test_annotations_come_back():
    organisation = OrganisationFactory()
    MembershipFactory.create_batch(2, organisation=organisation)

    def build(slots):
        return Organisation.objects.filter(pk=slots.pk).annotate(people=Count("memberships"))

    for _ in range(2):
        [found] = kept.rows(("test.annotated",), build, pk=organisation.pk)
        assert found.people == 2


def test_a_text_takes_a_slot_too():
    UserFactory(email="one@example.org")
    build = Builds(lambda s: User.objects.filter(email=s.email))
    assert [u.email for u in kept.rows(("test.email",), build, email="one@example.org")] == [
        "one@example.org"]
    assert kept.rows(("test.email",), build, email="nobody@example.org") == []
    assert build.calls == 1


def test_rows_written_after_the_statement_was_kept_show_at_once():
    user = UserFactory()
    assert kept.rows(("test.memberships",), _memberships_of, user=user.pk) == []
    membership = MembershipFactory(user=user)
    assert kept.rows(("test.memberships",), _memberships_of, user=user.pk) == [membership]


def test_a_slot_that_does_not_reach_the_parameters_is_an_error():
    with pytest.raises(ValueError, match="person"):
        kept.rows(("test.unused",), lambda s: User.objects.filter(pk__gt=0), person=1)


def test_a_query_holding_the_moment_it_was_built_is_run_each_time_not_kept():
    user = UserFactory()
    build = Builds(lambda s: User.objects.filter(pk=s.pk, date_joined__lte=timezone.now()))
    for _ in range(2):
        assert kept.rows(("test.moment",), build, pk=user.pk) == [user]
    assert build.calls == 3  # once to try compiling, then each run the ordinary way


def test_a_filter_on_nothing_answers_nothing():
    assert kept.rows(("test.nothing",), lambda s: User.objects.filter(pk__in=[])) == []
    assert kept.count(("test.nothing",), lambda s: User.objects.filter(pk__in=[])) == 0


def test_forgetting_the_statements_rebuilds_them():
    user = UserFactory()
    build = Builds(_memberships_of)
    kept.rows(("test.memberships",), build, user=user.pk)
    decisions.forget_statements()  # what changing the gate's rules does
    kept.rows(("test.memberships",), build, user=user.pk)
    assert build.calls == 2


def test_only_so_many_statements_are_kept(monkeypatch):
    monkeypatch.setattr(kept, "KEPT", 3)
    for n in range(5):
        kept.rows(("test.many", n), lambda s: User.objects.filter(pk=s.pk), pk=1)
    assert len(kept._kept) == 3


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 5, 22, 59, 59, tzinfo=UTC),  # 23:59:59 in Brussels
    datetime(2026, 12, 5, 23, 0, 0, tzinfo=UTC),  # midnight in Brussels
    datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # the night the clocks go forward
    datetime(2027, 10, 30, 22, 30, tzinfo=UTC),  # the night they go back
])
def test_the_day_in_a_statements_key_is_the_local_day_whatever_was_asked_before(moment):
    """The day is worked out again only when it changes (kept._today): asked the moment
    before, then at `moment`, in Brussels and in another zone, it is Django's localdate."""
    for before in (moment - timedelta(seconds=1), moment - timedelta(hours=30), moment):
        with time_machine.travel(before, tick=False):
            kept._today()
        with time_machine.travel(moment, tick=False):
            assert kept._today() == timezone.localdate()
            with timezone.override(ZoneInfo("America/New_York")):
                assert kept._today() == timezone.localdate()
