from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "relais.followup"
    label = "followup"
    verbose_name = _("After discharge")

    def ready(self):
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.followup import rules

        rules.register_policies()
