"""Constraints decided in Python (relais.core.constraints) say what the database says.

The oracle is Django's own check: `SELECT 1 WHERE <condition>` with the instance's
values, run on the test database (SQLite or PostgreSQL). Every check constraint and
every unique constraint's condition of the project that Python decides is tried on a
grid of values around its edges (NULL, empty, equal, one over a length limit, dates
either way), and must come out the same.
"""

import itertools
import random
from datetime import date, datetime, time, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint
from django.utils import timezone

from relais.core import constraints as in_python
from relais.core.constraints import ConstraintsInPython
from relais.network.models import NetworkMember

pytestmark = pytest.mark.django_db

MOST_COMBINATIONS = 40  # per constraint, drawn with a fixed seed
# Conditions only the database decides (a transform of a field): still checked, by it.
ASKED_TO_THE_DATABASE = {"review_month_only"}


def project_constraints():
    for model in apps.get_models():
        if not model.__module__.startswith("relais."):
            continue
        for constraint in model._meta.constraints:
            if getattr(constraint, "condition", None) is not None and isinstance(
                    constraint, CheckConstraint | UniqueConstraint):
                yield model, constraint


def referenced_fields(model, condition) -> list:
    """The model's fields a condition names (via its Q children and F expressions)."""
    names = set()

    def walk(node):
        if isinstance(node, Q):
            for child in node.children:
                walk(child)
        elif isinstance(node, tuple):
            names.add(node[0].split("__")[0])
            walk(node[1])
        elif isinstance(node, models.F):
            names.add(node.name.split("__")[0])
        elif hasattr(node, "get_source_expressions"):
            for inner in node.get_source_expressions():
                walk(inner)
            for side in ("lhs", "rhs"):
                if hasattr(node, side):
                    walk(getattr(node, side))

    walk(condition)
    return [model._meta.get_field(name) for name in sorted(names)]


def lengths_in(condition) -> set[int]:
    found = set()

    def walk(node):
        if isinstance(node, Q):
            for child in node.children:
                walk(child[1] if isinstance(child, tuple) else child)
        elif isinstance(node, int) and not isinstance(node, bool):
            found.add(node)
        elif hasattr(node, "rhs"):
            walk(node.rhs)
        elif isinstance(node, models.Value):
            walk(node.value)

    walk(condition)
    return found


def candidates(field, limits: set[int]) -> list:
    values = [None] if field.null or field.is_relation else []
    if field.is_relation:
        return [*values, 1]
    if field.choices:
        return [*values, "", *[value for value, _ in field.flatchoices][:3]]
    if isinstance(field, models.BooleanField):
        return [True, False]
    if isinstance(field, models.DateTimeField):
        moment = timezone.make_aware(datetime(2026, 3, 1, 12))
        return [*values, moment, moment + timedelta(days=1)]
    if isinstance(field, models.DateField):
        return [*values, date(2026, 3, 1), date(2026, 3, 2)]
    if isinstance(field, models.TimeField):
        return [*values, time(9), time(17)]
    if isinstance(field, models.IntegerField):
        return [*values, 0, 18, 65]
    if isinstance(field, models.CharField | models.TextField):
        long = [("é" * limit, "é" * (limit + 1)) for limit in sorted(limits) if limit < 100_000]
        return [*values, "", "a", *itertools.chain.from_iterable(long)]
    if isinstance(field, models.FileField):
        return ["", "a.pdf"]
    return [*values, "x"]


def instance_with(model, fields, values):
    instance = model()
    for field, value in zip(fields, values, strict=True):
        setattr(instance, field.attname, value)
    return instance


def database_says(model, constraint, instance) -> bool:
    """Django's check on the database: does the instance pass (a unique constraint's
    condition: does it hold)?"""
    against = instance._get_field_expression_map(meta=model._meta, exclude=set())
    return Q(constraint.condition).check(against)


@pytest.mark.parametrize(("model", "constraint"), list(project_constraints()),
                         ids=lambda item: getattr(item, "name", getattr(item, "__name__", "")))
def test_python_and_the_database_agree(model, constraint):
    fields = referenced_fields(model, constraint.condition)
    grid = list(itertools.product(*(candidates(field, lengths_in(constraint.condition))
                                     for field in fields)))
    random.Random(constraint.name).shuffle(grid)
    decided = 0
    for values in grid[:MOST_COMBINATIONS]:
        instance = instance_with(model, fields, values)
        try:
            truth = in_python.holds(constraint.condition, instance, set())
        except in_python.CannotTell:
            continue
        decided += 1
        # Django's check coalesces NULL to true, as a CHECK passes on NULL (and a partial
        # unique index leaves the row out): Python answers UNKNOWN for both.
        assert (truth is not False) == database_says(model, constraint, instance), \
            (constraint.name, values, truth)
    if constraint.name in ASKED_TO_THE_DATABASE:
        assert decided == 0, f"{constraint.name} is decided in Python now: update the list"
    else:
        assert decided == min(len(grid), MOST_COMBINATIONS), constraint.name


def test_the_hot_models_are_checked_in_python():
    assert issubclass(NetworkMember, ConstraintsInPython)


def test_a_broken_check_is_named_without_a_query(django_assert_num_queries):
    member = NetworkMember(kind="informal", is_contact_point=True, never_inform=True,
                           name="Jeanne")
    with django_assert_num_queries(0), pytest.raises(ValidationError) as error:
        member.validate_constraints(exclude={"person"})
    assert "excluded_member_is_not_contact_point" in str(error.value)
