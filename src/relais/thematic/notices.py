"""What the thematic consultations tell (registered when the app is ready).

The notifications name no person and point at no object: the inbox shows news about
nobody to its recipient (notifications.rules), and the email carries the sentence.
"""

from django.utils.translation import gettext_lazy as _

from relais.notifications.kinds import Kind, register_kind

SAVE_THE_DATE = "thematic.save_the_date"
ACTION_OVERDUE = "thematic.action_overdue"


def register_kinds() -> None:
    register_kind(
        Kind(SAVE_THE_DATE, "consultations",
             _("Save the date: the thematic consultation “%(theme)s” of the care zone "
               "%(zone)s meets on %(date)s, %(place)s. All organisations of the zone are "
               "welcome.")),
        Kind(ACTION_OVERDUE, "consultations",
             _("The joint action “%(action)s”, which %(organisation)s carries for the "
               "thematic consultation “%(theme)s”, was due on %(date)s: write its "
               "progress or agree on a new date with the care zone's support team.")),
    )
