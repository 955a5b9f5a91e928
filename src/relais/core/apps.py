from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from relais.core import choices, kept, sql
from relais.core.menu import Entry, professional, register


class CoreConfig(AppConfig):
    name = "relais.core"
    label = "core"
    verbose_name = _("Core and geography")

    def ready(self):
        register(Entry("care_zones", _("Care zones"), "core:care_zones", 70, professional))
        _forget_kept_reference_data_when_it_changes()
        sql.keep_converted_statements()
        sql.load_timestamps_in_c()
        choices.install()


def _forget_kept_reference_data_when_it_changes() -> None:
    """What is kept of the reference lists goes with the kept queries (kept.forget): the
    forms' HTML with the choices it showed (core.forms.kept_fields_html) and the postcodes
    that name a care zone (core.models.zoned_postcodes). A municipality, care zone or
    postcode saved in this process drops them; they change with a release's migrations,
    which restart every process."""
    def forget(**_kwargs):
        kept.forget()

    for model in ("core.Municipality", "core.CareZone", "core.Postcode"):
        post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"kept:{model}")
        post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"kept:{model}")
