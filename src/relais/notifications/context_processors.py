"""The unread count in every page's header: only what the gate still shows the user."""

from django.utils.functional import SimpleLazyObject

from relais.notifications.models import Notification


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    # Lazy: only pages that show the header ask the database.
    return {"unread_notifications": SimpleLazyObject(
        lambda: Notification.objects.visible_to(user).unread().count())}
