from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "relais.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # why inside: the clock, rules and services read models, loaded once apps are ready
        from relais.core import clock
        from relais.notifications import context_processors, rules, services  # why: as above

        rules.register_policies()
        context_processors.register()
        clock.register("notifications.digests", timedelta(days=1), services.queue_digests_at)
