"""What the thematic consultations tell (registered when the app is ready).

The notifications name no person and point at no object: the inbox shows news about
nobody to its recipient (notifications.rules). They link the session's or the action's
page by a parameter (`session_pk`, `action_pk`: the page asks the gate again), and,
holding nothing personal, their email says the sentence and that link
(`email_says_it`) instead of only "log in".
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
               "welcome."),
             url_name="thematic:session_detail", url_id="session_pk", email_says_it=True,
             label=_("Thematic consultation: save the date")),
        Kind(ACTION_OVERDUE, "consultations",
             _("The joint action “%(action)s”, which %(organisation)s carries for the "
               "thematic consultation “%(theme)s”, was due on %(date)s: write its "
               "progress or agree on a new date with the care zone's support team."),
             url_name="thematic:action_detail", url_id="action_pk", email_says_it=True,
             label=_("Joint action overdue")),
    )
