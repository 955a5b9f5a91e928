"""Opening a person asks the gate and loads the row in one query
(access.persons.one_if_visible): the same answer as the gate's question alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.access.persons import about_one, one_if_visible
from relais.network.models import Person
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "gp", "analyst", "caregiver", "excluded_pro", "former_member",
            "liaison_nurse", "outsider"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_row_comes_exactly_when_the_gate_shows_the_person(request, madeleine, persona):
    user = request.getfixturevalue(persona)
    loaded = Person.objects.select_related("municipality")
    everyone = Person.objects.all()
    for _ in range(2):  # built, then kept
        found, answers = one_if_visible(user, loaded, madeleine.pk,
                                        also=("completable", "excluded"))
        assert (found is not None) == about_one(user, "visible", everyone, madeleine.pk)
    if found is not None:
        assert found == madeleine and found.first_name == madeleine.first_name
        assert answers == {question: about_one(user, question, everyone, madeleine.pk)
                           for question in ("completable", "excluded")}
    else:
        assert answers == {}


def test_one_query_and_nothing_for_an_unknown_id(coordinator, madeleine):
    one_if_visible(coordinator, Person.objects.all(), madeleine.pk, also=("completable",))
    with CaptureQueriesContext(connection) as queries:
        assert one_if_visible(coordinator, Person.objects.all(), madeleine.pk,
                              also=("completable",)) == (madeleine, {"completable": True})
    assert len(queries) == 1
    assert one_if_visible(coordinator, Person.objects.all(), madeleine.pk + 1000) == (None, {})


def test_the_gate_is_asked_again_for_each_person(coordinator, madeleine, world,
                                                 liaison_nurse):
    """The statement is kept with the person's id a parameter: another person the
    coordinator does not see is not shown through it."""
    stranger = Person.objects.create(first_name="Not", last_name="Shared",
                                     created_by=liaison_nurse,
                                     owner_organisation=world.hospital)
    assert one_if_visible(coordinator, Person.objects.all(), madeleine.pk)[0] == madeleine
    assert not about_one(coordinator, "visible", Person.objects.all(), stranger.pk)
    assert one_if_visible(coordinator, Person.objects.all(), stranger.pk) == (None, {})


def test_what_each_caller_loads_with_the_person_is_its_own(coordinator, madeleine,
                                                            django_assert_num_queries):
    """Two callers that load different columns or relations with the person do not share
    a statement: each gets what it asked for, in its one query."""
    narrow, _ = one_if_visible(coordinator, Person.objects.only("first_name"), madeleine.pk)
    assert narrow.get_deferred_fields() and "first_name" not in narrow.get_deferred_fields()
    whole, _ = one_if_visible(coordinator, Person.objects.all(), madeleine.pk)
    assert not whole.get_deferred_fields()
    with_members, _ = one_if_visible(coordinator, Person.objects.prefetch_related("members"),
                                     madeleine.pk)
    with django_assert_num_queries(0):
        assert len(with_members.members.all()) >= 1
