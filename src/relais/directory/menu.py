"""The directory's entry in the main menu: anyone signed in may search it."""

from django.utils.translation import gettext_lazy as _

from relais.core.menu import Entry, register, signed_in


def register_entries() -> None:
    register(Entry("directory", _("Directory"), "directory:service_search", 50, signed_in,
                   current_for=("directory",)))
