"""The unread count in every page's header: only what the gate still shows the user."""

from django.utils.functional import SimpleLazyObject

from relais.access import policy
from relais.core import kept
from relais.notifications.models import Notification


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    # Lazy: only pages that show the header ask the database.
    return {"unread_notifications": SimpleLazyObject(lambda: _unread_count(user))}


def _unread_count(user) -> int:
    # Most pages are opened with nothing unread: one indexed look at the user's own rows
    # says so without building the gate's question (milliseconds of Python per page).
    # Anything unread is counted through the gate, with the count's SQL kept for the
    # user (their gate signature) across requests: building it cost more than running it.
    if not kept.exists(("notifications.any_unread",), lambda s: Notification.objects
                       .filter(recipient_id=s.user).unread(), user=user.pk):
        return 0
    return kept.count(("notifications.unread", policy.signature(user)),
                      lambda s: Notification.objects.visible_to(user)
                      .filter(recipient_id=s.user).unread(), user=user.pk)
