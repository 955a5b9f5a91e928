"""Limits on free text (issue 12): every text a person types has a size that fits its use.

A field made with `bounded_text` carries `max_length`, so its ModelForm gets the
`maxlength` attribute and Django's translated "at most N characters" message, and
`full_clean` checks it too (the HSDS import relies on that). The model lists the same
limits in its Meta with `text_limits`, and the database refuses longer text with a CHECK
on its length, on SQLite and PostgreSQL alike: a path that skips the form (a script, a
feed, a future API) cannot store more. tests/relais/core/test_text_limits.py holds every
text field of the project to this.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

# In characters; a typed A4 page holds about 3,000.
REASON = 1_000  # why: a reason, an explanation, a refusal's note
NOTE = 2_000  # a note, a question, what help is needed, what to watch for
LONG_NOTE = 4_000  # an answer, a decision, a description, a medication list
TEXT = 10_000  # a booklet entry: the longest thing anyone writes in Relais


def bounded_text(verbose_name=None, *, limit: int, **options) -> models.TextField:
    """A TextField of at most `limit` characters; name it in the Meta's `text_limits`."""
    return models.TextField(verbose_name, max_length=limit,
                            validators=[MaxLengthValidator(limit)], **options)


def text_limits(**limits: int) -> list[models.CheckConstraint]:
    """The database's side of the limits: CHECK (length(field) <= limit) for each field,
    named <app>_<model>_<field>_length."""
    return [models.CheckConstraint(condition=LessThanOrEqual(Length(name), limit),
                                   name=f"%(app_label)s_%(class)s_{name}_length")
            for name, limit in limits.items()]


def check_text_limits(instance) -> None:
    """For a service that saves without `full_clean`: the ValidationError it would raise
    for the instance's bounded text fields, before the database refuses them."""
    errors = {}
    for field in type(instance)._meta.concrete_fields:
        if isinstance(field, models.TextField) and field.max_length:
            try:
                field.run_validators(getattr(instance, field.attname))
            except ValidationError as error:
                errors[field.name] = error.error_list
    if errors:
        raise ValidationError(errors)
