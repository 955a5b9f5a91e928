from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "relais.access"
    label = "access"
    verbose_name = _("Access and audit")

    def ready(self):
        from relais.access import policy

        policy.register_builtin_policies()
