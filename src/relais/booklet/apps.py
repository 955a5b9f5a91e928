from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookletConfig(AppConfig):
    name = "relais.booklet"
    label = "booklet"
    verbose_name = _("Communication booklet")

    def ready(self):
        from relais.booklet.sections import person_booklet_section
        from relais.network.views import PERSON_SECTIONS

        PERSON_SECTIONS.insert(0, person_booklet_section)
        from relais.booklet.emergency import network_changed
        from relais.network.services import NETWORK_CHANGED

        NETWORK_CHANGED.append(network_changed)
