from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.stays import notices


class StaysConfig(AppConfig):
    name = "relais.stays"
    label = "stays"
    verbose_name = _("Hospital stays")

    def ready(self):
        notices.register_kinds()
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.stays import menu, rules, sections

        rules.register_policies()
        menu.register_entries()
        sections.register()
