"""The watch's notification; registered when the app is ready."""

from django.utils.translation import gettext_lazy as _

from relais.notifications.kinds import TARGET, Kind, register_kind


def register_kinds() -> None:
    register_kind(Kind(
        "watch.woken", "followup",
        _("Something happened to %(person)s, whom you keep an eye on: check in now."),
        url_name="followup:watch_detail", url_id=TARGET, target="followup.watch",
        label=_("Check in now")))
