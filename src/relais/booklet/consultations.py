"""Asynchronous consultations (R10): a question about a person, asked of chosen network
members, answered by a deadline; the asker records the decision in the booklet.

Each invitee gets a link whose random token is never stored: only its SHA-256 is (as for
portal invitations). The link works once and until the deadline. Members with an account
open it after logging in; a member without an account but with an email gets the link by
email, which carries no health detail (no question, no name), and answers on a minimal
form where the link identifies them.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from relais.access import persons
from relais.access.policy import Action, is_signed_in, member_organisation_ids, policy_for
from relais.accounts.models import Membership, User
from relais.audit import log as audit
from relais.booklet import rules as booklet_rules
from relais.booklet.models import Audience, Consultation, Entry, EntryKind, Invitation
from relais.network.models import NetworkMember, Person
from relais.network.services import MEMBER_EXCLUDED
from relais.notifications.services import notify

# Remind once, when at most this much time is left (and half the time has passed, so that
# a question asked for tomorrow morning is not followed by a reminder minutes later).
REMIND_BEFORE = timedelta(hours=24)
DEFAULT_DEADLINE = timedelta(hours=48)
MAX_CHOICES = 10
CHOICE_LENGTH = 200


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reply_path(token: str) -> str:
    return reverse("booklet:consultation_reply", args=[token])


# --- who may be asked, who is told -------------------------------------------------------


def invitable_members(person) -> QuerySet:
    """Active, not excluded members who can be reached: an active account, an organisation
    with active staff, or (without either) an email address."""
    staff = Membership.objects.active().filter(organisation=OuterRef("organisation_id"),
                                               user__is_active=True)
    reachable = (Q(user__is_active=True)
                 | (Q(organisation__isnull=False) & Exists(staff))
                 | (Q(user__isnull=True, organisation__isnull=True) & ~Q(email="")))
    return NetworkMember.objects.active().filter(person=person, never_inform=False).filter(
        reachable).select_related("user", "organisation")


def needs_login(invitation) -> bool:
    """Members with an account (or an organisation's staff) answer after logging in."""
    return bool(invitation.member.user_id or invitation.member.organisation_id)


def users_for(member) -> list:
    """The accounts that stand for a member: their own, or their organisation's staff."""
    if member.user_id:
        return [member.user] if member.user.is_active else []
    if member.organisation_id:
        staff = Membership.objects.active().filter(organisation=member.organisation_id)
        return list(User.objects.filter(is_active=True, pk__in=staff.values("user_id")))
    return []


def stands_for(user, invitation) -> bool:
    member = invitation.member
    if not is_signed_in(user):
        return False
    return member.user_id == user.pk or (
        member.organisation_id is not None
        and member.organisation_id in member_organisation_ids(user))


def may_decide(user, consultation) -> bool:
    """The asker, or a colleague in the organisation they asked for."""
    if not (is_signed_in(user) and user.is_professional):
        return False
    return consultation.asked_by_id == user.pk or (
        consultation.organisation_id is not None
        and consultation.organisation_id in member_organisation_ids(user))


# Who sees a consultation is decided in relais.access.booklet; re-exported for the views.
visible_consultations = booklet_rules.visible_consultations
consultation_for = booklet_rules.consultation_for


# --- asking ------------------------------------------------------------------------------


def clean_choices(choices) -> list[str]:
    """Stripped, without blanks or repeats; none (a free answer) or at least two."""
    cleaned = list(dict.fromkeys(c.strip() for c in choices if c and c.strip()))
    if len(cleaned) == 1:
        raise ValidationError({"choices": _("Give at least two choices, or none for a free "
                                            "answer.")})
    if len(cleaned) > MAX_CHOICES or any(len(c) > CHOICE_LENGTH for c in cleaned):
        raise ValidationError({"choices": _(
            "Give at most %(count)d choices of at most %(length)d characters each.")
            % {"count": MAX_CHOICES, "length": CHOICE_LENGTH}})
    return cleaned


def _check_members(person, members) -> None:
    if not members:
        raise ValidationError({"members": _("Choose whom to ask.")})
    allowed = set(invitable_members(person).values_list("pk", flat=True))
    wrong = [m for m in members if m.person_id != person.pk or m.pk not in allowed]
    if wrong:
        raise ValidationError({"members": _(
            "%(names)s cannot be asked: only active members of this person's network who "
            "are not excluded and have an account or an email address.")
            % {"names": ", ".join(m.display_name for m in wrong)}})


def _check_ask(person, *, question, deadline, actor, organisation) -> None:
    if not (is_signed_in(actor) and actor.is_professional
            and policy_for(Person).allows(actor, person, Action.CHANGE)):
        raise PermissionDenied
    if organisation is not None and organisation.pk not in member_organisation_ids(actor):
        raise PermissionDenied
    errors = {}
    if not question.strip():
        errors["question"] = _("Write the question.")
    if deadline is None or deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def ask(person, *, question: str, choices, deadline, members, actor,
        organisation=None) -> Consultation:
    """Ask `members` a question about `person`, to answer by `deadline` (R10)."""
    members = list(dict.fromkeys(members))
    _check_ask(person, question=question, deadline=deadline, actor=actor,
               organisation=organisation)
    choices = clean_choices(choices)
    _check_members(person, members)
    consultation = Consultation.objects.create(
        person=person, question=question.strip(), choices=choices, deadline=deadline,
        asked_by=actor, organisation=organisation)
    for member in members:
        _invite(consultation, member)
    audit.record("consultation.ask", actor=actor, target=consultation, person_id=person.pk,
                 organisation=organisation,
                 detail={"invited": [m.pk for m in members], "choices": len(choices)})
    return consultation


def _invite(consultation, member) -> Invitation:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        consultation=consultation, member=member, user=member.user if member.user_id else None,
        token_hash=_hash(token), expires_at=consultation.deadline)
    link = reply_path(token)
    # Members with an account answer on the consultation's page, after login: the
    # single-use link (its token) is never stored, not even in their notification.
    params = {"asker": consultation.asked_by.get_full_name() or consultation.asked_by.email,
              "deadline": consultation.deadline}
    for user in users_for(member):
        notify(user, kind="consultation.invited", person=consultation.person,
               target=consultation, params=params)
    if not needs_login(invitation) and member.email:
        with translation.override(_language(member)):
            body = _("You are asked a question in Relais. Open this link to read it and "
                     "answer; it works once, until %(deadline)s:\n\n%(link)s") % {
                "deadline": _when(consultation.deadline), "link": settings.SITE_URL + link}
            email_without_detail(member.email, _("A question for you in Relais"), body)
    return invitation


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _language(member) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return member.language if member.language in codes else settings.LANGUAGE_CODE


