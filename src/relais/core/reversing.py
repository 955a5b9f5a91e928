"""`reverse()` for the common case, learnt once: a named URL with whole-number arguments.

Django's `reverse()` walks its table of patterns, fills in the arguments, quotes the
result and checks it against the pattern's regular expression, each time: about 0.1 ms,
and the person page has 50 links (a member's edit, invite, contact point, exclusion and
removal forms), the work lists 25 and more (issue 15). For a given name and shape of
arguments, a URL whose arguments are non-negative integers is a fixed text with the
numbers in their places: it is learnt once from Django's own `reverse()` with sentinel
numbers, and then written by `str.format`. Anything else (text arguments, a name seen with
other argument names, a URL the sentinels do not fit) goes to Django's `reverse()`.

Exact because Relais registers no path converter of its own: Django's `int`, `str`,
`slug` and `path` converters write a whole number as its decimal digits, which need no
quoting (`uuid` refuses the sentinels, so its URLs are never learnt). The first use of
every shape is compared with Django's answer (`tests/relais/core/test_reversing.py`).
"""

import threading
from collections.abc import Callable

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse
from django.urls.converters import DEFAULT_CONVERTERS, get_converters

# Numbers no URL of a real row carries, two sets: a shape is learnt when both give it.
SENTINELS = (9_087_654_321, 8_176_543_219)
UNFIT = "unfit"  # a shape Django's reverse keeps

_shapes: dict[tuple, str] = {}  # key → its `str.format` pattern, or UNFIT
_lock = threading.Lock()


def reverse(viewname, args=None, kwargs=None, current_app=None) -> str:
    args, kwargs = tuple(args or ()), kwargs or {}
    if (not isinstance(viewname, str) or not _whole_numbers(args, kwargs)
            or not _only_djangos_converters()):
        return django_reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    names = tuple(sorted(kwargs)) if kwargs else ()
    key = _key(viewname, current_app, len(args), names)
    written = _shapes.get(key)
    if written is None:
        written = _learn(viewname, args, kwargs, current_app, key)
    if written is UNFIT:
        return django_reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    return written.format(*args, *(kwargs[name] for name in names))


def writer(viewname: str) -> Callable[[int], str]:
    """`lambda pk: reverse(viewname, args=[pk])`, its shape looked up once: for the links
    of a page's rows (the key is made of the request's URL configuration and prefix)."""
    reverse(viewname, args=[0])  # learns the shape, or finds Django must write it
    written = _shapes.get(_key(viewname, None, 1, ()))
    if written is None or written is UNFIT:
        return lambda pk: reverse(viewname, args=[pk])
    return written.format


def _key(viewname: str, current_app, positional: int, names: tuple) -> tuple:
    """What a learnt shape is kept under: the request's URL configuration and prefix, the
    name, and the shape of the arguments."""
    return (settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(), viewname, current_app,
            positional, names)


def _whole_numbers(args, kwargs) -> bool:
    return all(type(value) is int and value >= 0 for value in (*args, *kwargs.values()))


def _only_djangos_converters() -> bool:
    # Django keeps one table of converters until one is registered, which makes a new one:
    # the answer is kept for the table it was given for (a page writes fifty links).
    global _converters_checked
    converters = get_converters()
    if _converters_checked[0] is not converters:
        _converters_checked = (converters, converters.keys() == DEFAULT_CONVERTERS.keys() and all(
            type(converters[name]) is type(DEFAULT_CONVERTERS[name]) for name in converters))
    return _converters_checked[1]


_converters_checked: tuple = (None, False)


def _learn(viewname, args, kwargs, current_app, key) -> tuple | str:
    """The URL as texts between the arguments' places: ("/persons/", 0, "/members/", 1,
    "/edit/") with 0, 1 the positions in args then kwargs (sorted by name)."""
    names = sorted(kwargs)
    shapes = []
    for base in SENTINELS:
        values = [base + n for n in range(len(args) + len(names))]
        try:
            url = django_reverse(viewname, args=values[:len(args)],
                                 kwargs=dict(zip(names, values[len(args):], strict=True)),
                                 current_app=current_app)
        except NoReverseMatch:
            shapes.append(UNFIT)
            continue
        shapes.append(_split(url, values))
    shape = shapes[0] if shapes[0] is not UNFIT and shapes[0] == shapes[1] else UNFIT
    written = UNFIT if shape is UNFIT else _format(shape)
    if written is not UNFIT and written.format(*args, *(kwargs[name] for name in names)) != (
            django_reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)):
        written = UNFIT
    with _lock:
        _shapes[key] = written
    return written


def _split(url: str, values: list[int]) -> tuple | str:
    """Each sentinel must appear exactly once; the texts around them are the shape."""
    places = []
    for position, value in enumerate(values):
        if url.count(str(value)) != 1:
            return UNFIT
        places.append((url.index(str(value)), position, len(str(value))))
    shape, cursor = [], 0
    for start, position, length in sorted(places):
        shape += [url[cursor:start], position]
        cursor = start + length
    shape.append(url[cursor:])
    return tuple(shape)


def _format(shape: tuple) -> str:
    """The shape as a `str.format` pattern ("/persons/{0}/members/{1}/"): one call writes
    the link, where joining its parts took a generator."""
    return "".join(part.replace("{", "{{").replace("}", "}}") if isinstance(part, str)
                   else f"{{{part}}}" for part in shape)


def forget() -> None:
    """Forget the learnt shapes (tests that change the URL configuration)."""
    with _lock:
        _shapes.clear()
