"""Jinja2 for the pages opened all day: the chrome around every page, the person page and
the booklet (docs/architecture.md, "Two template engines").

Django's template language walks its nodes and looks each variable up by trying a dict, an
attribute and an index in turn, with a translation lookup per `{% translate %}`: the person
page spent 13 of its 27 ms rendering (issue 15). Jinja2 compiles a template to Python once.

What a Jinja2 template of Relais may use, beside Jinja2's own:
- `{{ _("…") }}` for a translation, and `{{ _("… %(name)s …") % {"name": value} }}` for one
  with values. `make messages` extracts them as it does `{% translate %}`
  (core/management/commands/makemessages.py adds `.jinja` files), so a text keeps the
  msgid, and the translation, it had in the Django template. The whole expression must
  start with `_("`, in double quotes, or it is not extracted. A plural is chosen in Python.
- `url(name, *args)`, `static(path)`, `colon()`, `language_name(code)`;
- Django's filters `date`, `linebreaksbr`, `truncatechars` (`core.text.truncated`: the
  same text, faster), `capfirst`;
- `django_template(name, values)`: a Django template's fragment, for the sections another
  feature registers on the person page (they stay in Django's language, where the
  features' other pages include them too).

The backend sends Django's `template_rendered` signal, as Django's own templates do, so the
test client's `response.context` and `assertTemplateUsed` work for both engines.
"""

import datetime
import functools
from collections.abc import Callable

import jinja2
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.template import Context, defaultfilters, engines
from django.template.backends import jinja2 as django_jinja2
from django.templatetags.static import static as django_static
from django.test.signals import template_rendered
from django.utils import formats, timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import trans_real

from relais.core import chrome as kept_chrome
from relais.core import reversing
from relais.core.templatetags.relais_text import colon
from relais.core.text import truncated


def environment(**options) -> jinja2.Environment:
    options.pop("autoescape", None)  # always on: every page escapes what it prints
    env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=False)
    env.globals.update(url=url, static=static, colon=colon, language_name=language_name,
                       django_template=django_template, chrome=chrome)
    env.filters.update(date=date, linebreaksbr=defaultfilters.linebreaksbr,
                       truncatechars=truncated,
                       capfirst=defaultfilters.capfirst)
    return env


@jinja2.pass_context
def date(context, value, arg=None) -> str:
    """Django's `date` filter, in the user's time zone as Django's templates give it.

    A numeric format (Relais's `d/m/Y H:i`) is written by `str.format`, learnt once per
    format: Django's `dateformat` parses the format at every call, and a booklet page has
    fifty dates (a tenth of its time). Anything else is Django's own."""
    if value in (None, ""):
        return ""
    zone = context.get("time_zone")  # looked up once a page (request_values)
    if zone is None or not isinstance(value, datetime.datetime) or timezone.is_naive(value):
        value = template_localtime(value)
    else:
        value = value.astimezone(zone)
    if arg == "c":
        return value.isoformat()
    pattern = formats.get_format(arg or "DATE_FORMAT")
    written = _numeric_format(pattern)
    if written is None or (written[1] and not isinstance(value, datetime.datetime)):
        return defaultfilters.date(value, pattern)
    return written[0].format(value)


def datetime_writer(arg: str) -> Callable[[datetime.datetime], str]:
    """What `date(value, arg)` writes, for the many aware times of one page (a booklet's
    fifty): the zone, the language's format and its pattern looked up once, not at each
    time through the template's filter (50 µs each)."""
    zone = timezone.get_current_timezone()
    if arg == "c":
        return lambda value: value.astimezone(zone).isoformat()
    pattern = formats.get_format(arg)
    written = _numeric_format(pattern)
    if written is None:
        return lambda value: defaultfilters.date(value.astimezone(zone), pattern)
    return lambda value: written[0].format(value.astimezone(zone))


_NUMERIC = {"d": "{0.day:02d}", "j": "{0.day}", "m": "{0.month:02d}", "n": "{0.month}",
            "Y": "{0.year:04d}", "H": "{0.hour:02d}", "G": "{0.hour}",
            "i": "{0.minute:02d}", "s": "{0.second:02d}"}
