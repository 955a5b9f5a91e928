from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookletConfig(AppConfig):
    name = "relais.booklet"
    label = "booklet"
    verbose_name = _("Communication booklet")
