from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "relais.directory"
    label = "directory"
    verbose_name = _("Directory (social map)")

    def ready(self):
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.directory import menu, rules, sections

        rules.register_policies()
        menu.register_entries()
        sections.register()
