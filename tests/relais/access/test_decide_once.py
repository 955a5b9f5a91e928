"""Decide once per request (issue 15): the gate keeps its answers for the request that
asked them (`relais.access.decisions`), forgets them when the request writes, and each
main page asks it a fixed number of questions — a page that asks again fails here."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.access import decisions, policy
from relais.access.models import ConsentScope
from relais.access.persons import visible_person_pks, visible_persons
from relais.booklet import consultations
from relais.core import kept
from relais.network import rules, services
from relais.network.models import Person
from relais.notifications.models import Notification
from relais.stays import services as stay_services
from tests.helpers import AUDIT_EVENT_QUERIES, SIGNED_IN_QUERIES, compiled_statements
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_statement_kept_before():
    """These tests count the statements built: none kept by an earlier test, not even
    those built per shape of user (tests/conftest.py keeps them otherwise)."""
    decisions.forget_statements()


def cost(client, url, query=None):
    """(queries, the gate's questions built, by kind) of one GET of `url`."""
    with CaptureQueriesContext(connection) as queries, decisions.counting() as questions:
        assert client.get(url, query or {}).status_code == 200
    return len(queries), dict(questions)


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def admitted(madeleine, world, coordinator, liaison_nurse):
    services.record_consent(madeleine, scope=ConsentScope.HOSPITALS, given_by="Madeleine",
                            given_on=date(2026, 11, 1), actor=coordinator)
    return stay_services.open_stay(
        madeleine, hospital=world.hospital, ward=world.ward, actor=liaison_nurse,
        admitted_at=timezone.now() - timedelta(days=3),
        expected_discharge_on=timezone.localdate() + timedelta(days=2))


@pytest.fixture
def consultation(madeleine, world, coordinator, gp, member_of):
    return consultations.ask(madeleine, question="Home or nursing home?", choices=["a", "b"],
                             deadline=timezone.now() + timedelta(days=2),
                             members=[member_of(user=gp)], actor=coordinator,
                             organisation=world.coordination_centre)


# (page, who, the gate's questions built, queries beyond every signed-in page's and the
# audit event's), with no news unread (news would add the header's count, and one
# visible-persons question to gate it).
PAGES = [
    # Statements kept since the first visit (test_kept_statements.py): the person if the
    # user sees them, with change rights (object_for: the questions and the row in one
    # query; the page, the access-log link and two sections ask them: they also open
    # the access log to a professional who changes the record, no query), the
    # network's members (the visible-persons subquery), the stays section's exclusions;
    # the user's hospitals come with the request's memberships (no query); one statement
    # says which sections have rows at all (network.sections.person_has): here only the
    # stay, so the mandates, assessments, follow-ups, watches, refusals and refused
    # referrals are not asked for; the page's other small questions come with that one
    # (core.kept.asking_together: the header's unread count, whether the reader is in the
    # safeguarding circle, the booklet's unread entries)
    ("person", "coordinator", {}, 5),
    # the person (one query, as above); the booklet's and the write form's checks are
    # answered by loading it; an empty booklet's ranking says so without counting again;
    # whether an alert awaits acknowledgement comes with the header's unread count
    # (core.kept.asking_together), and the alerts are not read when none does
    ("booklet", "coordinator", {}, 4),
    # every kind read by the person rule asks the gate once, together, in the page's one
    # query (followup.work), built on the first visit and kept (test_kept_statements.py);
    # nothing to do here, so no list read to audit
    ("my_work", "coordinator", {}, 0),
    # the stays and referrals: the visible- and excluded-persons subqueries, kept since
    # the first visit; the user's hospitals come with the request's memberships, their
    # wards kept a minute since the first visit; the open stays through the gate, read
    # whole with their keys since the first visit found that they fit in a page
    # (one query more for a list longer than a page, whatever the number of stays); the
    # messages waiting and the header's unread question in one statement
    # (core.kept.asking_together); no referral waits for an answer here: their card asks
    # nothing
    ("worklist", "liaison_nurse", {}, 1),
    # the ranking, kept per number of words (nothing matches here: no rows to load), in
    # place of an audit event (the directory holds no one's data); the filters' choices
    # come with the form's kept HTML (core.forms.kept_fields_html)
    ("directory", "coordinator", {}, 0),
    ("consultation", "coordinator", {}, 3),
    # the persons a grant may show the user (candidate_person_ids, from their side), the
    # first of them by name, the gate on them, the page's rows
    ("person_search", "coordinator", {"visible": 1}, 4),
]


def url_of(page, madeleine, consultation):
    return {
        "person": (reverse("network:person_detail", args=[madeleine.pk]), None),
        "booklet": (reverse("booklet:booklet", args=[madeleine.pk]), None),
        "my_work": (reverse("followup:my_work"), None),
        "worklist": (reverse("stays:worklist"), None),
        "directory": (reverse("directory:service_search"), {"q": "soins"}),
        "consultation": (reverse("booklet:consultation_detail", args=[consultation.pk]), None),
        "person_search": (reverse("network:person_list"), {"q": "lamb"}),
    }[page]


@pytest.mark.parametrize(("page", "persona", "questions", "queries"), PAGES)
def test_each_main_page_asks_the_gate_a_fixed_number_of_questions(
        request, admitted, consultation, madeleine, page, persona, questions, queries):
    client = signed_in(request.getfixturevalue(persona))
    url, query = url_of(page, madeleine, consultation)
    client.get(url, query)  # the first visit may write (news marked read)
    Notification.objects.update(read_at=timezone.now())  # the header's count: nothing unread
    client.get(url, query)  # the work list learnt at the first whether its list fits a page
    assert cost(client, url, query) == (SIGNED_IN_QUERIES + AUDIT_EVENT_QUERIES + queries,
                                        questions)


# Statements Django compiles for a page once it was visited: the queries are kept compiled
# across requests (core/kept.py) and run with the request's values. What is left: the
# session and the user (Django's own). Prefetches through a reverse foreign key are kept
# too (the members' roles, the wards); a search's words are the ranking's parameters. A
# page that builds its queries anew again fails here.
COMPILED = [
    ("person", "coordinator", 2),
    ("booklet", "coordinator", 2),  # the write form is kept rendered
    ("worklist", "liaison_nurse", 2),
    ("directory", "coordinator", 2),
    ("my_work", "coordinator", 2),
]


@pytest.mark.parametrize(("page", "persona", "statements"), COMPILED)
def test_each_main_page_compiles_a_fixed_number_of_statements(
        request, admitted, consultation, madeleine, page, persona, statements):
    client = signed_in(request.getfixturevalue(persona))
    url, query = url_of(page, madeleine, consultation)
    client.get(url, query)
    Notification.objects.update(read_at=timezone.now())
    client.get(url, query)  # the first visit with nothing unread compiles the header's
    with compiled_statements() as compiled:
        assert client.get(url, query).status_code == 200
    assert len(compiled) == statements, compiled


def _asked_three_times(coordinator, madeleine):
    with (CaptureQueriesContext(connection) as queries, decisions.counting() as questions,
          decisions.deciding_once()):
        for _ in range(3):
            assert rules.sees_person(coordinator, madeleine)
            assert policy.sees(coordinator, madeleine)
            assert rules.has_relationship(coordinator, madeleine)
            assert not rules.is_excluded(coordinator, madeleine)
    return len(queries), dict(questions)


def test_a_request_asks_each_question_about_a_person_once(coordinator, madeleine):
    # Three questions, each one query (and the user's memberships, read once for the
    # statements' key); each statement built once, then kept.
    assert _asked_three_times(coordinator, madeleine) == (
        4, {"visible": 1, "completable": 1, "excluded": 1, "statement": 3})
    assert _asked_three_times(coordinator, madeleine) == (3, {})  # the next request


def test_outside_a_request_every_question_is_asked_again(coordinator, madeleine):
    with CaptureQueriesContext(connection) as queries, decisions.counting() as questions:
        for _ in range(3):
            assert rules.sees_person(coordinator, madeleine)
    # Asked three times (and the memberships read once): built once.
    assert (len(queries), questions) == (4, {"visible": 1, "statement": 1})


def test_a_write_in_the_request_forgets_the_answers(coordinator, excluded_pro, madeleine,
                                                   member_of):
    gp_member = member_of(user__email="gp@test.relais.example")
    gp = gp_member.user
    with decisions.deciding_once():
        assert rules.sees_person(gp, madeleine)
        assert madeleine.pk in set(_visible_pks(gp))
        services.exclude_member(gp_member, actor=coordinator)  # "never inform" the GP
        assert not rules.sees_person(gp, madeleine)
        assert rules.is_excluded(gp, madeleine)
        assert madeleine.pk not in set(_visible_pks(gp))


def test_an_update_without_a_model_save_forgets_too(coordinator, madeleine):
    with decisions.deciding_once():
        assert rules.sees_person(coordinator, madeleine)
        madeleine.members.update(ended_on=date(2026, 1, 1))  # no signal: the SQL tells
        assert not rules.sees_person(coordinator, madeleine)


def test_the_audit_trail_of_a_read_keeps_the_answers(coordinator, madeleine):
    with decisions.deciding_once(), decisions.counting() as questions:
        rules.person_for(coordinator, madeleine.pk)  # audited
        assert rules.sees_person(coordinator, madeleine)
        assert rules.has_relationship(coordinator, madeleine)  # answered with the load
    # Built once, loading the person: the questions whether she is seen and whether the
    # coordinator completes her record (one statement each, then one query for both).
    assert questions == {"visible": 1, "completable": 1, "statement": 2}


def test_the_compiled_subquery_lists_what_the_queryset_does(world, coordinator, gp,
                                                           excluded_pro, madeleine):
    other = services.create_person({"first_name": "Other", "last_name": "Patient", "sex": "X"},
                                   actor=gp, organisation=world.gp_practice)
    seen = {}
    for user in (coordinator, gp, excluded_pro):
        with decisions.deciding_once():
            seen[user.email] = set(_visible_pks(user))
        assert seen[user.email] == set(visible_persons(user, Person.objects.all())
                                       .values_list("pk", flat=True))
    assert list(seen.values()) == [{madeleine.pk}, {madeleine.pk, other.pk}, set()]


def _visible_pks(user):
    return Person.objects.filter(pk__in=visible_person_pks(user, Person.objects.all())
                                 ).values_list("pk", flat=True)


# --- answers asked early (decisions.ask_early) -------------------------------------------


def _in_circle(madeleine, user):
    member = madeleine.members.get(user=user)
    member.in_safeguarding_circle = True
    member.save(update_fields=["in_safeguarding_circle"])


def test_an_answer_asked_early_comes_with_the_first_statement(coordinator, gp, madeleine):
    _in_circle(madeleine, gp)
    with decisions.deciding_once(), kept.asking_together(), \
            CaptureQueriesContext(connection) as queries:
        for user in (coordinator, gp):
            rules.ask_safeguarding_early(user, madeleine)
        assert not [q for q in queries if "in_safeguarding_circle" in q["sql"]]
        assert rules.is_in_safeguarding_circle(gp, madeleine)
        assert not rules.is_in_safeguarding_circle(coordinator, madeleine)
    # both in one statement (the users' memberships were read for the statements' keys)
    assert sum(1 for q in queries if "in_safeguarding_circle" in q["sql"]) == 1


def test_a_write_before_the_answer_is_read_asks_again(coordinator, gp, madeleine):
    with decisions.deciding_once(), kept.asking_together():
        rules.ask_safeguarding_early(gp, madeleine)
        _in_circle(madeleine, gp)  # a write in the request: the early question is dropped
        assert rules.is_in_safeguarding_circle(gp, madeleine)


def test_outside_a_request_nothing_is_asked_early(gp, madeleine):
    _in_circle(madeleine, gp)
    with CaptureQueriesContext(connection) as queries:
        rules.ask_safeguarding_early(gp, madeleine)
        assert rules.is_in_safeguarding_circle(gp, madeleine)
    assert sum(1 for q in queries if "in_safeguarding_circle" in q["sql"]) == 1
