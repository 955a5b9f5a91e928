from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaysConfig(AppConfig):
    name = "relais.stays"
    label = "stays"
    verbose_name = _("Hospital stays")
