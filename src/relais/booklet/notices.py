"""The notifications about the booklet, the emergency sheet and consultations;
registered when the app is ready."""

from django.utils.translation import gettext_lazy as _

from relais.notifications.kinds import TARGET, Kind, register_kind

ENTRY = {"url_name": "booklet:booklet", "target": "booklet.entry",
         "fragment": "entry-{target_id}"}
CONSULTATION = {"url_name": "booklet:consultation_detail", "url_id": TARGET,
                "target": "booklet.consultation"}


def register_kinds() -> None:
    register_kind(
        Kind("booklet.alert", "alerts", _("Alert in the booklet of %(person)s."), **ENTRY,
             label=_("Alert in the booklet")),
        Kind("booklet.entry", "booklet", _("New in the booklet of %(person)s."), **ENTRY,
             label=_("New entry in the booklet")),
        Kind("emergency.outdated", "booklet",
             _("The printed emergency sheet of %(person)s is outdated: print the new one "
               "for the yellow box."),
             url_name="booklet:emergency_sheet",
             label=_("Printed emergency sheet out of date")),
        Kind("consultation.invited", "consultations",
             _("%(asker)s asks a question about %(person)s: please answer by %(deadline)s."),
             dates=("deadline",), **CONSULTATION, label=_("Question to answer")),
        Kind("consultation.answered", "consultations",
             _("%(who)s answered your question about %(person)s."), **CONSULTATION,
             label=_("Answer to a question")),
        Kind("consultation.decided", "consultations",
             _("A decision was recorded on the question about %(person)s."), **CONSULTATION,
             label=_("Decision on a question")),
        Kind("consultation.reminder", "consultations",
             _("Reminder: your answer about %(person)s is expected by %(deadline)s."),
             dates=("deadline",), **CONSULTATION, label=_("Reminder to answer a question")),
    )
