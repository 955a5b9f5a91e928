from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.booklet.signals import entry_written
from relais.stays.signals import stay_admitted, stay_discharged


class FollowupConfig(AppConfig):
    name = "relais.followup"
    label = "followup"
    verbose_name = _("After discharge")

    def ready(self):
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.followup import (
            contacts,
            menu,
            notices,
            notices_watch,
            reviews,
            rules,
            sections,
            sections_watch,
            watch,
        )

        rules.register_policies()
        menu.register_entries()
        notices.register_kinds()
        sections.register()
        stay_discharged.connect(contacts.on_stay_discharged,
                                dispatch_uid="followup.start_on_discharge")
        notices_watch.register_kinds()
        sections_watch.register()
        stay_admitted.connect(watch.on_stay_admitted, dispatch_uid="followup.watch_admitted")
        entry_written.connect(watch.on_entry_written, dispatch_uid="followup.watch_alert")
        reviews.register()
