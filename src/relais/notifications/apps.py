from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "relais.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from relais.notifications import rules  # why: rules read models, loaded once apps are ready

        rules.register_policies()
