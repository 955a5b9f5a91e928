"""Follow-up after discharge: starting it, recording a contact, reassigning its owner.

Owners come from the person's network as the going-home sheet names the relay
professional (the one who owns the discharge plan, else the GP, else the coordination
centre); never an excluded member, and network members only when the person consented to
share with their network.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.access.models import Consent, ConsentScope
from relais.accounts.models import Function, Membership, UserKind
from relais.audit import log as audit
from relais.booklet import services as booklet
from relais.booklet.models import Audience, EntryKind
from relais.core.models import VersionConflict
from relais.core.transactions import service_transaction
from relais.followup import protocols, rules, work
from relais.followup.models import CancelReason, Contact, ContactStatus, FollowUp, OwnerRole
from relais.network.models import NetworkMember, Role
from relais.network.services import users_behind
from relais.notifications.services import notify
from relais.stays.going_home import relay_for
from relais.stays.models import Destination
from relais.stays.services import alert_recipients

# Who goes home, to be followed at home. Not the deceased; not another hospital (its own
# discharge will start a follow-up); not a nursing home (its staff care for the person
# every day, and it has its own GP arrangements); "other" is too vague to send anyone.
FOLLOWED_DESTINATIONS = {"", Destination.HOME, Destination.HOME_WITH_SERVICES}
OUTCOMES = (ContactStatus.REACHED, ContactStatus.PROBLEM, ContactStatus.NOT_REACHED)
DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Owner:
    """Who owns a contact: a user, or an organisation (anyone in it), or nobody."""

    user: object = None
    organisation: object = None

    def __bool__(self) -> bool:
        return self.user is not None or self.organisation is not None


NOBODY = Owner()


# --- starting a follow-up ----------------------------------------------------------------


def on_stay_discharged(sender, *, stay, actor=None, **kwargs) -> None:
    """`stays.signals.stay_discharged`, inside the discharge's transaction."""
    start_followup(stay, actor=actor)


@service_transaction
def start_followup(stay, *, actor=None) -> FollowUp | None:
    """The follow-up of a discharge home, with its planned contacts; once per stay. A
    discharge made again after one was cancelled replans the stay's follow-up."""
    if stay.destination not in FOLLOWED_DESTINATIONS or stay.discharged_at is None:
        return None
    existing = FollowUp.objects.select_for_update().filter(stay=stay).first()
    if existing is not None and existing.closed_at is None:  # a repeated A03
        return existing
    if existing is not None:
        return _replan(existing, stay, actor=actor)
    protocol = protocols.choose_protocol(stay)
    followup = FollowUp.objects.create(person=stay.person, stay=stay, protocol=protocol,
                                       started_on=protocols.discharge_day(stay))
    _plan_contacts(followup, stay, list(protocol.steps.all()))
    audit.record("followup.start", actor=actor, target=followup, person_id=stay.person_id,
                 detail={"protocol": protocol.pk, "version": protocol.version})
    return followup


def _replan(followup, stay, *, actor) -> FollowUp:
    """The stay's follow-up (OneToOne) opens again from the new discharge: the protocol
    chosen now, fresh contacts; the cancelled ones stay in its history."""
    protocol = protocols.choose_protocol(stay)
    followup.protocol, followup.started_on = protocol, protocols.discharge_day(stay)
    followup.closed_at, followup.close_reason = None, ""
    followup.save(update_fields=["protocol", "started_on", "closed_at", "close_reason",
                                 "updated_at"])
    _plan_contacts(followup, stay, list(protocol.steps.all()))
    audit.record("followup.restart", actor=actor, target=followup, person_id=stay.person_id,
                 detail={"protocol": protocol.pk, "version": protocol.version})
    return followup


# --- a discharge cancelled, a readmission ------------------------------------------------


def on_stay_discharge_cancelled(sender, *, stay, actor=None, **kwargs) -> None:
    """`stays.signals.stay_discharge_cancelled`, inside the cancellation's transaction."""
    cancel_followup(stay, actor=actor)


@service_transaction
def cancel_followup(stay, *, actor=None) -> FollowUp | None:
    """The discharge was entered in error (A13 or by hand): the follow-up it started
    closes, its planned contacts are cancelled (kept, with the reason), so they leave
    their owners' work and never escalate. A new discharge replans it."""
    followup = FollowUp.objects.select_for_update().filter(
        stay=stay, closed_at__isnull=True).first()
    if followup is None:
        return None
    now = timezone.now()
    planned = followup.contacts.filter(status=ContactStatus.PLANNED)
    cancelled = list(planned.values_list("pk", flat=True))
    planned.update(status=ContactStatus.CANCELLED, updated_at=now,
                   cancel_reason=CancelReason.DISCHARGE_CANCELLED, version=F("version") + 1)
    followup.closed_at = now
    followup.save(update_fields=["closed_at", "updated_at"])
    audit.record("followup.cancel", actor=actor, target=followup, person_id=stay.person_id,
                 detail={"reason": CancelReason.DISCHARGE_CANCELLED, "contacts": cancelled})
    return followup


