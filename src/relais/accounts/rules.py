"""Who sees and changes organisations, wards and memberships (registered with the gate).

Everyone signed in reads active organisations and their wards: it is how the two worlds
learn who does what (R21). Managers of an organisation and platform administrators change
it, its wards and its members; colleagues see each other's memberships.
"""

from django.db.models import Q, QuerySet

from relais.access.policy import (
    Action,
    Policy,
    is_platform_admin,
    is_signed_in,
    managed_organisation_ids,
    member_organisation_ids,
    object_for,
    register,
)
from relais.accounts.models import Membership, Organisation, Ward

# --- organisations ---------------------------------------------------------------------


def visible_organisations(user, queryset: QuerySet) -> QuerySet:
    """Everyone signed in reads the organisations (it is how the two worlds meet, R21);
    inactive ones only by platform admins and their own members."""
    if not is_signed_in(user):
        return queryset.none()
    if is_platform_admin(user):
        return queryset
    return queryset.filter(Q(is_active=True) | Q(pk__in=member_organisation_ids(user)))


def may_on_organisation(user, organisation, action: Action) -> bool:
    if action == Action.VIEW:
        return is_signed_in(user)
    if is_platform_admin(user):
        return True
    return organisation.pk in managed_organisation_ids(user)


# --- wards -----------------------------------------------------------------------------


def visible_wards(user, queryset: QuerySet) -> QuerySet:
    return queryset.filter(
        organisation__in=visible_organisations(user, Organisation.objects.all()))


def may_on_ward(user, ward, action: Action) -> bool:
    return may_on_organisation(user, ward.organisation, action)


# --- memberships -----------------------------------------------------------------------


def visible_memberships(user, queryset: QuerySet) -> QuerySet:
    """Colleagues see each other; platform admins see all; everyone sees their own."""
    if not is_signed_in(user):
        return queryset.none()
    if is_platform_admin(user):
        return queryset
    return queryset.filter(Q(organisation_id__in=member_organisation_ids(user)) | Q(user=user))


def may_on_membership(user, membership, action: Action) -> bool:
    if action == Action.VIEW:
        return True  # already limited by visible_memberships
    return may_on_organisation(user, membership.organisation, Action.MANAGE_MEMBERS)


# --- loading one object from user input -------------------------------------------------


def organisation_for(user, pk, action: Action = Action.VIEW):
    queryset = Organisation.objects.select_related("municipality__care_zone")
    return object_for(user, Organisation, pk, action, queryset=queryset)


def ward_for(user, pk, action: Action = Action.VIEW):
    return object_for(user, Ward, pk, action, queryset=Ward.objects.select_related("organisation"))


def membership_for(user, pk, action: Action = Action.VIEW):
    queryset = Membership.objects.select_related("organisation", "user")
    return object_for(user, Membership, pk, action, queryset=queryset)


def register_policies() -> None:
    register(Organisation, Policy(visible=visible_organisations, allows=may_on_organisation))
    register(Ward, Policy(visible=visible_wards, allows=may_on_ward))
    register(Membership, Policy(visible=visible_memberships, allows=may_on_membership))
