"""A model's check constraints decided in Python before it is saved, where they are simple.

`full_clean()` checks each CheckConstraint (and the condition of each conditional
UniqueConstraint) by sending the database `SELECT 1 WHERE <condition>` with the
instance's values: a query built, compiled and run for each constraint of each save.
Most of ours compare a field with a value or another field, or bound a text's length: the
answer is in the instance already. `ConstraintsInPython.validate_constraints` decides
those in Python, with SQL's three-valued logic (a comparison with NULL is unknown, and
an unknown check passes, as in the database), and hands anything else to Django. The
database's own constraints still stand behind every write.
"""

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import router
from django.db.models import CheckConstraint, F, Q, UniqueConstraint, Value
from django.db.models.functions import Length
from django.db.models.lookups import Lookup


class CannotTell(Exception):
    """The condition uses something decided only by the database: ask it."""


UNKNOWN = None  # SQL's NULL as a truth value
ASK_THE_DATABASE = object()  # what `_truth` answers when only the database can


def _compare(lookup: str, left, right):
    if lookup == "isnull":
        return (left is None) == bool(right)
    if lookup == "exact" and right is None:
        return left is None  # Django writes `= None` as IS NULL
    if lookup == "in":
        if left is None:
            return UNKNOWN
        return left in right
    if left is None or right is None:
        return UNKNOWN
    if lookup == "exact":
        return left == right
    if lookup == "gt":
        return left > right
    if lookup == "gte":
        return left >= right
    if lookup == "lt":
        return left < right
    if lookup == "lte":
        return left <= right
    raise CannotTell(lookup)


def _field_value(instance, name: str, exclude: set[str]):
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist as missing:
        raise CannotTell(name) from missing
    if not field.concrete or field.many_to_many:
        raise CannotTell(name)
    if field.name in exclude:  # a field that failed its own validation: Django skips too
        raise _Skip
    return getattr(instance, field.attname)


class _Skip(Exception):
    """The constraint names an excluded field: not checked (as Django does)."""


def _value(expression, instance, exclude):
    if isinstance(expression, F):
        if "__" in expression.name:
            raise CannotTell(expression.name)
        return _field_value(instance, expression.name, exclude)
    if isinstance(expression, Value):
        return expression.value
    if isinstance(expression, Length):
        (inner,) = expression.get_source_expressions()
        text = _value(inner, instance, exclude)
        return None if text is None else len(str(text))
    if isinstance(expression, str | int | float | bool | Decimal | type(None)) or hasattr(
            expression, "isoformat"):
        return expression
    if isinstance(expression, list | tuple | set | frozenset):
        return [_value(item, instance, exclude) for item in expression]
    raise CannotTell(repr(expression))


def holds(condition, instance, exclude: set[str]):
    """True, False or UNKNOWN: `condition` for `instance`'s values, as the database
    would say. Raises CannotTell when only the database can."""
    if isinstance(condition, Q):
        results = [_child(child, instance, exclude) for child in condition.children]
        if condition.connector == Q.AND:
            result = False if False in results else UNKNOWN if UNKNOWN in results else True
        elif condition.connector == Q.OR:
            result = True if True in results else UNKNOWN if UNKNOWN in results else False
        else:
            raise CannotTell(condition.connector)
        return (UNKNOWN if result is UNKNOWN else not result) if condition.negated else result
    if isinstance(condition, Lookup):
        return _compare(condition.lookup_name, _value(condition.lhs, instance, exclude),
                        _value(condition.rhs, instance, exclude))
    raise CannotTell(repr(condition))


def _child(child, instance, exclude):
    if not isinstance(child, tuple):
        return holds(child, instance, exclude)
    key, right = child
    name, _, lookup = key.partition("__")
    lookup = lookup or "exact"
    if "__" in lookup:
        raise CannotTell(key)
    left = _field_value(instance, name, exclude)
    return _compare(lookup, left, _value(right, instance, exclude))


class ConstraintsInPython:
    """Mixed into a model: its simple constraints are checked without a query."""

    def validate_constraints(self, exclude=None):
        exclude = set(exclude or ())
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        for model_class, model_constraints in self.get_constraints():
            for constraint in model_constraints:
                try:
                    _validate(constraint, model_class, self, exclude, using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _truth(condition, instance, exclude):
    """The condition's truth for the instance, or ASK_THE_DATABASE; `_Skip` goes through."""
    try:
        return holds(condition, instance, exclude)
    except CannotTell:
        return ASK_THE_DATABASE


def _validate(constraint, model_class, instance, exclude, using) -> None:
    condition = getattr(constraint, "condition", None)
    if isinstance(constraint, CheckConstraint | UniqueConstraint) and condition is not None:
        try:
            truth = _truth(condition, instance, exclude)
        except _Skip:
            return
        if isinstance(constraint, CheckConstraint) and truth is not ASK_THE_DATABASE:
            if truth is False:
                raise ValidationError(constraint.get_violation_error_message(),
                                      code=constraint.violation_error_code)
            return
        if isinstance(constraint, UniqueConstraint) and truth in (False, UNKNOWN):
            return  # the row is outside the partial index: nothing to be unique with
    constraint.validate(model_class, instance, exclude=exclude, using=using)
