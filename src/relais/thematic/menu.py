"""The thematic consultations' entry in the main menu (read from the request, no query)."""

from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Function, OrganisationType
from relais.core.menu import Entry, member_professional, register


def reads_consultations(request) -> bool:
    """A support team's member, a manager or a decision-maker of an organisation: the
    sessions of their zone (the list may be empty outside the care zones)."""
    if not member_professional(request):
        return False
    return any(m.is_manager or m.function == Function.DECISION_MAKER
               or m.organisation.type == OrganisationType.CARE_ZONE_TEAM
               for m in request.memberships)


def register_entries() -> None:
    register(Entry("thematic", _("Thematic consultations"), "thematic:session_list", 66,
                   reads_consultations, current_for=("thematic",)))