_TIME_PARTS = set("HGis")
_SEPARATORS = set(" /:-.,")


@functools.lru_cache(maxsize=64)
def _numeric_format(pattern: str) -> tuple[str, bool] | None:
    """(`str.format` pattern, whether it needs a time) for a format of numbers and
    separators only; None for any other (month names, escapes, AM/PM)."""
    if not all(c in _NUMERIC or c in _SEPARATORS for c in pattern):
        return None
    return "".join(_NUMERIC.get(c, c) for c in pattern), bool(_TIME_PARTS & set(pattern))


def url(viewname: str, *args) -> str:
    return reversing.reverse(viewname, args=args)


@functools.cache
def static(path: str) -> str:
    """Django's `static`, kept per path: a file's URL (its hashed name in production) does
    not change while the process runs, and every page links four."""
    return django_static(path)


@receiver(setting_changed)
def _forget_static(setting, **kwargs):
    if setting in {"STATIC_URL", "STORAGES", "STATIC_ROOT"}:
        static.cache_clear()


@functools.cache
def language_name(code: str) -> str:
    """The language's name in itself, capitalised: what the language switch offers."""
    return defaultfilters.capfirst(translation.get_language_info(code)["name_local"])


@jinja2.pass_context
def chrome(context, name: str):
    """A part of the chrome (base.jinja), kept per shape of page (core/chrome.py)."""
    return kept_chrome.html(context.environment.get_template(name), context)


@jinja2.pass_context
def django_template(context, template_name: str, values: dict):
    """A Django template rendered with the page's values and `values`, as `{% include %}`
    would (a section's template may use the page's `person`, `user` or CSRF token)."""
    template = engines["django"].engine.get_template(template_name)
    return mark_safe(template.render(Context(  # noqa: S308 - Django's template escapes
        {**context.get_all(), **values}, autoescape=True)))


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend, announcing each page it renders as Django's templates do."""

    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)


class Template(django_jinja2.Template):
    @property
    def name(self) -> str:
        return self.origin.template_name

    def render(self, context=None, request=None):
        context = {} if context is None else context
        if request is not None:
            context.update(request_values(request))
            for context_processor in self.backend.template_context_processors:
                context.update(context_processor(request))
        html = self.template.render(context)
        # No receiver outside tests: `send` returns at once.
        template_rendered.send(sender=self, template=self, context=context)
        return html


def request_values(request) -> dict:
    """What Django's Jinja2 backend gives a template, with the CSRF token masked once for
    the page, as Django's own templates do (the backend's `csrf_input` and `csrf_token`
    each mask it again: 32 random characters drawn one by one, a fifth of the chrome's
    cost), and the active language's catalogue looked up once: `_()` finds it among the
    template's values before the environment's `_`, which asks for the language each time."""
    active = trans_real.catalog()
    token = SimpleLazyObject(lambda: get_token(request))
    return {"request": request, "csrf_token": token,
            "csrf_input": SimpleLazyObject(lambda: format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)),
            "_": active.gettext, "gettext": active.gettext, "ngettext": active.ngettext,
            "time_zone": timezone.get_current_timezone()}


def fragment(name: str, context, *, page_values: bool = False) -> str:
    """A Jinja2 fragment for a Django template (`{% jinja %}`): the page's values,
    flattened, and the CSRF field (the language switch and the log-out form need it).
    With `page_values`, the values flattened for the page's first such fragment are used
    again (the chrome's three parts: none of them inside a loop)."""
    template = engines["jinja2"].get_template(name).template
    if not page_values:
        return mark_safe(template.render(_flattened(context)))  # noqa: S308 - Jinja2 escapes
    if (values := context.render_context.get(_FLATTENED)) is None:
        values = context.render_context[_FLATTENED] = _flattened(context)
    return mark_safe(kept_chrome.html(template, values))  # noqa: S308 - escaped


_FLATTENED = "relais.jinja.flattened"


def _flattened(context) -> dict:
    values = context.flatten()
    request = values.get("request")
    if request is not None:
        values.update(request_values(request))
    return values
