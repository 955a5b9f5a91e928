"""The widgets Relais writes in Python (core/form_rendering.py) come out byte for byte as
Django's widget templates write them, and anything else is still rendered by templates."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Select
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from relais.core.form_rendering import WidgetsInPython
from relais.core.forms import kept_fields_html
from relais.core.models import Municipality
from relais.directory.forms import SearchForm, ServiceForm

TRICKY = 'Saint-Gilles <b>"&\'</b>'


class EveryWidget(forms.Form):
    text = forms.CharField(initial=TRICKY, max_length=30, help_text="help")
    empty = forms.CharField(required=False)
    number = forms.IntegerField(initial=1234567, min_value=0)
    decimal = forms.DecimalField(initial="12.5", required=False)
    email = forms.EmailField(required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    day = forms.DateField(initial=datetime.date(2026, 12, 3),
                          widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(initial=datetime.datetime(2026, 12, 3, 9, 5))
    hidden = forms.CharField(widget=forms.HiddenInput, initial="v&1")
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="x<y")
    agree = forms.BooleanField(required=False, initial=True)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-x": TRICKY}),
                           initial=TRICKY)
    blank_note = forms.CharField(widget=forms.Textarea, required=False)
    choice = forms.ChoiceField(choices=[("", "—"), ("a", TRICKY), ("b", gettext_lazy("Name")),
                                        (3, mark_safe("<i>safe</i>"))], initial="a")
    grouped = forms.ChoiceField(choices=[
        ("Brussels", [("1000", "Brussel"), ("1030", "Schaerbeek")]), ("x", "loose"),
        (TRICKY, [("9", 9999)])], initial="1030")
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")],
                                     initial=["a", "c"])
    off = forms.ChoiceField(choices=[("a", "A")], disabled=True,
                            widget=forms.Select(attrs={"class": "x", "aria-describedby": TRICKY,
                                                       "data-flag": True, "data-no": False}))
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    ticks = forms.MultipleChoiceField(
        choices=[("a", TRICKY), ("b", mark_safe("<i>safe</i>")), (3, gettext_lazy("Name"))],
        initial=["a", 3], widget=forms.CheckboxSelectMultiple(attrs={"class": "x"}),
        required=False)
    grouped_ticks = forms.MultipleChoiceField(
        choices=[(TRICKY, [("1", "one"), ("2", "two")]), ("3", "three")],
        widget=forms.CheckboxSelectMultiple, required=False)
    no_ticks = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple,
                                         required=False)


def as_html(form, renderer) -> str:
    form.renderer = renderer
    return str(form)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize("bound", [False, True])
def test_every_django_widget_is_written_exactly_as_the_templates_write_it(language, bound):
    data = {"text": TRICKY + "x", "number": "12", "choice": "b", "grouped": TRICKY, "many": ["b"],
            "note": "a\n<b>", "agree": "on", "ticks": ["b"], "grouped_ticks": ["2", "3"],
            "radio": "b"} if bound else None
    with override(language):
        templates = as_html(EveryWidget(data), DjangoTemplates())
        python = as_html(EveryWidget(data), WidgetsInPython())
    assert python == templates
    assert "&lt;b&gt;&quot;&amp;&#x27;&lt;/b&gt;" in python  # escaped, not dropped
    assert "<i>safe</i>" in python


@pytest.mark.django_db
def test_relais_forms_are_written_exactly_as_the_templates_write_them():
    for form in (SearchForm({"q": "thuis <x>"}), SearchForm(), ServiceForm()):
        templates = as_html(form, DjangoTemplates())
        assert as_html(form, WidgetsInPython()) == templates
        assert "<select" in templates or "<input" in templates


def test_the_templates_render_what_is_not_written_in_python():
    """An option with a template of its own makes the whole select go through the
    templates."""

    class OwnOption(Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    renderer = WidgetsInPython()
    widget = OwnOption(choices=[("a", "A")])
    html = widget.render("f", "a", renderer=renderer)
    assert html == widget.render("f", "a", renderer=DjangoTemplates())
    assert "<label><input" in html  # the option's own template was used


def test_an_app_overriding_a_widget_template_gets_the_templates(monkeypatch):
    renderer = WidgetsInPython()
    real = renderer.get_template

    def overridden(name):
        template = real(name)
        if name.endswith("attrs.html"):
            template.origin.name = "/srv/someapp/templates/" + name
        return template

    monkeypatch.setattr(renderer, "get_template", overridden)
    assert renderer.templates_are_djangos is False
    assert WidgetsInPython().templates_are_djangos is True


# --- kept_fields_html ------------------------------------------------------------------------

LAYOUT = (("category", "<div>{label_tag}{widget}</div>"),
          ("municipality", "<div>{label_tag}{widget}</div>"),
          ("accepting", "<div><label>{widget} {label}</label></div>"))


def rendered_afresh(form) -> str:
    return "".join(f"<div>{form[n].label_tag()}{form[n]}</div>" for n in ("category",
                                                                            "municipality")
                   ) + f"<div><label>{form['accepting']} {form['accepting'].label}</label></div>"


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"category": "home_nursing", "accepting": "on"},
                                  {"category": "no such", "municipality": "1"}])
@pytest.mark.parametrize("language", ["nl", "fr"])
def test_kept_fields_are_the_fields_each_time(data, language):
    with override(language):
        first = kept_fields_html(SearchForm(data), LAYOUT)
        again = kept_fields_html(SearchForm(data), LAYOUT)
        afresh = rendered_afresh(SearchForm(data))
    assert first == again == afresh
    assert ('value="home_nursing" selected' in first) == bool(
        data and data["category"] == "home_nursing")


@pytest.mark.django_db
def test_kept_fields_differ_by_language_and_values():
    with override("nl"):
        dutch = kept_fields_html(SearchForm(), LAYOUT)
        chosen = kept_fields_html(SearchForm({"category": "home_nursing"}), LAYOUT)
    with override("fr"):
        french = kept_fields_html(SearchForm(), LAYOUT)
    assert len({dutch, chosen, french}) == 3


@pytest.mark.django_db
def test_a_municipality_renamed_is_shown_at_once():
    with override("nl"):
        assert "Schaarbeek-Renamed" not in kept_fields_html(SearchForm(), LAYOUT)
    municipality = Municipality.objects.get(nis_code="21015")
    municipality.name_nl = "Schaarbeek-Renamed"
    municipality.save()
    with override("nl"):
        assert "Schaarbeek-Renamed" in kept_fields_html(SearchForm(), LAYOUT)


def test_checkbox_and_radio_lists_are_written_in_python(monkeypatch):
    """The lists above are compared with the templates; here, they do not reach them."""
    asked = []
    real = DjangoTemplates.render
    monkeypatch.setattr(DjangoTemplates, "render", lambda self, name, *args, **kwargs: (
        asked.append(name), real(self, name, *args, **kwargs))[1])
    html = str(EveryWidget()["ticks"]) + str(EveryWidget()["radio"])
    assert 'type="checkbox" name="ticks" value="a"' in html and 'type="radio"' in html
    assert not [name for name in asked if "widgets/" in name], asked
