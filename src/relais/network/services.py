"""Rules of the person's network: one contact point, exclusions, consent, break-the-glass.

Each function takes the acting user, runs in one transaction, writes its audit event (with
the person's id) and tells the right people in-app. Views load objects through
relais.access.policy before calling these.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relais.access.models import BreakGlassAccess, Consent
from relais.access.persons import break_glass_expiry
from relais.accounts.models import OrganisationType, User
from relais.audit import log as audit
from relais.core.models import apply_changes
from relais.core.uploads import validate_document
from relais.network import portal
from relais.network.models import (
    LEGAL_ROLES,
    CapacityAssessment,
    Mandate,
    MemberKind,
    MemberRole,
    NetworkMember,
    Person,
    ProtectionOrder,
    Relation,
    Role,
)
from relais.notifications.services import notify

PERSON_FIELDS = [
    "first_name", "last_name", "birth_date", "sex", "niss", "language", "other_language",
    "needs_interpreter", "street", "postcode", "municipality", "care_zone_override", "phone",
    "living_situation", "priority_groups", "safeguarding",
]
MEMBER_FIELDS = ["name", "relation", "is_minor", "phone", "email", "language", "what_they_do",
                 "in_safeguarding_circle"]  # language: in which to speak to this relative
# First and last name (100 each, and a space) can be one character longer than a member's.
SELF_NAME_LENGTH = NetworkMember._meta.get_field("name").max_length

ROLE_FOR_ORGANISATION = {
    OrganisationType.COORDINATION_CENTRE: Role.COORDINATION_CENTRE,
    OrganisationType.HOME_NURSING: Role.HOME_NURSE,
    OrganisationType.HOME_HELP: Role.HOME_HELP,
    OrganisationType.GP_PRACTICE: Role.GP,
    OrganisationType.PHARMACY: Role.PHARMACIST,
    OrganisationType.PHYSIOTHERAPY: Role.PHYSIOTHERAPIST,
    OrganisationType.PUBLIC_SOCIAL_WELFARE: Role.SOCIAL_WORKER,
    OrganisationType.HOSPITAL: Role.SOCIAL_WORKER,
}

# Apps that keep copies of the network (the emergency sheet's contacts) are told of every
# change, inside the change's transaction, without this app depending on them.
NETWORK_CHANGED: list = []


def network_changed(person) -> None:
    for listener in NETWORK_CHANGED:
        listener(person)


# Apps that hold links for a member (consultation links) close them when the member is
# excluded: listener(member, actor=...), inside the exclusion's transaction.
MEMBER_EXCLUDED: list = []


CONTACT_POINT_REQUIRED = gettext_lazy(
    "Choose another contact point first: a person always has exactly one.")


def _record(action: str, person, *, actor, target=None, **extra):
    audit.record(action, actor=actor, target=target or person, person_id=person.pk, **extra)


def users_behind(members):
    """The active users a set of network members stands for: members with an account,
    and the staff (active memberships) of member organisations. One query."""
    user_ids = members.exclude(user=None).values("user_id")
    organisation_ids = members.exclude(organisation=None).values("organisation_id")
    return User.objects.filter(is_active=True).filter(
        Q(pk__in=user_ids) | Q(pk__in=User.objects.filter(
            memberships__organisation_id__in=organisation_ids,
            memberships__ended_on__isnull=True).values("pk")))


# --- the person ------------------------------------------------------------------------


def similar_persons(user, *, first_name: str, last_name: str, birth_date, exclude_pk=None):
    """Possible duplicates the user may see: same birth date and a similar name."""
    if not birth_date:
        return Person.objects.none()
    candidates = Person.objects.visible_to(user).filter(birth_date=birth_date).filter(
        Q(last_name__iexact=last_name.strip()) | Q(first_name__iexact=first_name.strip())
        | Q(last_name__istartswith=last_name.strip()[:4]))
    return candidates.exclude(pk=exclude_pk) if exclude_pk else candidates


@transaction.atomic
def create_person(data: dict, *, actor, organisation) -> Person:
    """Open a record. The person is their own first contact point (R7); the organisation
    that opens it joins the network and keeps the record."""
    person = Person(**data, owner_organisation=organisation, created_by=actor)
    person.full_clean()
    person.save()
    NetworkMember.objects.create(person=person, kind=MemberKind.INFORMAL,
                                 name=person.full_name[:SELF_NAME_LENGTH],
                                 relation=Relation.SELF, phone=person.phone,
                                 is_contact_point=True)
    keeper = NetworkMember.objects.create(person=person, kind=MemberKind.ORGANISATION,
                                          organisation=organisation)
    MemberRole.objects.create(member=keeper, role=ROLE_FOR_ORGANISATION.get(
        organisation.type, Role.OTHER))
    _record("person.create", person, actor=actor, organisation=organisation,
            detail={"has_niss": bool(person.niss)})
    return person


@transaction.atomic
def update_person(person, data: dict, *, actor, expected_version: int) -> list[str]:
    changed, _ = apply_changes(person, PERSON_FIELDS, data)
    if changed:
        person.full_clean()
        person.fill_name_keys()
        person.save_if_version(expected_version,
                               [*changed, "first_name_key", "last_name_key", "surname_tail_key"])
        # Field names only: the values are health and social data, kept out of the log.
        _record("person.change", person, actor=actor, detail={"fields": changed})
    return changed


# --- members ---------------------------------------------------------------------------


@transaction.atomic
def add_member(person, *, kind, roles, actor, user=None, organisation=None, **fields):
    """Add someone to the network with one or more roles."""
    member = NetworkMember(person=person, kind=kind, user=user, organisation=organisation,
                           **{k: v for k, v in fields.items() if k in MEMBER_FIELDS})
    member.full_clean()
    member.save()
    MemberRole.objects.bulk_create(MemberRole(member=member, role=r) for r in sorted(set(roles)))
    _record("network_member.create", person, actor=actor, target=member,
            detail={"kind": kind, "roles": sorted(set(roles))})
    notify(user, kind="network.added", person=person)
    network_changed(person)
    return member


@transaction.atomic
def update_member(member, *, roles, actor, **fields) -> None:
    for name in MEMBER_FIELDS:
        if name in fields:
            setattr(member, name, fields[name])
    member.full_clean()
    member.save()
    before = sorted(member.role_codes())
    member.roles.exclude(role__in=roles).delete()
    MemberRole.objects.bulk_create(
        [MemberRole(member=member, role=r) for r in sorted(set(roles) - set(before))])
    _record("network_member.change", member.person, actor=actor, target=member,
            detail={"roles": {"before": before, "after": sorted(set(roles))}})
    network_changed(member.person)


@transaction.atomic
def end_member(member, *, actor) -> None:
    """The member leaves the network; they stay in its history."""
    if member.is_contact_point:
        raise ValidationError(CONTACT_POINT_REQUIRED, code="contact_point_required")
    member.ended_on = timezone.localdate()
    member.save(update_fields=["ended_on", "updated_at"])
    _record("network_member.end", member.person, actor=actor, target=member)
    network_changed(member.person)


@transaction.atomic
def set_contact_point(member, *, actor) -> NetworkMember | None:
    """Make `member` the one contact point (R5); the previous one is told in-app."""
    if member.never_inform or not member.is_active:
        raise ValidationError(_("An excluded or former member cannot be the contact point."),
                              code="invalid_contact_point")
    previous = NetworkMember.objects.active().select_for_update().filter(
        person=member.person, is_contact_point=True).exclude(pk=member.pk).first()
    if previous:
        previous.is_contact_point = False
        previous.save(update_fields=["is_contact_point", "updated_at"])
    member.is_contact_point = True
    member.save(update_fields=["is_contact_point", "updated_at"])
    _record("network.contact_point", member.person, actor=actor, target=member,
            detail={"previous": previous.pk if previous else None})
    if previous:
        notify(previous.user, kind="network.contact_point", person=member.person,
               params={"name": member.display_name})
    network_changed(member.person)
    return previous


@transaction.atomic
def exclude_member(member, *, actor) -> None:
    """The person asks that this member is never informed (R14): they lose all access."""
    if member.is_contact_point:
        raise ValidationError(CONTACT_POINT_REQUIRED, code="contact_point_required")
    member.never_inform = True
    member.in_safeguarding_circle = False
    member.save(update_fields=["never_inform", "in_safeguarding_circle", "updated_at"])
    _record("network_member.exclude", member.person, actor=actor, target=member,
            detail={"legal_roles": sorted(member.role_codes() & LEGAL_ROLES)})
    # A link sent before the exclusion must not open the door after it.
    portal.revoke_invitations(member, actor=actor)
    for listener in MEMBER_EXCLUDED:
        listener(member, actor=actor)
    network_changed(member.person)


@transaction.atomic
def lift_exclusion(member, *, actor) -> None:
    member.never_inform = False
    member.save(update_fields=["never_inform", "updated_at"])
    _record("network_member.include", member.person, actor=actor, target=member)
    network_changed(member.person)


def exclusion_conflicts(members) -> list[NetworkMember]:
    """Excluded members who also hold a legal role or are family: the coordinator must
    see these (DOMAIN.md §6: how a representative's rights fit is a legal question)."""
    return [m for m in members if m.never_inform
            and (m.role_codes() & (LEGAL_ROLES | {Role.FAMILY}) or m.relation)]


# --- consent ---------------------------------------------------------------------------


@transaction.atomic
def record_consent(person, *, scope, given_by, given_on, actor) -> Consent:
    if Consent.objects.in_force().filter(person=person, scope=scope).exists():
        raise ValidationError(_("This consent is already recorded."), code="duplicate_consent")
    consent = Consent.objects.create(person=person, scope=scope, given_by=given_by,
                                     given_on=given_on, recorded_by=actor)
    _record("consent.give", person, actor=actor, target=consent,
            detail={"scope": scope, "given_by": given_by})
    return consent


@transaction.atomic
def revoke_consent(consent, *, actor) -> None:
    """Takes effect on the very next request: the policy reads consents on every check."""
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.save(update_fields=["revoked_at", "revoked_by"])
    _record("consent.revoke", consent.person, actor=actor, target=consent,
            detail={"scope": consent.scope})


# --- break the glass -------------------------------------------------------------------


@transaction.atomic
def break_glass(person, *, reason: str, actor, organisation=None) -> BreakGlassAccess:
    """Open a record in an emergency: written reason, audited, the contact point is told."""
    reason = reason.strip()
    access = BreakGlassAccess.objects.create(person=person, user=actor, organisation=organisation,
                                             reason=reason, expires_at=break_glass_expiry())
    _record("person.break_glass", person, actor=actor, purpose=reason, break_glass=True,
            organisation=organisation)
    contact = person.members.active().filter(is_contact_point=True).select_related("user").first()
    if contact and contact.user:
        notify(contact.user, kind="network.break_glass", person=person,
               params={"who": str(actor)})
    return access


# --- mandates and capacity -------------------------------------------------------------


@transaction.atomic
def record_mandate(person, *, representative, document=None, actor, **fields) -> Mandate:
    """Record the signed mandate; the member gets the representative role if missing."""
    mandate = Mandate(person=person, representative=representative, recorded_by=actor,
                      **fields)
    if document is not None:
        mandate.document_type = validate_document(document)
        mandate.document = document
    mandate.full_clean()
    mandate.save()
    MemberRole.objects.get_or_create(member=representative, role=Role.REPRESENTATIVE)
    _record("mandate.create", person, actor=actor, target=mandate,
            detail={"representative": representative.pk, "document": bool(document)})
    network_changed(person)
    return mandate


@transaction.atomic
def revoke_mandate(mandate, *, actor) -> None:
    mandate.revoked_on = timezone.localdate()
    mandate.save(update_fields=["revoked_on", "updated_at"])
    _record("mandate.revoke", mandate.person, actor=actor, target=mandate)
    network_changed(mandate.person)


@transaction.atomic
def record_protection_order(person, *, administrator, actor, **fields) -> ProtectionOrder:
    """Record the justice of the peace's order naming `administrator` (a member) the
    person's administrator, authorised to exercise their patient rights; the member gets
    the administrator role if missing."""
    order = ProtectionOrder(person=person, administrator=administrator, recorded_by=actor,
                            **fields)
    order.full_clean()
    order.save()
    MemberRole.objects.get_or_create(member=administrator, role=Role.ADMINISTRATOR)
    _record("protection_order.create", person, actor=actor, target=order,
            detail={"administrator": administrator.pk})
    network_changed(person)
    return order


@transaction.atomic
def lift_protection_order(order, *, actor) -> None:
    """The court ended the protection, or no longer authorises the administrator to
    exercise the person's patient rights: recorded as ended today."""
    order.lifted_on = timezone.localdate()
    order.save(update_fields=["lifted_on", "updated_at"])
    _record("protection_order.lift", order.person, actor=actor, target=order)
    network_changed(order.person)


@transaction.atomic
def record_assessment(person, *, actor, **fields) -> CapacityAssessment:
    assessment = CapacityAssessment(person=person, recorded_by=actor, **fields)
    assessment.full_clean()
    assessment.save()
    _record("capacity.assess", person, actor=actor, target=assessment,
            detail={"finding": assessment.finding})
    return assessment
