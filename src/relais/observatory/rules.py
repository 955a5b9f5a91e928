"""Who sees which care zone's observatory (issue 14, "Who sees it"), registered with the
gate as the policy of `core.CareZone`.

- Every member of a care-zone support team (`OrganisationType.CARE_ZONE_TEAM`) sees
  the zone of that team.
- A decision-maker (`Function.DECISION_MAKER`: an alderman, a funder) sees the zone of
  the organisation the membership is with — their own (a municipality's office, a
  funder), never the care-zone team: a team membership brings the team's other rights
  (protocols, escalations), which a read-only account must not have.
- A manager of any organisation sees the zone the organisation is in.
- A platform administrator sees every zone.
Nobody else sees any. Only published figures are ever shown (`observatory.figures`),
so the rule is about zones, not about persons; every page and export is audited.
"""

from django.db.models import QuerySet

from relais.access import policy
from relais.access.policy import Action, Policy
from relais.accounts.models import Function, Membership, OrganisationType
from relais.core.models import CareZone


def _sees_zone(membership) -> bool:
    return (membership.organisation.type == OrganisationType.CARE_ZONE_TEAM
            or membership.is_manager or membership.function == Function.DECISION_MAKER)


def zone_codes_for(user) -> set[str]:
    """The codes of the zones `user` may see (one query; none for a portal account)."""
    if not policy.is_signed_in(user):
        return set()
    if policy.is_platform_admin(user):
        return set(CareZone.objects.values_list("code", flat=True))
    memberships = Membership.objects.active().filter(user=user).select_related(
        "organisation__municipality__care_zone")
    zones = {m.organisation.care_zone for m in memberships if _sees_zone(m)}
    return {zone.code for zone in zones if zone is not None}


def zones_for(user) -> list[CareZone]:
    return list(CareZone.objects.filter(code__in=zone_codes_for(user)))


def zone_for(user, code: str) -> CareZone:
    """The zone `code` if `user` may see its observatory; Http404 otherwise (an unknown
    zone and a forbidden one alike), with the gate's `access.denied` audit event."""
    pk = CareZone.objects.filter(code=str(code)[:20]).values_list("pk", flat=True).first()
    return policy.object_for(user, CareZone, pk if pk is not None else f"?{code}"[:64])


def may_open_observatory(request) -> bool:
    """The menu's question, from what the request holds (no query)."""
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(_sees_zone(m) for m in getattr(request, "memberships", ()))


def _visible(user, queryset: QuerySet) -> QuerySet:
    return queryset.filter(code__in=zone_codes_for(user))


def _allows(user, zone, action: Action) -> bool:
    return action == Action.VIEW


def register_policies() -> None:
    policy.register(CareZone, Policy(visible=_visible, allows=_allows))
