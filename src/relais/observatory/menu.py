"""The observatory's entry in the main menu: for the accounts that see a zone's figures.

The question is asked on every page and reads only what the request holds (core.menu):
the gate's full answer (which zone) is `rules.zones_for`, asked by the page itself.
"""

from django.utils.translation import gettext_lazy as _

from relais.core.menu import Entry, register
from relais.observatory import rules


def register_entries() -> None:
    register(Entry("observatory", _("Observatory"), "observatory:index", 65,
                   rules.may_open_observatory, current_for=("observatory",)))
