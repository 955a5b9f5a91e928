"""The notifications the network sends; registered when the app is ready."""

from django.utils.translation import gettext_lazy as _

from relais.notifications.kinds import Kind, register_kind


def register_kinds() -> None:
    register_kind(
        Kind("network.added", "network",
             _("You were added to the care network of %(person)s."),
             url_name="network:person_detail", label=_("Added to the care network")),
        Kind("network.contact_point", "network",
             _("%(name)s is now the contact point for %(person)s."),
             url_name="network:person_detail", label=_("New contact point")),
        Kind("network.break_glass", "network",
             _("%(who)s opened the record of %(person)s in an emergency."),
             url_name="network:access_log", label=_("Record opened in an emergency")),
    )
