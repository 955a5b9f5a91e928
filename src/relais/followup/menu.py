"""My work's entry in the main menu, and the work list on a professional's home page.

The menu's question is asked on every page and reads no database (core.menu), so the
entry carries no count: the counts are on the work page itself and on the home page.
"""

from django.utils.translation import gettext_lazy as _

from relais.accounts import sections
from relais.core.menu import Entry, member_professional, register
from relais.followup.views_work import work_context


def _home_work(request) -> dict:
    """The home page of a professional acting for an organisation is their work."""
    if not member_professional(request):
        return {}
    return {**work_context(request), "work_template": "followup/partials/work_home.html"}


def register_entries() -> None:
    register(Entry("my_work", _("My work"), "followup:my_work", 10, member_professional,
                   current_for=("followup:my_work", "followup:work_reassign")))
    sections.register_context("professional_home", _home_work)
