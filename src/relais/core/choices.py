"""`get_FOO_display()` with each field's labels looked up, not rebuilt.

Django's `Model._get_FIELD_display` builds a dict of every choice of the field at each
call, and hashing each pair hashes its lazy label: every label of the field is
translated to show one (40 µs for a five-choice field; a work list shows a status and a
channel per contact, a booklet a kind per entry). Here the value → label dict is made
once per field and kept on the field; its labels stay lazy, so each call still says the
label in the active language. A field whose choices are replaced gets a new dict.
"""

from functools import partialmethod

from django.apps import apps
from django.db.models import Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_KEPT = "_relais_labels"


def install() -> None:
    """Every model's `get_FOO_display` that Django made looks its label up instead; one a
    model wrote itself is left alone."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            name = f"get_{getattr(field, 'name', '')}_display"
            made = model.__dict__.get(name)
            if (isinstance(made, partialmethod) and made.func is Model._get_FIELD_display
                    and made.keywords.get("field") is field):
                setattr(model, name, partialmethod(_display, field=field))


def _display(self, field) -> str:
    value = getattr(self, field.attname)
    return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)


def _labels(field) -> dict:
    kept = field.__dict__.get(_KEPT)
    if kept is None or kept[0] is not field.choices:
        kept = field.__dict__[_KEPT] = (field.choices, dict(make_hashable(field.flatchoices)))
    return kept[1]
