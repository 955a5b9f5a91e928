from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.core.menu import Entry, professional, register


class CoreConfig(AppConfig):
    name = "relais.core"
    label = "core"
    verbose_name = _("Core and geography")

    def ready(self):
        register(Entry("care_zones", _("Care zones"), "core:care_zones", 70, professional))
