from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.booklet import notices


class BookletConfig(AppConfig):
    name = "relais.booklet"
    label = "booklet"
    verbose_name = _("Communication booklet")

    def ready(self):
        notices.register_kinds()
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.booklet import consultations, emergency, rules, sections
        from relais.core import clock  # why inside: the clock's run record is a model

        rules.register_policies()
        sections.register()
        emergency.register()
        consultations.register()
        clock.register("booklet.remind_consultations", timedelta(minutes=15),
                       consultations.remind_overdue)
