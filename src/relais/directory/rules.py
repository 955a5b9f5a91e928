"""Who reads and edits the directory (issue 4, point 5).

Everyone signed in reads it (the two worlds must learn who does what, R21), and the
public may read active services where a deployment switches RELAIS_PUBLIC_DIRECTORY on.
An organisation's managers edit its own services; the care-zone support team edits every
listing in its zone; platform administrators edit everything.
"""

from django.conf import settings
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
from relais.accounts.models import Membership, OrganisationType
from relais.directory.models import Agreement, Service


def public_directory() -> bool:
    return getattr(settings, "RELAIS_PUBLIC_DIRECTORY", False)


def visible_services(user, queryset: QuerySet) -> QuerySet:
    if is_platform_admin(user):
        return queryset
    if is_signed_in(user):
        return queryset.filter(
            Q(organisation__is_active=True) | Q(organisation_id__in=member_organisation_ids(user)))
    if public_directory():
        return queryset.filter(organisation__is_active=True, status="active")
    return queryset.none()


def care_zone_team_zones(user) -> set[int]:
    """Care zones whose support team the user works for."""
    rows = Membership.objects.active().filter(
        user=user, organisation__type=OrganisationType.CARE_ZONE_TEAM).values_list(
        "organisation__municipality__care_zone_id", flat=True)
    return {zone for zone in rows if zone}


def may_edit_for(user, organisation) -> bool:
    if is_platform_admin(user) or organisation.pk in managed_organisation_ids(user):
        return True
    zone = organisation.care_zone
    return zone is not None and zone.pk in care_zone_team_zones(user)


def may_on_service(user, service, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return is_signed_in(user) and may_edit_for(user, service.organisation)


def visible_agreements(user, queryset: QuerySet) -> QuerySet:
    return queryset if is_signed_in(user) else queryset.none()


def may_on_agreement(user, agreement, action: Action) -> bool:
    """Either side's managers (or their care-zone team, or an administrator) change it."""
    if action == Action.VIEW:
        return True
    return may_edit_for(user, agreement.hospital) or may_edit_for(user, agreement.partner)


def register_policies() -> None:
    register(Service, Policy(visible=visible_services, allows=may_on_service))
    register(Agreement, Policy(visible=visible_agreements, allows=may_on_agreement))


def service_for(user, pk, action: Action = Action.VIEW):
    queryset = Service.objects.select_related("organisation__municipality__care_zone",
                                              "verified_by")
    return object_for(user, Service, pk, action, queryset=queryset)


def agreement_for(user, pk, action: Action = Action.VIEW):
    queryset = Agreement.objects.select_related("hospital__municipality",
                                                "partner__municipality")
    return object_for(user, Agreement, pk, action, queryset=queryset)
