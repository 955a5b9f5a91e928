"""The unread count in every page's header: only what the gate still shows the user."""

import threading
from collections import OrderedDict

from django.utils.functional import SimpleLazyObject

from relais.access import decisions, policy
from relais.core import kept
from relais.notifications.models import Notification


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    # Lazy: only pages that show the header ask the database.
    return {"unread_notifications": SimpleLazyObject(lambda: _unread_count(
        user, getattr(request, ASKED, None) or _question(user)))}


ASKED = "_relais_unread_question"


def register() -> None:
    decisions.ask_with_the_first(ask_with_the_page)


def ask_with_the_page(request) -> None:
    """The header's question, asked with the page's first statement of small questions
    (access.decisions.ask_with_the_first), for a page that will show the header."""
    user = getattr(request, "user", None)
    if (user is not None and user.is_authenticated and request.method == "GET"
            and "HX-Request" not in request.headers and _takes_html(request)):
        setattr(request, ASKED, _question(user))


def _takes_html(request) -> bool:
    """What a browser asks for (or a client that says nothing): not a JSON or FHIR call.
    A look at the header, not `request.accepts`, which parses every media type."""
    accept = request.headers.get("Accept", "")
    return not accept or "html" in accept or "*/*" in accept


def _question(user) -> tuple[bool, kept.Later]:
    # Most pages are opened with nothing unread: one indexed look at the user's own rows
    # says so without the gate's question. Anything unread is counted through the gate,
    # with the count's SQL kept for the user (their gate signature) across requests:
    # building it cost more than running it. Someone who had unread notifications on
    # their last page is counted at once (one question instead of two); both ways give
    # the exact count, this process only guesses which is cheaper.
    if user.pk in _had_unread:
        return True, _counted(user)
    return False, kept.later_exists(("notifications.any_unread",), lambda s: Notification
                                    .objects.filter(recipient_id=s.user).unread(),
                                    user=user.pk)


def _counted(user) -> kept.Later:
    return kept.later_count(("notifications.unread", policy.signature(user)),
                            lambda s: Notification.objects.visible_to(user)
                            .filter(recipient_id=s.user).unread(), user=user.pk)


def _unread_count(user, asked: tuple[bool, kept.Later]) -> int:
    counting, question = asked
    if not counting:
        if not question.get():
            return 0
        question = _counted(user)
    count = question.get()
    _remember(user.pk, had_unread=count > 0)
    return count


_had_unread: OrderedDict[int, None] = OrderedDict()  # user ids, the most recent last
_REMEMBERED = 10_000


def _remember(user_id: int, had_unread: bool) -> None:
    with _lock:
        if had_unread:
            _had_unread[user_id] = None
            _had_unread.move_to_end(user_id)
            while len(_had_unread) > _REMEMBERED:
                _had_unread.popitem(last=False)
        else:
            _had_unread.pop(user_id, None)


_lock = threading.Lock()  # `relais run` serves pages from threads
