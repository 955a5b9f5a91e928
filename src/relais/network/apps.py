from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.network import menu, notices


class NetworkConfig(AppConfig):
    name = "relais.network"
    label = "network"
    verbose_name = _("Persons and their care network")

    def ready(self):
        notices.register_kinds()
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.network import rules, sections

        rules.register_policies()
        menu.register_entries()
        sections.register()
