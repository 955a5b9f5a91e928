from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.booklet.signals import entry_written
from relais.stays.signals import stay_admitted, stay_discharge_cancelled, stay_discharged


class FollowupConfig(AppConfig):
    name = "relais.followup"
    label = "followup"
    verbose_name = _("After discharge")

    def ready(self):
        from relais.core import clock  # why inside: the clock's run record is a model

        # why inside: these modules use models, which exist only once apps are ready.
        from relais.followup import (
            contacts,
            escalation,
            menu,
            notices,
            notices_timed,
            notices_watch,
            reminders,
            reviews,
            rules,
            sections,
            sections_readmission,
            sections_watch,
            watch,
        )

        rules.register_policies()
        menu.register_entries()
        notices.register_kinds()
        sections.register()
        stay_discharged.connect(contacts.on_stay_discharged,
                                dispatch_uid="followup.start_on_discharge")
        notices_timed.register_kinds()
        clock.register("followup.escalate_overdue", timedelta(minutes=15),
                       escalation.escalate_overdue)
        clock.register("followup.remind_watches", timedelta(minutes=15),
                       reminders.remind_due_watches)
        notices_watch.register_kinds()
        sections_watch.register()
        sections_readmission.register()
        stay_admitted.connect(watch.on_stay_admitted, dispatch_uid="followup.watch_admitted")
        stay_admitted.connect(contacts.on_stay_admitted,
                              dispatch_uid="followup.told_of_readmission")
        stay_discharge_cancelled.connect(contacts.on_stay_discharge_cancelled,
                                         dispatch_uid="followup.cancel_on_discharge_cancel")
        entry_written.connect(watch.on_entry_written, dispatch_uid="followup.watch_alert")
        reviews.register()
