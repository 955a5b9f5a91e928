"""`{% memo "name" value1 value2 … %}…{% endmemo %}`: a fragment rendered once per set of
values, kept in the process, and given back as it was for the same values.

For a part of a list row that is the same for everyone who sees it (a service's card in
the directory): Django's templates cost about half a millisecond for such a card, twenty
a page (issue 15). The key is the fragment's name, the language and time zone, today's date (a badge
such as "not verified since" turns with the day), the URL prefix and every value listed,
so the fragment must depend on nothing else: no user, no form, no CSRF token, no `now`.
Its test changes each field of the row and checks the page shows it at once
(tests/relais/directory/test_service_card_memo.py).

Unlike Django's `{% cache %}`, nothing expires and nothing is serialised: a change of any
value is a new key, the old one ages out of the LRU. The values must be hashable (else the
fragment is simply rendered).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from django import template
from django.urls import get_script_prefix
from django.utils import timezone, translation

register = template.Library()

LIMIT = 5_000  # fragments per process: a directory card is about 1 KB
# And their characters at most: a booklet entry's fragment holds its body, which may be
# long, and its key the body again (each worker's memory: issue 18, ≤ 150 MB).
CHARACTERS = 3_000_000
_kept: OrderedDict = OrderedDict()
_characters = 0  # of the fragments kept
_lock = threading.Lock()


class MemoNode(template.Node):
    def __init__(self, nodelist, name: str, values):
        self.nodelist, self.name, self.values = nodelist, name, values

    def render(self, context) -> str:
        return kept(self.name, tuple(value.resolve(context) for value in self.values),
                    lambda: self.nodelist.render(context))


def kept(name: str, values: tuple, render: Callable[[], str],
         around: tuple | None = None) -> str:
    """The fragment `name` for `values`, rendered by `render()` the first time (the tag's
    work, also for a Jinja2 page: the directory's cards, the booklet's entries).
    `surroundings()` is part of the key: a page that asks for many fragments passes it as
    `around`, worked out once (it costs more than the rest of a kept fragment)."""
    key = (name, around or surroundings(), *values)
    try:
        hash(key)
    except TypeError:
        return render()
    with _lock:
        html = _kept.get(key)
        if html is not None:
            _kept.move_to_end(key)
            return html
    html = render()
    _keep(key, html)
    return html


def _keep(key: tuple, html: str) -> None:
    global _characters
    with _lock:
        if key in _kept:  # rendered meanwhile by another thread
            return
        _kept[key] = html
        _characters += len(html)
        while len(_kept) > LIMIT or _characters > CHARACTERS:
            _characters -= len(_kept.popitem(last=False)[1])


@register.tag
def memo(parser, token):
    bits = token.split_contents()
    if len(bits) < 3 or bits[1][0] not in "\"'":
        raise template.TemplateSyntaxError(
            "{% memo \"name\" value … %}: a quoted name and at least one value")
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]])


def surroundings() -> tuple:
    """What every fragment depends on besides its values: the language, the time zone,
    today's date and the URL prefix."""
    return (translation.get_language(), timezone.get_current_timezone_name(),
            timezone.localdate(), get_script_prefix())



def forget() -> None:
    """Empty the fragments (tests)."""
    global _characters
    with _lock:
        _kept.clear()
        _characters = 0
