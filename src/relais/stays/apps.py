from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaysConfig(AppConfig):
    name = "relais.stays"
    label = "stays"
    verbose_name = _("Hospital stays")

    def ready(self):
        from relais.network.views import PERSON_SECTIONS
        from relais.stays.sections import person_stays_section

        PERSON_SECTIONS.append(person_stays_section)
