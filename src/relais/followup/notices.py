"""The notifications of the follow-up after discharge; registered when the app is ready."""

from django.utils.translation import gettext_lazy as _

from relais.notifications.kinds import TARGET, Kind, register_kind

FOLLOWUP = {"url_name": "followup:followup_detail", "url_id": TARGET,
            "target": "followup.followup"}


def register_kinds() -> None:
    register_kind(
        Kind("followup.not_reached", "followup",
             _("%(person)s was not reached after discharge (%(attempts)s attempts)."),
             **FOLLOWUP, label=_("Not reached after discharge")),
        Kind("followup.readmitted", "followup",
             _("%(person)s, whose follow-up you own, was admitted to %(hospital)s: the "
               "contacts at home wait for the discharge."),
             **FOLLOWUP, label=_("Readmitted during the follow-up")),
    )
