from django import forms
from django.forms.models import ModelChoiceIterator

from relais.core import kept


class DatePicker(forms.DateInput):
    """The browser's own date picker: it needs ISO dates whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class _KeptChoiceIterator(ModelChoiceIterator):
    """The choices read by a query kept across requests (core/kept.py)."""

    def __iter__(self):
        queryset = self.queryset
        if queryset.query.where and self.field.kept_as == "all":  # narrowed since: as usual
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in kept.rows(("choices", queryset.model._meta.label_lower, self.field.kept_as),
                             lambda _slots: queryset):
            yield self.choice(obj)


class ReferenceChoiceField(forms.ModelChoiceField):
    """A choice among a reference list (the municipalities, the care zones) whose query
    is the same on every page: compiled once, not at each form shown. `kept_as` names
    the queryset's shape ("all"): fields with another queryset give another name."""

    iterator = _KeptChoiceIterator

    def __init__(self, *args, kept_as: str = "all", **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_as = kept_as
