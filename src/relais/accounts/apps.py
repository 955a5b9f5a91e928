from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "relais.accounts"
    label = "accounts"
    verbose_name = _("Organisations and accounts")

    def ready(self):
        # These modules use models, which exist only once apps are ready (checks,
        # sessions and signals register themselves on import): why they are imported here.
        from relais.accounts import checks, menu, rules, sessions, signals  # noqa: F401

        rules.register_policies()
        menu.register_entries()
        sessions.register_job()
