"""The main menu, filled by the features: each registers the entries it owns, with the
question "may this request open it?", so a menu shows what the account can open and
nothing else (a link that answers 404 is worse than no link).

The questions are asked on every page, so they must be cheap: they read what the request
already holds (`request.user`, `request.memberships`), never the database.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from relais.core.reversing import reverse  # Django's, learnt: every page has the menu


@dataclass(frozen=True)
class Entry:
    key: str
    label: str  # a lazy translation: rendered in the reader's language
    url_name: str
    order: int
    shown: Callable[[HttpRequest], bool]
    # The page is "current" when its resolved view belongs to one of these (app_name or
    # "app_name:url_name"); by default the entry's own URL name.
    current_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool


_ENTRIES: dict[str, Entry] = {}


_sorted: list[Entry] = []


def register(entry: Entry) -> None:
    _ENTRIES[entry.key] = entry
    _sorted[:] = sorted(_ENTRIES.values(), key=lambda entry: entry.order)
    _written.clear()


def registered() -> list[Entry]:
    return list(_sorted)


def links_for(request: HttpRequest) -> list[Link]:
    if not request.user.is_authenticated:
        return []
    match = getattr(request, "resolver_match", None)
    shown = tuple(entry for entry in _sorted if entry.shown(request))
    return [Link(label, url, _is_current(entry, match))
            for entry, (label, url) in zip(shown, _labels_and_urls(shown), strict=True)]


# The menus' words and links, kept per language, URL configuration and script prefix:
# each link was a translation and a reverse() at every page, a third of the chrome's cost.
_written: dict[tuple, list[tuple[str, str]]] = {}


def _labels_and_urls(shown: tuple[Entry, ...]) -> list[tuple[str, str]]:
    key = (get_language(), settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(),
           tuple(entry.key for entry in shown))
    written = _written.get(key)
    if written is None:
        # A text, not the lazy translation: escaping a lazy one looks up each attribute.
        written = _written[key] = [(str(entry.label), reverse(entry.url_name))
                                   for entry in shown]
    return written


def lazy_links(request: HttpRequest):
    """For the template context: computed only if a page renders the menu."""
    return SimpleLazyObject(lambda: links_for(request))


def _is_current(entry: Entry, match) -> bool:
    if match is None:
        return False
    here = f"{match.namespace}:{match.url_name}"
    marks = entry.current_for or (entry.url_name,)
    return any(here == mark or match.namespace == mark for mark in marks)


# --- predicates the features share ------------------------------------------------------


def signed_in(request: HttpRequest) -> bool:
    return request.user.is_authenticated


def professional(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.is_professional


def member_professional(request: HttpRequest) -> bool:
    """A professional acting for at least one organisation today."""
    return professional(request) and bool(getattr(request, "memberships", ()))
