from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservatoryConfig(AppConfig):
    name = "relais.observatory"
    label = "observatory"
    verbose_name = _("Observatory")

    def ready(self):
        from relais.core import clock  # why inside: the clock's run record is a model

        # why inside: these modules use models, which exist only once apps are ready.
        from relais.observatory import menu, nightly, rules

        rules.register_policies()
        menu.register_entries()
        # Looked at every hour; computes once a night (nightly.compute_if_due).
        clock.register("observatory.compute", timedelta(hours=1), nightly.compute_if_due)
