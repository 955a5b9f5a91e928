"""What the worker's timed work tells (`escalation.py`, `reminders.py`).

No health detail: a sentence says that a contact or a check-in is due, never what it is
about. The care-zone team does not follow persons: it is told which organisation has a
contact overdue, without the person. In the "after discharge" group, which people
choose to have emailed immediately, in a digest or not at all.
"""

from django.utils.translation import gettext_lazy as _

from relais.notifications.kinds import Kind, register_kind

CONTACT_OVERDUE = "followup.contact_overdue"
CONTACT_ESCALATED = "followup.contact_escalated"
CONTACT_ESCALATED_UNNAMED = "followup.contact_escalated_unnamed"
WATCH_DUE = "followup.watch_due"


def register_kinds() -> None:
    register_kind(
        Kind(CONTACT_OVERDUE, "followup",
             _("A follow-up contact for %(person)s is overdue: record how it went or plan "
               "it again."),
             url_name="network:person_detail", target="followup.contact",
             label=_("Follow-up contact overdue")),
        Kind(CONTACT_ESCALATED, "followup",
             _("A follow-up contact for %(person)s, planned by %(owner)s, is still "
               "overdue."),
             url_name="network:person_detail", target="followup.contact",
             label=_("Follow-up contact still overdue")),
        Kind(CONTACT_ESCALATED_UNNAMED, "followup",
             _("A follow-up contact planned by %(owner)s (%(organisation)s) is still "
               "overdue."),
             label=_("Follow-up contact still overdue")),
        Kind(WATCH_DUE, "followup",
             _("A check-in is due for %(person)s, whom you keep an eye on."),
             url_name="network:person_detail", target="followup.watch",
             label=_("Check-in due")),
    )
