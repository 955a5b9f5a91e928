from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "relais.interop"
    label = "interop"
    verbose_name = _("Standards: HSDS, FHIR, HL7")
