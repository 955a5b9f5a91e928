from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "relais.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        from relais.audit import partitions, sealing  # why inside: the clock's jobs use models

        sealing.register()
        partitions.register()
