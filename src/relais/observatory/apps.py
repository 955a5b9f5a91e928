from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservatoryConfig(AppConfig):
    name = "relais.observatory"
    label = "observatory"
    verbose_name = _("Observatory")

    def ready(self):
        pass
