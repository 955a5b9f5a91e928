"""The hospital's and the referrals' entries in the main menu.

Same answers as the views' rules (`rules.hospital_ids`, the inbox's memberships), read
from the memberships the request already holds instead of the database.
"""

from django.utils.translation import gettext_lazy as _

from relais.accounts.models import OrganisationType
from relais.core.menu import Entry, member_professional, register


def works_in_a_hospital(request) -> bool:
    return member_professional(request) and any(
        m.organisation.type == OrganisationType.HOSPITAL for m in request.memberships)


def register_entries() -> None:
    register(Entry("referrals", _("Referrals"), "stays:referral_inbox", 30,
                   member_professional))
    register(Entry("hospital", _("Hospital"), "stays:worklist", 40, works_in_a_hospital))
