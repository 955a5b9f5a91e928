from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from relais.core.forms import forget_fields_html
from relais.core.menu import Entry, professional, register


class CoreConfig(AppConfig):
    name = "relais.core"
    label = "core"
    verbose_name = _("Core and geography")

    def ready(self):
        register(Entry("care_zones", _("Care zones"), "core:care_zones", 70, professional))
        _forget_forms_when_reference_lists_change()


def _forget_forms_when_reference_lists_change() -> None:
    """Forms' HTML is kept with the choices it showed (core.forms.kept_fields_html): a
    municipality or care zone changed in this process drops it. (They change with a
    release's migrations, which restart every process.)"""
    def forget(**_kwargs):
        forget_fields_html()

    for model in ("core.Municipality", "core.CareZone"):
        post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"forms:{model}")
        post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"forms:{model}")
