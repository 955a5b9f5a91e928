"""Closed-loop referrals (R9, R13): sent with a needs analysis, answered in one step.

Every status change goes through `transition`, which checks the transitions declared
once in models.TRANSITIONS, writes the timeline and the audit event, and tells the other
side at once. An accepted referral makes the service's organisation a network member.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.access.policy import member_organisation_ids
from relais.accounts.models import User
from relais.audit import log as audit
from relais.network import services as network_services
from relais.network.models import MemberKind, NetworkMember, Role
from relais.network.services import ROLE_FOR_ORGANISATION
from relais.notifications.services import notify
from relais.stays.models import (
    TRANSITIONS,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Urgency,
)

NEEDS_FIELDS = ("help_needed", "frequency", "start_on", "reason", "person_wishes")
ANSWER_WITHIN = {Urgency.WITHIN_24H: timedelta(hours=24), Urgency.WITHIN_72H: timedelta(hours=72),
                 Urgency.ROUTINE: timedelta(days=5)}


def _record(action, referral, *, actor, **detail):
    audit.record(action, actor=actor, target=referral, person_id=referral.person_id,
                 detail=detail or None)


def _check_needs(needs: dict, person_agrees: bool) -> None:
    errors = {name: _("The needs analysis needs this.") for name in NEEDS_FIELDS
              if not (str(needs.get(name) or "").strip())}
    if not person_agrees:
        errors["person_agrees"] = _("Refer only with the person's agreement.")
    if errors:
        raise ValidationError(errors)


class DuplicateReferral(ValidationError):
    """The person already has an open referral to this service: `existing`."""

    def __init__(self, existing: Referral):
        super().__init__(_("This person already has an open referral to this service: "
                           "follow that one up rather than sending another."),
                         code="duplicate_referral")
        self.existing = existing


def open_referral_to(person, service) -> Referral | None:
    """The open (sent, accepted or started) referral of `person` to `service`, if any."""
    return Referral.objects.open().filter(person=person, service=service).first()


@transaction.atomic
def send(*, person, service, needs: dict, urgency: str, actor, sender_organisation,
         stay=None, person_agrees: bool = False) -> Referral:
    """Refer `person` to `service`; without a complete needs analysis nothing is sent, and
    while an open referral to the same service exists nothing is sent either."""
    existing = open_referral_to(person, service)
    if existing is not None:
        raise DuplicateReferral(existing)
    _check_needs(needs, person_agrees)
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                person=person, stay=stay, service=service, organisation=service.organisation,
                sender=actor, sender_organisation=sender_organisation, urgency=urgency,
                respond_by=timezone.now() + ANSWER_WITHIN[urgency], person_agrees=True,
                **{name: needs[name] for name in NEEDS_FIELDS})
    except IntegrityError:
        # Another send for the same person and service committed first (the unique index).
        existing = open_referral_to(person, service)
        if existing is None:
            raise
        raise DuplicateReferral(existing) from None
    ReferralEvent.objects.create(referral=referral, status=ReferralStatus.SENT, by=actor)
    _record("referral.send", referral, actor=actor, service=service.pk, urgency=urgency)
    for user in _organisation_users(referral.organisation_id):
        notify(user, kind="referral.received", person=person, target=referral,
               params={"service": service.name})
    return referral


def _organisation_users(organisation_id):
    return User.objects.filter(is_active=True, memberships__organisation_id=organisation_id,
                               memberships__ended_on__isnull=True).distinct()


def allowed_next(referral) -> set[str]:
    return set(TRANSITIONS[ReferralStatus(referral.status)])


@transaction.atomic
def transition(referral, to: str, *, actor, expected_version: int, reason: str = "",
               note: str = "") -> Referral:
    """Move the referral to `to` if the declared transitions allow it; else nothing."""
    if to not in allowed_next(referral):
        raise ValidationError(
            _("A referral that is “%(current)s” cannot become “%(next)s”.")
            % {"current": referral.get_status_display(), "next": ReferralStatus(to).label},
            code="illegal_transition")
    if to == ReferralStatus.DECLINED and not reason:
        raise ValidationError({"reason": _("Say why you decline: it helps the sender find "
                                           "another service.")})
    fields = ["status"]
    referral.status = to
    if to in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
        referral.answered_by, referral.answered_at = actor, timezone.now()
        fields += ["answered_by", "answered_at"]
    if to == ReferralStatus.DECLINED:
        referral.decline_reason, referral.decline_note = reason, note
        fields += ["decline_reason", "decline_note"]
    referral.save_if_version(expected_version, fields)
    ReferralEvent.objects.create(referral=referral, status=to, by=actor, note=note)
    _record(f"referral.{to}", referral, actor=actor, reason=reason or None)
    if to == ReferralStatus.ACCEPTED:
        _join_network(referral, actor)
    _tell_other_side(referral, actor)
    return referral


def _join_network(referral, actor) -> None:
    """The accepting organisation joins the person's network (if it is not there yet)."""
    organisation = referral.organisation
    if NetworkMember.objects.active().filter(person=referral.person_id,
                                             organisation=organisation).exists():
        return

    role = ROLE_FOR_ORGANISATION.get(organisation.type, Role.OTHER)
    network_services.add_member(referral.person, kind=MemberKind.ORGANISATION, roles=[role],
                                actor=actor, organisation=organisation,
                                what_they_do=referral.service.name[:200])


def _tell_other_side(referral, actor) -> None:
    receiving = referral.organisation_id in _member_org_ids(actor)
    recipients = ([referral.sender] if receiving
                  else list(_organisation_users(referral.organisation_id)))
    for user in recipients:
        if user.pk != actor.pk:
            notify(user, kind=f"referral.{referral.status}", person=referral.person,
                   target=referral, params={"service": referral.service.name})


def _member_org_ids(user) -> set[int]:
    return member_organisation_ids(user)
