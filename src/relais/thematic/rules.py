"""Who reads and who runs the thematic consultations (registered with the gate).

- The care zone's support team (members of an organisation of type CARE_ZONE_TEAM in
  the zone) runs its zone's sessions: writes them, their findings and actions, invites,
  generates the preparation pack (which holds the zone's case reviews: theirs only).
- Support teams read every zone's sessions: the reports are published on the zones'
  websites, and one zone learns from another.
- Managers of an organisation of the zone, and its read-only decision-makers (an
  alderman, a funder), read its sessions and reports.
- The managers and coordinators of an action's owner organisation write its progress.
- A platform administrator reads everything and runs nothing.

No session holds person data: counts by sector, texts about the zone, organisations.
"""

from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

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
from relais.accounts.models import Function, Membership, Organisation, OrganisationType, User
from relais.core.models import Postcode
from relais.thematic.models import JointAction, ThematicSession

# An organisation's care zone as `core.models.care_zone_for` decides it (postcode first,
# for Brussels-City, which spans zones; then the municipality), as one SQL expression.
ORGANISATION_ZONE = Coalesce(
    Subquery(Postcode.objects.filter(municipality=OuterRef("municipality"),
                                     code=OuterRef("postcode"), care_zone__isnull=False)
             .values("care_zone")[:1]),
    "municipality__care_zone", output_field=BigIntegerField())


def zone_organisations(zone) -> QuerySet:
    """The active organisations of `zone` (a CareZone or its id)."""
    zone_id = getattr(zone, "pk", zone)
    return Organisation.objects.active().annotate(zone_id=ORGANISATION_ZONE).filter(
        zone_id=zone_id)


def _zones(user) -> tuple[set[int], set[int]]:
    """(zones whose support team the user works for, zones of organisations they manage
    or decide for); asked once per user object, i.e. once per request."""
    if not hasattr(user, "_thematic_zones"):
        decides = Membership.objects.active().filter(
            user=user, organisation=OuterRef("pk"), function=Function.DECISION_MAKER)
        rows = (Organisation.objects.filter(pk__in=member_organisation_ids(user))
                .annotate(zone_id=ORGANISATION_ZONE, decides=Exists(decides))
                .values_list("pk", "type", "zone_id", "decides"))
        managed = managed_organisation_ids(user)
        user._thematic_zones = (
            {zone for _, kind, zone, _ in rows if kind == OrganisationType.CARE_ZONE_TEAM
             and zone},
            {zone for pk, _, zone, decider in rows if (pk in managed or decider) and zone})
    return user._thematic_zones


def user_zone_ids(user) -> tuple[set[int], set[int]]:
    """(zones whose support team the user works for, zones of organisations they manage)."""
    return _zones(user) if is_signed_in(user) else (set(), set())


def team_zone_ids(user) -> set[int]:
    return _zones(user)[0] if is_signed_in(user) else set()


def may_run(user, session) -> bool:
    """Write the session, its findings and actions; invite; prepare."""
    return session.care_zone_id in team_zone_ids(user)


def visible_sessions(user, queryset: QuerySet) -> QuerySet:
    if is_platform_admin(user):
        return queryset
    if not is_signed_in(user):
        return queryset.none()
    team, managed = _zones(user)
    if team:
        return queryset
    return queryset.filter(care_zone__in=managed)


def may_on_session(user, session, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return may_run(user, session)


def visible_actions(user, queryset: QuerySet) -> QuerySet:
    sessions = visible_sessions(user, ThematicSession.objects.all())
    return queryset.filter(session__in=sessions.values("pk"))


def reports_for_owner(user, action) -> bool:
    """A manager or coordinator of the owner organisation writes the action's progress."""
    if action.owner_id is None or not is_signed_in(user):
        return False
    return Membership.objects.active().filter(
        Q(is_manager=True) | Q(function=Function.COORDINATOR),
        user=user, organisation_id=action.owner_id).exists()


def may_on_action(user, action, action_kind: Action) -> bool:
    if action_kind == Action.VIEW:
        return True
    return may_run(user, action.session) or reports_for_owner(user, action)


def managers_and_coordinators(organisation_id) -> QuerySet:
    """Who is told for an organisation (invited, reminded): its managers and
    coordinators."""
    memberships = Membership.objects.active().filter(
        Q(is_manager=True) | Q(function=Function.COORDINATOR),
        organisation_id=organisation_id, user=OuterRef("pk"))
    return User.objects.filter(Exists(memberships), is_active=True).order_by("pk")


def register_policies() -> None:
    # No person data, but every page that loads a session or an action is audited, form
    # pages included (the audit names the object and what it was loaded for).
    register(ThematicSession, Policy(visible=visible_sessions, allows=may_on_session,
                                     audit_reads=True))
    register(JointAction, Policy(visible=visible_actions, allows=may_on_action,
                                 audit_reads=True))


def session_for(user, pk, action: Action = Action.VIEW) -> ThematicSession:
    return object_for(user, ThematicSession, pk, action,
                      queryset=ThematicSession.objects.select_related("care_zone",
                                                                      "previous"))


def action_for(user, pk, action: Action = Action.VIEW) -> JointAction:
    return object_for(user, JointAction, pk, action,
                      queryset=JointAction.objects.select_related("session__care_zone",
                                                                  "owner"))
