"""The chrome (jinja2/chrome/: head, header, footer) kept as HTML per shape of page.

Everyone who sees the same menu in the same language gets the same header but for four
values of the request: the CSRF token, the page's address (the language switch comes back
to it), the user's name and the unread count. Rendering it cost about 2 M instructions a
page, a tenth of the hospital's work list (bench/page_instructions.py). So each part is
rendered once per shape with markers where those four values go, kept, and each page
replaces the markers with its own values, escaped as the template escapes them. A page
with messages to show (after a form) is rendered as before.

What a part reads of the page's values is listed in SHAPED_BY and MARKED; a test holds
the list to the templates (tests/relais/core/test_chrome.py), so a value added to the
chrome is either in the key or a marker, never kept from another user's page.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language
from markupsafe import Markup, escape

KEPT = 500  # shapes per process: languages × menus × unread or not
_TOKEN, _PATH, _NAME, _UNREAD = (f"\x1echrome:{value}\x1e"
                                 for value in ("token", "path", "name", "unread"))
_MARKER = re.compile("\x1echrome:(token|path|name|unread)\x1e")
CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'

# The page's values the chrome reads: those that shape it (in the key) and those marked.
SHAPED_BY = frozenset({"LANGUAGE_CODE", "LANGUAGES", "UPLOAD_MAX_BYTES", "upload_too_large",
                       "main_menu", "RELAIS_DEMO", "RELAIS_OUTBOX", "user", "messages",
                       "unread_notifications"})
MARKED = frozenset({"csrf_token", "csrf_input", "request", "user", "unread_notifications"})

_kept: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()  # `relais run` serves pages from threads


def html(template, values: Mapping) -> Markup:
    """`template` (a part of the chrome, Jinja2) as it renders with the page's `values`
    (Jinja2's context or Django's flattened one)."""
    values = values.get_all() if hasattr(values, "get_all") else values
    request = values.get("request")
    if request is None or "csrf_token" not in values or values.get("messages"):
        return Markup(template.render(values))  # noqa: S704 - Jinja2 escapes
    user = values.get("user")
    unread = values.get("unread_notifications") or 0
    shape = getattr(request, _SHAPE, None)  # the same for the page's three parts
    if shape is None:
        shape = _shape(values, user, bool(unread))
        setattr(request, _SHAPE, shape)
    key = (template.name, get_language(), shape)
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is None:
        kept = template.render(_stand_ins(values, key))
        with _lock:
            _kept[key] = kept
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
    return Markup(_filled(kept, request, user, values["csrf_token"], unread))  # noqa: S704 - its values escaped


@receiver(setting_changed)
def forget(**kwargs) -> None:
    """Drop every part kept (a setting changed: the static files' or the URLs' names)."""
    with _lock:
        _kept.clear()


_SHAPE = "_relais_chrome_shape"


def _shape(values: Mapping, user, unread: bool) -> tuple:
    """What the page's chrome depends on but the marked values (the key, with the part
    and the active language)."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    menu = tuple((link.label, link.url, link.current)
                 for link in values.get("main_menu") or ())
    languages = tuple(code for code, _name in values.get("LANGUAGES") or ())
    return (get_script_prefix(), get_urlconf(), values.get("LANGUAGE_CODE"), languages,
            values.get("UPLOAD_MAX_BYTES"), values.get("RELAIS_DEMO"),
            values.get("RELAIS_OUTBOX"), signed_in,
            signed_in and bool(getattr(user, "is_professional", False)), menu, unread)


class _StandInUser:
    """What the chrome reads of the user: the name is a marker."""

    email = ""

    def __init__(self, is_authenticated: bool, is_professional: bool):
        self.is_authenticated, self.is_professional = is_authenticated, is_professional

    @staticmethod
    def get_full_name() -> str:
        return _NAME


class _StandInRequest:
    @staticmethod
    def get_full_path() -> str:
        return _PATH


def _stand_ins(values: Mapping, key: tuple) -> dict:
    *_, signed_in, professional, _menu, unread = key[-1]
    return {**values, "user": _StandInUser(signed_in, professional),
            "request": _StandInRequest(), "csrf_token": _TOKEN,
            "csrf_input": Markup(CSRF_INPUT.format(_TOKEN)),  # noqa: S704 - a marker
            "unread_notifications": _UNREAD if unread else 0, "messages": ()}


def _filled(kept: str, request, user, token, unread) -> str:
    """The kept part with the page's values where the markers are, each escaped as the
    template escapes it, in one pass: a value put in (an address someone sent, a name)
    is not read again for markers."""
    values = {"token": lambda: token, "path": request.get_full_path,
              "name": lambda: user.get_full_name() or user.email, "unread": lambda: unread}
    return _MARKER.sub(lambda marker: str(escape(values[marker.group(1)]())), kept)
