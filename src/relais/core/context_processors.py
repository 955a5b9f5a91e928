from django.conf import settings


def relais(request):
    return {
        "RELAIS_ENV": settings.RELAIS_ENV,
        "RELAIS_DEMO": getattr(settings, "RELAIS_DEMO", not settings.PRODUCTION),
        "unread_notifications": _unread_count(request),
    }


def _unread_count(request):
    """Lazy: only pages that show the header ask the database."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from django.utils.functional import SimpleLazyObject

    from relais.followup.models import Notification

    return SimpleLazyObject(lambda: Notification.objects.unread().filter(recipient=user).count())
