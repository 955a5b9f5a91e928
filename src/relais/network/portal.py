"""The portal for the person and their circle: invitation, acceptance, what they see.

An invitation is a random token sent by email; only its SHA-256 is stored. It works once,
for INVITATION_DAYS days. The email says nothing about health or even whose network it is.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.models import User, UserKind
from relais.audit import log as audit
from relais.network.models import MemberKind, PortalInvitation

INVITATION_DAYS = 7


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite(member, *, email: str, actor, base_url: str = "") -> str:
    """Create an invitation for an informal member and email its link; returns the link."""
    if member.kind != MemberKind.INFORMAL or member.never_inform or member.user_id:
        raise ValidationError(_("Only a relative or the person themselves can be invited, "
                                "once, and never someone excluded."), code="not_invitable")
    token = secrets.token_urlsafe(32)
    invitation = PortalInvitation.objects.create(
        member=member, email=email.lower(), token_hash=_hash(token), created_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS))
    link = f"{base_url or settings.SITE_URL}{reverse('network:portal_join', args=[token])}"
    audit.record("portal.invite", actor=actor, target=invitation, person_id=member.person_id,
                 detail={"member": member.pk})
    transaction.on_commit(lambda: _send(invitation.email, link, actor))
    return link


def _send(email: str, link: str, actor) -> None:
    context = {"link": link, "inviter": actor.get_full_name() or actor.email,
               "days": INVITATION_DAYS}
    send_mail(_("An invitation to Relais"),
              render_to_string("network/email/portal_invitation.txt", context),
              None, [email])


def usable_invitation(token: str) -> PortalInvitation | None:
    invitation = PortalInvitation.objects.select_related("member__person").filter(
        token_hash=_hash(token)).first()
    return invitation if invitation is not None and is_open(invitation) else None


def is_open(invitation) -> bool:
    """Not used, not expired, and its member still in the network and not excluded now:
    an exclusion that did not pass through `revoke_invitations` stops it too."""
    member = invitation.member
    return invitation.is_usable and member.is_active and not member.never_inform


@transaction.atomic
def revoke_invitations(member, *, actor) -> int:
    """Close the member's open invitations (when they are excluded): each expires now, with
    its audit event. Returns how many were open."""
    now = timezone.now()
    open_ones = list(PortalInvitation.objects.select_for_update().filter(
        member=member, accepted_at__isnull=True, expires_at__gt=now))
    for invitation in open_ones:
        invitation.expires_at = now
        invitation.save(update_fields=["expires_at"])
        audit.record("portal.revoke", actor=actor, target=invitation,
                     person_id=member.person_id,
                     detail={"member": member.pk, "reason": "excluded"})
    return len(open_ones)


@transaction.atomic
def accept(token: str, user) -> PortalInvitation:
    """Link the invited member to `user`; the token is spent even if used twice at once."""
    invitation = PortalInvitation.objects.select_for_update().filter(
        token_hash=_hash(token)).select_related("member").first()
    if invitation is None or not is_open(invitation):
        raise ValidationError(_("This invitation no longer works."), code="invitation_used")
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    member = invitation.member
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    audit.record("portal.accept", actor=user, target=invitation, person_id=member.person_id)
    return invitation


def create_portal_user(*, email: str, first_name: str, last_name: str, password: str,
                       language: str) -> User:
    return User.objects.create_user(email=email, password=password, first_name=first_name,
                                    last_name=last_name, language=language,
                                    kind=UserKind.PORTAL)
