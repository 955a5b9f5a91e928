"""The notifications about stays and referrals; registered when the app is ready."""

from django.utils.translation import gettext_lazy as _

from relais.notifications.kinds import TARGET, Kind, register_kind

STAY = {"url_name": "stays:stay_detail", "url_id": TARGET, "target": "stays.stay"}
REFERRAL = {"url_name": "stays:referral_detail", "url_id": TARGET,
            "target": "stays.referral"}


def register_kinds() -> None:
    register_kind(
        Kind("stay.admitted", "stays", _("%(person)s was admitted to %(hospital)s."), **STAY,
             label=_("Admitted to hospital")),
        Kind("stay.discharged", "stays", _("%(person)s left %(hospital)s."), **STAY,
             label=_("Left hospital")),
        Kind("referral.received", "referrals", _("New referral for %(service)s."),
             **REFERRAL, label=_("New referral")),
        Kind("referral.accepted", "referrals",
             _("Referral to %(service)s: accepted."), **REFERRAL, label=_("Referral accepted")),
        Kind("referral.declined", "referrals",
             _("Referral to %(service)s: declined."), **REFERRAL, label=_("Referral declined")),
        Kind("referral.started", "referrals",
             _("Referral to %(service)s: help has started."), **REFERRAL,
             label=_("Help started after a referral")),
        Kind("referral.completed", "referrals",
             _("Referral to %(service)s: completed."), **REFERRAL, label=_("Referral completed")),
        Kind("referral.cancelled", "referrals",
             _("Referral to %(service)s: cancelled."), **REFERRAL, label=_("Referral cancelled")),
    )