def email_without_detail(address: str, subject: str, body: str) -> None:
    """The only email of consultations; sent after commit. It never carries the question
    or the person's name (callers write the body). The worker will take this over."""
    transaction.on_commit(lambda: send_mail(subject, body, None, [address],
                                            fail_silently=True))


# --- exclusions --------------------------------------------------------------------------


def register() -> None:
    """An exclusion in the network closes the member's links (the network does not know
    consultations)."""
    if revoke_links not in MEMBER_EXCLUDED:
        MEMBER_EXCLUDED.append(revoke_links)


def revoke_links(member, *, actor) -> int:
    """Close the open links addressed to `member` (when they are excluded): each expires
    now, with its audit event; runs inside the exclusion's transaction. Returns how many
    were open."""
    now = timezone.now()
    open_ones = list(Invitation.objects.select_for_update().filter(
        member=member, used_at__isnull=True, expires_at__gt=now,
        consultation__decided_at__isnull=True))
    for invitation in open_ones:
        invitation.expires_at = now
        invitation.save(update_fields=["expires_at"])
        audit.record("consultation.revoke", actor=actor, target_type="booklet.consultation",
                     target_id=str(invitation.consultation_id), person_id=member.person_id,
                     detail={"invitation": invitation.pk, "reason": "excluded"})
    return len(open_ones)


