from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "relais.accounts"
    label = "accounts"
    verbose_name = _("Organisations and accounts")

    def ready(self):
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.accounts import menu, rules, sessions, signals  # noqa: F401 - signals

        rules.register_policies()
        menu.register_entries()
