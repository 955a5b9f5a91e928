"""The accounts' entries in the main menu."""

from django.utils.translation import gettext_lazy as _

from relais.core.menu import Entry, professional, register, signed_in


def superuser(request) -> bool:
    return request.user.is_authenticated and request.user.is_superuser


def register_entries() -> None:
    register(Entry("home", _("Home"), "accounts:home", 10, signed_in))
    register(Entry("organisations", _("Organisations"), "accounts:organisation_list", 60,
                   professional, current_for=("accounts:organisation_list",
                                              "accounts:organisation_detail")))
    register(Entry("admin", _("Administration"), "admin:index", 90, superuser,
                   current_for=("admin",)))