# --- answering ---------------------------------------------------------------------------


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation the link's token belongs to, usable or not; None for a tampered or
    unknown token."""
    return Invitation.objects.select_related(
        "consultation__person", "consultation__asked_by", "consultation__organisation",
        "member__user", "member__organisation").filter(token_hash=_hash(token)).first()


def why_closed(invitation, now=None, *, user=None) -> str:
    """"" while the invitation can be answered (by `user`, when signed in), else the
    reason, shown to the invitee."""
    now = now or timezone.now()
    member = invitation.member
    if invitation.used_at is not None:
        return _("This question was already answered with this link.")
    if invitation.consultation.decided_at is not None:
        return _("A decision was already recorded: answers are closed.")
    # An excluded member, or a user excluded now, reads what an expired link says: nobody
    # is told of an exclusion (R14).
    if (invitation.expires_at <= now or member.never_inform
            or _excluded(user, invitation.consultation.person_id)):
        return _("The deadline to answer has passed.")
    if not member.is_active:
        return _("You are no longer asked to answer this question.")
    return ""


def _excluded(user, person_id) -> bool:
    """The user, or an organisation they act for, is excluded from the person's network."""
    return is_signed_in(user) and persons.excluded_persons(
        user, Person.objects.filter(pk=person_id)).exists()


def answered_as_for(user, invitation) -> str:
    name = user.get_full_name() or user.email
    organisation = invitation.member.organisation
    return f"{name} ({organisation.name})" if organisation is not None else name


def _check_answer(consultation, choice: str, text: str, answered_as: str) -> None:
    errors = {}
    if consultation.choices and choice not in consultation.choices:
        errors["choice"] = _("Choose one of the answers offered.")
    if not consultation.choices and choice:
        errors["choice"] = _("This question has no answer choices.")
    if not (choice or text):
        errors["text"] = _("Write your answer.")
    if not answered_as:
        errors["answered_as"] = _("Say who you are.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def answer(invitation, *, choice: str = "", text: str = "", answered_as: str,
           actor=None) -> Invitation:
    """Record the invitee's answer: once, before the deadline and the decision. `actor` is
    the logged-in user, None for a member without an account (the link identifies them)."""
    now = timezone.now()
    invitation = Invitation.objects.select_related(
        "consultation__person", "consultation__asked_by", "member").get(pk=invitation.pk)
    if needs_login(invitation) and not stands_for(actor, invitation):
        raise PermissionDenied
    reason = why_closed(invitation, now, user=actor)
    if reason:
        raise ValidationError(reason, code="closed")
    choice, text, answered_as = choice.strip(), text.strip(), answered_as.strip()[:200]
    consultation = invitation.consultation
    _check_answer(consultation, choice, text, answered_as)
    # Compare-and-set: of two answers sent at the same moment, only one is kept, and none
    # lands after a decision recorded meanwhile.
    fields = {"choice": choice, "answer": text, "answered_as": answered_as,
              "answered_at": now, "used_at": now}
    still_open = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True,
                                           consultation__decided_at__isnull=True)
    if not still_open.update(**fields):
        raise ValidationError(why_closed(Invitation.objects.get(pk=invitation.pk), now),
                              code="closed")
    for name, value in fields.items():
        setattr(invitation, name, value)
    audit.record("consultation.answer", actor=actor, target=consultation,
                 person_id=consultation.person_id,
                 detail={"invitation": invitation.pk, "by_link": actor is None})
    notify(consultation.asked_by, kind="consultation.answered", person=consultation.person,
           target=consultation, params={"who": answered_as})
    return invitation


