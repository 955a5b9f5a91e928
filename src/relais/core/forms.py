import threading
from collections import OrderedDict

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

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


# --- a form's fields as HTML, kept ------------------------------------------------------

FIELDS_HTML_KEPT = 512
_fields_html: OrderedDict[tuple, str] = OrderedDict()
_fields_html_lock = threading.Lock()


def kept_fields_html(form: forms.Form, layout: tuple[tuple[str, str], ...]) -> SafeString:
    """The HTML `layout` makes of `form`'s fields: each (field name, a format naming
    `{label_tag}`, `{label}` and `{widget}`). Kept per language and per values shown: a
    filter form's selects are the same for everyone who chose the same filters, and
    Django renders each option of each select (a fifth of a list page). The choices of
    reference lists come from the database: kept.forget() drops this with the kept
    queries (a municipality or care zone saved calls it, see CoreConfig.ready)."""
    key = (type(form), form.prefix, form.auto_id, layout, get_language(), form.is_bound,
           *((repr(form[name].value()), form.is_bound and name in form.errors)
             for name, _format in layout))
    with _fields_html_lock:
        html = _fields_html.get(key)
        if html is not None:
            _fields_html.move_to_end(key)
            return mark_safe(html)  # noqa: S308 - built below by format_html from fields
    html = "".join(format_html(shape, label_tag=form[name].label_tag(),
                               label=form[name].label, widget=form[name])
                   for name, shape in layout)
    with _fields_html_lock:
        _fields_html[key] = html
        while len(_fields_html) > FIELDS_HTML_KEPT:
            _fields_html.popitem(last=False)
    return mark_safe(html)  # noqa: S308 - format_html escaped what it was given


def forget_fields_html() -> None:
    with _fields_html_lock:
        _fields_html.clear()


kept.when_forgotten(forget_fields_html)