def on_stay_admitted(sender, *, stay, **kwargs) -> None:
    """`stays.signals.stay_admitted`: a readmission tells the open follow-up."""
    if stay.previous_stay_id is not None:
        tell_readmission(stay)


def tell_readmission(stay) -> FollowUp | None:
    """The follow-up of the stay `stay` readmits after learns it: an audit event on it,
    and the owners of its planned contacts not already told of the admission by the
    hospital's alert are notified (the contacts wait: nobody is reached at home)."""
    followup = FollowUp.objects.filter(stay=stay.previous_stay_id,
                                       closed_at__isnull=True).first()
    if followup is None:
        return None
    audit.record("followup.readmission", actor=None, target=followup,
                 person_id=stay.person_id,
                 detail={"stay": stay.pk, "planned": stay.readmission_planned})
    already_told = {user.pk for user in alert_recipients(stay)}
    for owner in _planned_owners(followup):
        if owner.pk not in already_told and rules.may_own(owner, stay.person):
            notify(owner, kind="followup.readmitted", person=stay.person, target=followup,
                   params={"hospital": stay.hospital.name})
    return followup


def _planned_owners(followup) -> list:
    owners = {contact.owner for contact in followup.contacts.filter(
        status=ContactStatus.PLANNED, owner__isnull=False).select_related("owner")}
    return sorted(owners, key=lambda user: user.pk)


def _plan_contacts(followup, stay, steps) -> None:
    members = network_members(stay.person)
    start = followup.started_on
    for index, step in enumerate(steps):
        day = step.day
        if index == 0 and stay.followup_within_days is not None:
            day = min(day, stay.followup_within_days)  # the discharge asked for sooner
        owner = owner_for(stay, step.owner_role, members)
        Contact.objects.create(
            followup=followup, step=step, channel=step.channel,
            what_to_check=step.what_to_check, owner=owner.user,
            owner_organisation=owner.organisation,
            due_on=protocols.add_days(start, day, business_days=step.business_days))


def network_members(person) -> list:
    """Active, not excluded members of a person who consented to share with them."""
    if not Consent.objects.in_force().filter(person=person.pk,
                                             scope=ConsentScope.NETWORK).exists():
        return []
    return list(NetworkMember.objects.active().filter(person=person, never_inform=False)
                .select_related("user", "organisation").prefetch_related("roles"))


def owner_for(stay, role: str, members) -> Owner:
    """The owner for a step's role; a role nobody fills falls back to the relay."""
    if role == OwnerRole.GP:
        owner = _member_owner(stay, members, Role.GP)
    elif role == OwnerRole.COORDINATION:
        owner = _member_owner(stay, members, Role.COORDINATION_CENTRE)
    elif role == OwnerRole.HOME_NURSE:
        owner = _member_owner(stay, members, Role.HOME_NURSE)
    else:
        owner = NOBODY
    return owner or relay_owner(stay, members)


def relay_owner(stay, members) -> Owner:
    """The going-home sheet's relay professional (stays.going_home.relay_for): the plan's
    owner at the hospital, else the GP, else the coordination centre."""
    relay = relay_for(stay, members)
    if relay is not None and relay.member is not None:
        owner = _owner_of_member(stay, relay.member)
    elif relay is not None:
        # The sheet names the plan owner without their account: find it the same way.
        user = _plan_owner(stay)
        owner = Owner(user, stay.hospital) if user and rules.may_own(user, stay.person) \
            else NOBODY
    else:
        owner = NOBODY
    return (owner or _member_owner(stay, members, Role.GP)
            or _member_owner(stay, members, Role.COORDINATION_CENTRE))


def _plan_owner(stay):
    """Who owns most of the discharge plan and still works at the hospital (as
    going_home._plan_owner, which gives the sheet a name and a phone, not the account)."""
    owners = (stay.plan_items.filter(owner__isnull=False).values_list("owner", flat=True))
    counts: dict[int, int] = {}
    for owner_id in owners:
        counts[owner_id] = counts.get(owner_id, 0) + 1
    for owner_id in sorted(counts, key=lambda pk: (-counts[pk], pk)):
        membership = Membership.objects.active().filter(
            user_id=owner_id, organisation_id=stay.hospital_id).select_related("user").first()
        if membership is not None:
            return membership.user
    return None


def _member_owner(stay, members, role) -> Owner:
    for member in members:
        if role in member.role_codes():
            owner = _owner_of_member(stay, member)
            if owner:
                return owner
    return NOBODY


def _owner_of_member(stay, member) -> Owner:
    if member.user_id and member.organisation_id is None:
        if not rules.may_own(member.user, stay.person):
            return NOBODY
        return Owner(member.user, _organisation_of(member.user))
    if member.organisation_id:
        return Owner(None, member.organisation)  # anyone in that organisation
    return NOBODY