# --- deciding ----------------------------------------------------------------------------


@transaction.atomic
def decide(consultation, *, decision: str, actor) -> Entry:
    """The asker records the decision: a booklet entry for the whole network, and every
    invitee is told."""
    consultation = Consultation.objects.select_for_update(of=("self",)).select_related(
        "person", "organisation").get(pk=consultation.pk)
    if not may_decide(actor, consultation):
        raise PermissionDenied
    if consultation.decided_at is not None:
        raise ValidationError(_("The decision was already recorded."), code="decided")
    decision = decision.strip()
    if not decision:
        raise ValidationError({"decision": _("Write the decision.")})
    entry = _decision_entry(consultation, decision, actor)
    consultation.decision, consultation.decided_at = decision, timezone.now()
    consultation.decision_entry = entry
    consultation.save(update_fields=["decision", "decided_at", "decision_entry"])
    audit.record("consultation.decide", actor=actor, target=consultation,
                 person_id=consultation.person_id, organisation=consultation.organisation,
                 detail={"entry": entry.pk})
    _tell_invitees(consultation, kind="consultation.decided")
    return entry


def _decision_entry(consultation, decision: str, actor) -> Entry:
    organisation = consultation.organisation
    label = actor.get_full_name() or actor.email
    if organisation is not None:
        label = f"{label} · {organisation.name}"
    entry = Entry(person=consultation.person, kind=EntryKind.NOTE, audience=Audience.NETWORK,
                  author=actor, author_organisation=organisation, author_label=label[:300],
                  body=_("Consultation: %(question)s — Decision: %(decision)s")
                  % {"question": consultation.question, "decision": decision})
    entry.save()
    return entry


def _tell_invitees(consultation, *, kind: str) -> None:
    invitations = consultation.invitations.select_related("member__user")
    told = set()
    for invitation in invitations:
        for user in users_for(invitation.member):
            if user.pk not in told:
                told.add(user.pk)
                notify(user, kind=kind, person=consultation.person, target=consultation)


# --- reminders ---------------------------------------------------------------------------


def _reminder_due(invitation, now) -> bool:
    consultation = invitation.consultation
    halfway = consultation.created_at + (consultation.deadline - consultation.created_at) / 2
    return now >= halfway


def remind_overdue(now=None) -> int:
    """Remind, once, the invitees who have not answered when the deadline is near; returns
    how many were reminded. Run by `relais manage remind_consultations` (cron or worker)."""
    now = now or timezone.now()
    candidates = Invitation.objects.filter(
        answered_at__isnull=True, reminded_at__isnull=True,
        consultation__decided_at__isnull=True, member__never_inform=False,
        expires_at__gt=now, expires_at__lte=now + REMIND_BEFORE).select_related(
        "consultation__person", "member__user", "member__organisation")
    return sum(_remind(invitation, now) for invitation in candidates
               if _reminder_due(invitation, now) and not why_closed(invitation, now))


@transaction.atomic
def _remind(invitation, now) -> bool:
    # Compare-and-set, so that two runs at once remind only once.
    if not Invitation.objects.filter(pk=invitation.pk, reminded_at__isnull=True).update(
            reminded_at=now):
        return False
    consultation, member = invitation.consultation, invitation.member
    for user in users_for(member):
        notify(user, kind="consultation.reminder", person=consultation.person,
               target=consultation, params={"deadline": consultation.deadline})
    if not needs_login(invitation) and member.email:
        with translation.override(_language(member)):
            email_without_detail(member.email, _("A question for you in Relais"), _(
                "A question you were asked in Relais is still waiting for your answer. Use "
                "the link in the first email before %(deadline)s.")
                % {"deadline": _when(consultation.deadline)})
    audit.record("consultation.remind", target=consultation, person_id=consultation.person_id,
                 detail={"invitation": invitation.pk})
    return True
