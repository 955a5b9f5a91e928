"""`get_FOO_display()` looks its label up (core/choices.py): the same words as Django's own,
in the reader's language, without translating every choice of the field at each call."""

from unittest.mock import PropertyMock, patch

import pytest
from django.apps import apps
from django.db.models import Field, Model
from django.utils import translation

from relais.followup.models import Contact
from relais.network.models import MemberRole

FIELDS_WITH_CHOICES = sorted(
    ((model, field) for model in apps.get_models() for field in model._meta.concrete_fields
     if field.choices and model.__module__.startswith("relais.")),
    key=lambda pair: (pair[0]._meta.label, pair[1].name))


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_label_is_djangos_in_every_language(language):
    assert len(FIELDS_WITH_CHOICES) > 30
    with translation.override(language):
        for model, field in FIELDS_WITH_CHOICES:
            row = model()
            for value in [value for value, _label in field.flatchoices] + ["not-a-choice"]:
                setattr(row, field.attname, value)
                shown = getattr(row, f"get_{field.name}_display")()
                assert shown == Model._get_FIELD_display(row, field), (model, field.name)


def test_the_label_follows_the_language_after_the_first_call():
    contact = Contact(status="problem")
    with translation.override("en"):
        english = contact.get_status_display()
    with translation.override("fr"):
        french = contact.get_status_display()
    assert english != french and "probl" in french


def test_the_choices_are_not_read_again_once_looked_up():
    contact = Contact(status="problem", channel="phone")
    contact.get_status_display()
    with patch.object(Field, "flatchoices", new_callable=PropertyMock) as flatchoices:
        flatchoices.side_effect = AssertionError("every choice rebuilt")
        assert contact.get_status_display()
    flatchoices.assert_not_called()


def test_new_choices_give_new_labels_and_a_models_own_method_is_kept():
    field = Contact._meta.get_field("channel")
    contact = Contact(channel="phone")
    before = contact.get_channel_display()
    with patch.object(field, "_choices", [("phone", "Phoned")]):
        assert contact.get_channel_display() == "Phoned"
    assert contact.get_channel_display() == before
    # MemberRole writes its own (network/models.py: choice_label); it is not replaced.
    assert "get_role_display" in vars(MemberRole)
    assert not hasattr(vars(MemberRole)["get_role_display"], "keywords")
