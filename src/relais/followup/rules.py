"""Who sees and changes what follows discharge (registered with the gate).

Follow-ups, contacts, refusals and watches belong to a person: they are seen by whoever
sees the person (the person rule: grants minus exclusions, so never an excluded party),
and changed by professionals with a real relationship to the person. A contact's or a
watch's owner must be someone who sees the person. Case reviews hold no person: their
team and the care zone's support team read them. A calendar feed is its user's only.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from relais.access.persons import visible_person_pks
from relais.access.policy import (
    Action,
    Policy,
    is_platform_admin,
    is_signed_in,
    member_organisation_ids,
    object_for,
    register,
)
from relais.accounts.models import Function, Membership, Organisation, OrganisationType
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.core.models import CareZone
from relais.followup.models import CaseReview, Contact, FollowUp, Protocol, Refusal, Watch
from relais.network import rules as network_rules
from relais.network.models import Person


def _persons(user):
    """The persons `user` sees, as a subquery the gate builds once per request: a list of
    several kinds asks the same question."""
    return visible_person_pks(user, Person.objects.all())


def visible_by_person(path: str):
    def visible(user, queryset: QuerySet) -> QuerySet:
        if not is_signed_in(user):
            return queryset.none()
        return queryset.filter(**{f"{path}__in": _persons(user)})
    return visible


def may_on_person_thing(person_of):
    def allows(user, obj, action: Action) -> bool:
        if action == Action.VIEW:
            return True
        return network_rules.may_on_person(user, person_of(obj), Action.CHANGE)
    return allows


def may_work_on(user, person) -> bool:
    """Record contacts, refusals, check-ins for `person`: a professional who sees them."""
    return bool(is_signed_in(user) and user.is_professional
                and network_rules.sees_person(user, person))


def may_own(user, person) -> bool:
    """An owner of a contact or a watch sees the person (never an excluded party)."""
    return may_work_on(user, person) and not network_rules.is_excluded(user, person)


def may_own_for_organisation(user, organisation_id) -> bool:
    """A contact or a watch done for an organisation goes to someone who works there now
    (one done for no organisation, to anyone who may own it)."""
    return organisation_id is None or organisation_id in member_organisation_ids(user)


# --- case reviews: no person, a team and a care zone -----------------------------------


def visible_reviews(user, queryset: QuerySet) -> QuerySet:
    if is_platform_admin(user):
        return queryset
    organisations = member_organisation_ids(user)
    if not organisations:
        return queryset.none()
    zone_teams = Organisation.objects.filter(pk__in=organisations,
                                             type=OrganisationType.CARE_ZONE_TEAM)
    zones = zone_teams.values("municipality__care_zone")
    return queryset.filter(Q(organisation_id__in=organisations) | Q(care_zone__in=zones))


def may_on_review(user, review, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return review.organisation_id in member_organisation_ids(user)


# --- protocols: read by professionals; an organisation's coordinators edit its own, the
# care-zone team its zone's; the built-in default only platform administrators -----------

# Organisations whose protocols a discharge looks for (protocols.choose_protocol).
PROTOCOL_ORGANISATION_TYPES = (OrganisationType.HOSPITAL, OrganisationType.COORDINATION_CENTRE)


def visible_protocols(user, queryset: QuerySet) -> QuerySet:
    if not (is_signed_in(user) and user.is_professional):
        return queryset.none()
    return queryset


@dataclass(frozen=True)
class ProtocolRights:
    """Whose protocols a user edits: asked once per request, then read per protocol."""
    admin: bool
    organisations: frozenset[int]  # coordinated (coordinator or manager)
    care_zones: frozenset[int]  # of the care-zone teams they belong to

    def may_edit(self, protocol) -> bool:
        if self.admin:
            return True
        if protocol.organisation_id:
            return protocol.organisation_id in self.organisations
        return protocol.care_zone_id in self.care_zones  # None (the default): no


def protocol_rights(user) -> ProtocolRights:
    if not (is_signed_in(user) and user.is_professional):
        return ProtocolRights(is_platform_admin(user), frozenset(), frozenset())
    if not hasattr(user, "_relais_protocol_rights"):
        memberships = Membership.objects.active().filter(user=user)
        coordinated = memberships.filter(Q(is_manager=True) | Q(function=Function.COORDINATOR))
        zones = Organisation.objects.filter(
            pk__in=memberships.values("organisation"), type=OrganisationType.CARE_ZONE_TEAM,
            is_active=True, municipality__care_zone__isnull=False)
        user._relais_protocol_rights = ProtocolRights(
            is_platform_admin(user),
            frozenset(coordinated.values_list("organisation_id", flat=True)),
            frozenset(zones.values_list("municipality__care_zone", flat=True)))
    return user._relais_protocol_rights


def may_on_protocol(user, protocol, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return protocol_rights(user).may_edit(protocol)


def protocol_owners(user) -> tuple[list, list]:
    """Where the user may adapt a protocol of their own: the hospitals and coordination
    centres they coordinate, and the care zones of their care-zone teams."""
    rights = protocol_rights(user)
    organisations = Organisation.objects.filter(
        pk__in=rights.organisations, type__in=PROTOCOL_ORGANISATION_TYPES, is_active=True)
    return list(organisations), list(CareZone.objects.filter(pk__in=rights.care_zones))


def protocol_for(user, pk, action: Action = Action.VIEW) -> Protocol:
    """The protocol #pk: missing, or the user no professional, is 404; seen but not the
    user's to change is 403 (protocols are no secret among professionals). Both audited."""
    protocol = object_for(user, Protocol, pk)
    if action != Action.VIEW and not may_on_protocol(user, protocol, action):
        audit.record(audit.Actions.ACCESS_DENIED, actor=user, target=protocol,
                     outcome=Outcome.DENIED, detail={"action": str(action)})
        raise PermissionDenied
    return protocol


