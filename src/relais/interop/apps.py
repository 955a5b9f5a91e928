import logging

import hl7.containers
import hl7.util
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "relais.interop"
    label = "interop"
    verbose_name = _("Standards: HSDS, FHIR, HL7")

    def ready(self):
        quiet_hl7_parser()


def quiet_hl7_parser() -> None:
    """python-hl7 logs a broken escape sequence (a hospital's typing, or a fuzzer's) with
    the field's whole text — a patient's name, perhaps — at ERROR, under loggers named
    after its files. The feed answers such a message itself, so those lines would only
    put health data in the logs (found by bench/adt_fuzz.py)."""
    for module in (hl7.util, hl7.containers):
        logging.getLogger(module.__file__).setLevel(logging.CRITICAL)
