"""My work's entry in the main menu, the work list on a professional's home page, and the
link to the follow-up protocols on the page of an organisation that has its own.

The menu's question is asked on every page and reads no database (core.menu), so the
entry carries no count: the counts are on the work page itself and on the home page.
"""

from django.utils.translation import gettext_lazy as _

from relais.accounts import sections
from relais.accounts.models import OrganisationType
from relais.core.menu import Entry, member_professional, register
from relais.followup.rules import PROTOCOL_ORGANISATION_TYPES
from relais.followup.views_work import work_context

HOME_LINES = 10


def _home_work(request) -> dict:
    """The home page of a professional acting for an organisation is their work."""
    if not member_professional(request):
        return {}
    # Only the lines the home page shows are read (and audited as read).
    return {**work_context(request, per_page=HOME_LINES),
            "work_template": "followup/partials/work_home.html"}


def _organisation_protocols(user, organisation) -> dict:
    """Hospitals, coordination centres and care-zone teams have protocols of their own
    (the team: its care zone's); professionals read them, their coordinators edit them."""
    has_protocols = (organisation.type in PROTOCOL_ORGANISATION_TYPES
                     or organisation.type == OrganisationType.CARE_ZONE_TEAM)
    return {"show_followup_protocols": has_protocols and user.is_professional}


def register_entries() -> None:
    register(Entry("my_work", _("My work"), "followup:my_work", 10, member_professional,
                   current_for=("followup:my_work", "followup:work_reassign")))
    sections.register_context("professional_home", _home_work)
    sections.register_context("organisation", _organisation_protocols)
