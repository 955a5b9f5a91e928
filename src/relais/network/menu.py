"""The care network's entry in the main menu."""

from django.utils.translation import gettext_lazy as _

from relais.core.menu import Entry, register, signed_in


def register_entries() -> None:
    register(Entry("persons", _("Persons"), "network:person_list", 20, signed_in,
                   current_for=("network",)))
