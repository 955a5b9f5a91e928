"""Form widgets rendered in Python, byte for byte as Django's own widget templates.

Django renders every widget through templates: a select of 60 choices is 60 template
includes of `select_option.html`, each including `attrs.html`. On the directory page the
filter form's selects cost more than the search itself (issue 15: 12 of 42 ms). The
templates are a few lines each; this renderer writes the same HTML in Python for the
widgets that use Django's own files (select, its options, inputs, textarea, checkbox and
radio lists), with the
same escaping and localisation as `{{ … }}` in a template. Any other template, or one of
these overridden by an app (a file of the same name found first), is rendered as Django
would. `tests/relais/core/test_form_rendering.py` compares the two outputs.
"""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

DJANGO_WIDGETS = "django/forms/widgets/"
# Django's own input templates whose whole text is `{% include "…/input.html" %}`.
INPUTS = ("input", "text", "email", "number", "password", "search", "tel", "url", "date",
          "datetime", "time", "hidden", "checkbox", "color")


def shown(value) -> str:
    """`{{ value }}` in a template: local time, localised, escaped unless safe."""
    return str(conditional_escape(localize(template_localtime(value))))


def formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the text of the value, escaped unless safe."""
    # The filter keeps a safe string safe; anything else becomes text, then is escaped.
    return str(value) if isinstance(value, SafeData) else str(escape(str(value)))


def attrs(attributes: dict) -> str:
    """attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {shown(name)}" + ("" if value is True else f'="{formatted(value)}"')
        for name, value in attributes.items() if value is not False)


def render_input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{formatted(widget["value"])}"'
    return (f'<input type="{shown(widget["type"])}" name="{shown(widget["name"])}"{value}'
            f'{attrs(widget["attrs"])}>\n')


def render_option(option: dict) -> str:
    return (f'<option value="{formatted(option["value"])}"{attrs(option["attrs"])}>'
            f'{shown(option["label"])}</option>\n')


def render_select(widget: dict) -> str | None:
    parts = [f'<select name="{shown(widget["name"])}"{attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != DJANGO_WIDGETS + "select_option.html":
                return None  # an option of its own: the templates render the whole select
            parts.append("\n  " + render_option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def render_textarea(widget: dict) -> str:
    text = shown(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{shown(widget["name"])}"{attrs(widget["attrs"])}>\n{text}</textarea>\n'


# The options of a checkbox or radio list (checkbox_option.html and radio_option.html
# include input_option.html, which includes input.html).
INPUT_OPTIONS = (DJANGO_WIDGETS + "checkbox_option.html", DJANGO_WIDGETS + "radio_option.html")


def render_input_option(option: dict) -> str:
    """input_option.html, as included by checkbox_option.html (each file's last newline
    comes with it)."""
    if not option["wrap_label"]:
        return render_input(option) + "\n\n"
    label_for = (f' for="{shown(option["attrs"]["id"])}"' if option["attrs"].get("id")
                 else "")
    return f"<label{label_for}>{render_input(option)} {shown(option['label'])}</label>\n\n"


def render_multiple_input(widget: dict) -> str | None:
    """multiple_input.html: a checkbox list (a booklet entry's named members) or a radio
    list, one template include per option in Django."""
    attributes = widget["attrs"]
    parts = ["<div", f' id="{shown(attributes["id"])}"' if attributes.get("id") else "",
             f' class="{shown(attributes["class"])}"' if attributes.get("class") else "", ">"]
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f"\n  <div><label>{shown(group_name)}</label>")
        for option in group_choices:
            if option["template_name"] not in INPUT_OPTIONS:
                return None  # an option of its own: the templates render the whole list
            parts.append(f"<div>\n    {render_input_option(option)}</div>")
        if group_name:
            parts.append("\n  </div>")
    parts.append("\n</div>\n")
    return "".join(parts)


IN_PYTHON = {
    DJANGO_WIDGETS + "select.html": render_select,
    DJANGO_WIDGETS + "checkbox_select.html": render_multiple_input,
    DJANGO_WIDGETS + "radio.html": render_multiple_input,
    DJANGO_WIDGETS + "select_option.html": render_option,
    DJANGO_WIDGETS + "textarea.html": render_textarea,
    **{f"{DJANGO_WIDGETS}{name}.html": render_input for name in INPUTS},
}
DJANGO_FORMS_DIR = str(Path(django.forms.__file__).parent / "templates")


class WidgetsInPython(DjangoTemplates):
    """Django's default form renderer, with the widgets above written in Python."""

    def render(self, template_name, context, request=None):
        write = IN_PYTHON.get(template_name)
        if write is not None and self.templates_are_djangos:
            html = write(context["widget"])
            if html is not None:
                return html.strip()
        return super().render(template_name, context, request=request)

    @cached_property
    def templates_are_djangos(self) -> bool:
        """Each template written here, and attrs.html they all include, is Django's own
        file: an app that overrides any of them (one file of the same name found first)
        gets the templates, its own included."""
        names = (*IN_PYTHON, *INPUT_OPTIONS, DJANGO_WIDGETS + "attrs.html",
                 DJANGO_WIDGETS + "multiple_input.html", DJANGO_WIDGETS + "input_option.html")
        return all(str(self.get_template(name).origin.name).startswith(DJANGO_FORMS_DIR)
                   for name in names)
