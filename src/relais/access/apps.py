from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "relais.access"
    label = "access"
    verbose_name = _("Access and consent")

    def ready(self):
        from relais.access import persons, policy  # why: registries fill once apps are ready

        policy.register_audit_log_policy()
        persons.register_break_glass()
