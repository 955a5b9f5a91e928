"""The going-home sheet (R1): what the person takes home, in plain words and their language.

The sheet names whom to call first and the relay professional who explains the plan: the
hospital professional who owns the discharge plan, else the GP, else the coordination
centre of the network. A person who is their own contact point is never told to call
themselves: their first call is the relay professional.

Only the sheet speaks the person's language: it is rendered apart, under
`translation.override`, so the reader's page around it, their session, cookie and account
keep the reader's language.
"""

from dataclasses import dataclass

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Membership
from relais.network.models import Relation, Role
from relais.stays.models import ReferralStatus

SHEET_LANGUAGES = ("nl", "fr", "en")
SHEET_TEMPLATE = "stays/partials/going_home_sheet.html"
# Told to the reader, in the reader's language, above the sheet.
IN_PERSONS_LANGUAGE = {"nl": _("The sheet is in Dutch, the person's language."),
                       "fr": _("The sheet is in French, the person's language."),
                       "en": _("The sheet is in English, the person's language.")}


@dataclass(frozen=True)
class Call:
    """Someone on the sheet: a name, what they are (a label read in the sheet's language),
    and a number to call."""

    name: str
    what: object = ""
    place: str = ""
    phone: str = ""
    member: object = None  # the network member, when they are one


def sheet_language(person) -> str:
    """The person's language, or the reader's when Relais has no sheet in theirs."""
    language = person.language
    return language if language in SHEET_LANGUAGES else translation.get_language()


def sheet_context(stay, members) -> dict:
    """What the sheet shows. `members`: the network as the reader sees it, active ones."""
    members = [m for m in members if not m.never_inform]
    contact_point = next((m for m in members if m.is_contact_point), None)
    relay = relay_for(stay, members)
    first_call = _first_call(contact_point, relay)
    listed = {m.pk for m in (contact_point, relay and relay.member) if m is not None}
    coming = stay.referrals.filter(status__in=[ReferralStatus.ACCEPTED,
                                               ReferralStatus.STARTED]).select_related(
        "service", "organisation")
    return {"stay": stay, "person": stay.person, "first_call": first_call, "relay": relay,
            "members": [m for m in members if m.pk not in listed], "coming": coming}


def _first_call(contact_point, relay) -> Call | None:
    if contact_point is None or contact_point.relation == Relation.SELF:
        return relay
    return Call(contact_point.display_name, phone=contact_point.phone_to_call,
                member=contact_point)


def relay_for(stay, members) -> Call | None:
    """The relay professional who explains the plan (R1): the hospital professional who
    owns most of the discharge plan, else the GP, else the coordination centre."""
    return (_plan_owner(stay) or _member_with_role(members, Role.GP)
            or _member_with_role(members, Role.COORDINATION_CENTRE))


def _plan_owner(stay) -> Call | None:
    owners = (stay.plan_items.filter(owner__isnull=False).values_list("owner")
              .annotate(items=Count("pk")).order_by("-items", "owner"))
    for (owner_id, _items) in owners:
        # Someone who has since left the hospital explains nothing any more.
        membership = Membership.objects.active().filter(
            user_id=owner_id, organisation_id=stay.hospital_id).select_related("user").first()
        if membership is not None:
            return Call(str(membership.user), what=membership.get_function_display(),
                        place=stay.hospital.name, phone=_hospital_phone(stay, membership.user))
    return None


def _hospital_phone(stay, user) -> str:
    if user.phone:
        return user.phone
    if stay.ward_id and stay.ward.phone:
        return stay.ward.phone
    return stay.hospital.phone


def _member_with_role(members, role) -> Call | None:
    for member in members:
        if role in member.role_codes():
            return Call(member.display_name, what=Role(role).label,
                        phone=member.phone_to_call, member=member)
    return None


def render_sheet(request, context: dict, language: str) -> str:
    """The sheet alone, in `language`; nothing else of the request changes language."""
    with translation.override(language):
        return render_to_string(SHEET_TEMPLATE, {**context, "sheet_language": language},
                                request=request)