def register_policies() -> None:
    register(FollowUp, Policy(visible=visible_by_person("person"),
                              allows=may_on_person_thing(lambda f: f.person),
                              audit_reads=True, person_id=lambda f: f.person_id))
    register(Contact, Policy(visible=visible_by_person("followup__person"),
                             allows=may_on_person_thing(lambda c: c.followup.person),
                             audit_reads=True, person_id=lambda c: c.followup.person_id))
    register(Refusal, Policy(visible=visible_by_person("person"),
                             allows=may_on_person_thing(lambda r: r.person),
                             audit_reads=True, person_id=lambda r: r.person_id))
    register(Watch, Policy(visible=visible_by_person("person"),
                           allows=may_on_person_thing(lambda w: w.person),
                           audit_reads=True, person_id=lambda w: w.person_id))
    register(CaseReview, Policy(visible=visible_reviews, allows=may_on_review))
    register(Protocol, Policy(visible=visible_protocols, allows=may_on_protocol))


def followup_for(user, pk, action: Action = Action.VIEW) -> FollowUp:
    return object_for(user, FollowUp, pk, action,
                      queryset=FollowUp.objects.select_related("person", "stay", "protocol"))


def contact_for(user, pk, action: Action = Action.VIEW) -> Contact:
    return object_for(user, Contact, pk, action, queryset=Contact.objects.select_related(
        "followup__person", "owner", "owner_organisation"))


def refusal_for(user, pk, action: Action = Action.VIEW) -> Refusal:
    return object_for(user, Refusal, pk, action,
                      queryset=Refusal.objects.select_related("person"))


def watch_for(user, pk, action: Action = Action.VIEW) -> Watch:
    return object_for(user, Watch, pk, action,
                      queryset=Watch.objects.select_related("person", "owner"))


def review_for(user, pk, action: Action = Action.VIEW) -> CaseReview:
    return object_for(user, CaseReview, pk, action)
