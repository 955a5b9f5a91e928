from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from relais.stays.signals import stay_discharged


class FollowupConfig(AppConfig):
    name = "relais.followup"
    label = "followup"
    verbose_name = _("After discharge")

    def ready(self):
        # why inside: these modules use models, which exist only once apps are ready.
        from relais.followup import contacts, menu, notices, rules, sections

        rules.register_policies()
        menu.register_entries()
        notices.register_kinds()
        sections.register()
        stay_discharged.connect(contacts.on_stay_discharged,
                                dispatch_uid="followup.start_on_discharge")