def _organisation_of(user):
    membership = Membership.objects.active().filter(user=user).select_related(
        "organisation").order_by("pk").first()
    return membership.organisation if membership else None


# --- recording a contact -----------------------------------------------------------------


@service_transaction
def record_contact(contact, *, actor, outcome: str, note: str = "", happened_at=None,
                   expected_version: int, alert: str = "") -> Contact:
    """What happened at a planned contact; "not reached" plans the next attempt, and
    after the last one tells the owner's organisation's coordinators. `alert`: a text
    for the booklet (an alert for health professionals), if the contact found one."""
    person = contact.followup.person
    happened_at = happened_at or timezone.now()
    _check_record(contact, actor=actor, outcome=outcome, happened_at=happened_at)
    contact.status, contact.note = outcome, note.strip()
    contact.happened_at, contact.recorded_by = happened_at, actor
    try:
        contact.save_if_version(expected_version, ["status", "note", "happened_at",
                                                   "recorded_by"])
    except VersionConflict:
        raise ValidationError(_("Someone recorded this contact meanwhile: reload the "
                                "page.")) from None
    audit.record("followup.contact_record", actor=actor, target=contact,
                 person_id=person.pk, detail={"outcome": outcome, "attempt": contact.attempt})
    if outcome == ContactStatus.NOT_REACHED:
        plan_next_attempt(contact)
    if alert.strip():
        booklet.write(person, author=actor, body=alert, kind=EntryKind.ALERT,
                      audience=Audience.HEALTH, organisation=_organisation_of(actor))
    return contact


def _check_record(contact, *, actor, outcome, happened_at) -> None:
    if not rules.may_work_on(actor, contact.followup.person):
        raise ValidationError(_("You may not record contacts for this person."))
    if contact.status != ContactStatus.PLANNED:
        raise ValidationError(_("This contact was already recorded."))
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": _("Say how the contact went.")})
    if happened_at > timezone.now():
        raise ValidationError({"happened_at": _("A contact cannot be recorded in the "
                                                "future.")})
    stay = contact.followup.stay
    started = stay.discharged_at if stay else None
    if started is not None and happened_at < started:
        raise ValidationError({"happened_at": _("A contact cannot be before the "
                                                "discharge.")})


def plan_next_attempt(contact) -> Contact | None:
    """The next try after "not reached", or, after the last one, the coordinators told."""
    step = contact.step
    max_attempts = step.max_attempts if step else DEFAULT_MAX_ATTEMPTS
    if contact.attempt >= max_attempts:
        tell_coordinators(contact)
        return None
    retry = step.retry_after_days if step else 1
    business = step.business_days if step else True
    return Contact.objects.create(
        followup=contact.followup, step=step, channel=contact.channel,
        what_to_check=contact.what_to_check, owner=contact.owner,
        owner_organisation=contact.owner_organisation, attempt=contact.attempt + 1,
        due_on=protocols.add_days(timezone.localdate(contact.happened_at), retry,
                                  business_days=business))


def tell_coordinators(contact) -> None:
    followup = contact.followup
    organisation = contact.owner_organisation or (followup.stay and followup.stay.hospital)
    for user in coordinators_of(organisation):
        notify(user, kind="followup.not_reached", person=followup.person, target=followup,
               params={"attempts": contact.attempt})
    audit.record("followup.attempts_exhausted", target=contact,
                 person_id=followup.person_id, detail={"attempts": contact.attempt})


def coordinators_of(organisation) -> list:
    if organisation is None:
        return []
    memberships = Membership.objects.active().filter(organisation=organisation).filter(
        Q(function=Function.COORDINATOR) | Q(is_manager=True)).select_related("user")
    return [m.user for m in memberships if m.user.is_active]


# --- reassigning -------------------------------------------------------------------------


def reassign(contact, *, actor, owner, expected_version: int) -> Contact:
    """A new owner for a planned contact, chosen on its follow-up page by a professional
    who may work on the person: `work.reassign`, done for the new owner's organisation."""
    if not rules.may_work_on(actor, contact.followup.person):
        raise ValidationError(_("You may not change this person's follow-up."))
    organisation = _organisation_of(owner) if owner is not None else None
    return work.reassign(contact, owner, actor=actor, expected_version=expected_version,
                         organisation_id=organisation.pk if organisation else None)


def owner_candidates(person):
    """Professionals who may own a contact or a watch of `person`: the accounts behind
    the network's active, not excluded members (checked again, one by one, by the
    services that take an owner)."""
    members = NetworkMember.objects.active().filter(person=person, never_inform=False)
    users = users_behind(members).filter(kind=UserKind.PROFESSIONAL)
    return [user for user in users.order_by("last_name", "first_name")
            if rules.may_own(user, person)]
