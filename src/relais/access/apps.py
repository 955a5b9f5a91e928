from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.core.menu import Entry, professional, register


class AccessConfig(AppConfig):
    name = "relais.access"
    label = "access"
    verbose_name = _("Access and consent")

    def ready(self):
        from relais.access import persons, policy  # why: registries fill once apps are ready

        policy.register_audit_log_policy()
        persons.register_break_glass()
        register(Entry("audit_log", _("Audit log"), "access:audit_log", 80,
                       _sees_an_audit_log, current_for=("access",)))


def _sees_an_audit_log(request) -> bool:
    """Professionals read their own trail (managers their organisations'); the
    administrator everything."""
    return professional(request) or request.user.is_superuser
