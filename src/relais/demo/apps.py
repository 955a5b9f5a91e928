from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo care zone: `relais demo` loads every app's fictional data, in order. It
    sits at the top of the layers because it knows every app; no app knows it."""

    name = "relais.demo"
    label = "demo"
    verbose_name = _("Demo care zone")
