from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThematicConfig(AppConfig):
    name = "relais.thematic"
    label = "thematic"
    verbose_name = _("Thematic consultations")

    def ready(self):
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.thematic import menu, notices, reminders, rules

        rules.register_policies()
        menu.register_entries()
        notices.register_kinds()
        reminders.register()
