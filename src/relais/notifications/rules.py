"""Who sees the email deliveries: platform administrators only (they hold no health data,
but they name who was told something, and when).

Registered with `relais.access.policy` when the app is ready, like the other apps' rules.
"""

from django.db.models import QuerySet

from relais.access.policy import Action, Policy, is_platform_admin, register


def visible_deliveries(user, queryset: QuerySet) -> QuerySet:
    return queryset if is_platform_admin(user) else queryset.none()


def may_on_delivery(user, delivery, action: Action) -> bool:
    return is_platform_admin(user)


def register_policies() -> None:
    from relais.notifications.models import EmailDelivery

    register(EmailDelivery, Policy(visible=visible_deliveries, allows=may_on_delivery))
