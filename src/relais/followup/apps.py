from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "relais.followup"
    label = "followup"
    verbose_name = _("Follow-up and notifications")

    def ready(self):
        from relais.followup import access

        access.register_policies()
