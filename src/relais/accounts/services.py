"""Business rules for organisations, wards, memberships and accounts.

Each function takes the acting user, runs in one transaction, writes its audit event and
sends mail only after commit. Permission checks happen before: views load objects
through relais.access.policy.
"""

import secrets
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.utils import timezone

from relais.access.policy import forget_cached_memberships
from relais.accounts.models import Membership, Organisation, User, UserKind, Ward
from relais.audit import log as audit
from relais.audit.log import Actions
from relais.core.models import apply_changes

ORGANISATION_FIELDS = [
    "name", "type", "kbo_number", "street", "postcode", "municipality", "phone", "email",
    "website", "description", "is_active",
]
WARD_FIELDS = ["name", "has_liaison", "phone", "liaison_contact", "visiting_hours", "notes"]
PROFILE_FIELDS = ["first_name", "last_name", "phone", "language", "profession", "riziv_number"]


@transaction.atomic
def create_organisation(data: dict, *, actor) -> Organisation:
    """Register an organisation (platform administrators)."""
    organisation = Organisation(**data)
    organisation.full_clean()
    organisation.save()
    audit.record(Actions.ORGANISATION_CREATED, actor=actor, target=organisation,
                 detail={"name": organisation.name, "type": organisation.type})
    return organisation


@transaction.atomic
def update_organisation(organisation, data: dict, *, actor, expected_version: int) -> list[str]:
    """Apply edited fields; a stale form raises VersionConflict and nothing is saved."""
    changed, before = apply_changes(organisation, ORGANISATION_FIELDS, data)
    if changed:
        organisation.full_clean()
        organisation.save_if_version(expected_version, changed)
        audit.record(Actions.ORGANISATION_CHANGED, actor=actor, target=organisation,
                     organisation=organisation,
                     detail=audit.changes(organisation, changed, before))
    return changed


@transaction.atomic
def add_ward(organisation, data: dict, *, actor) -> Ward:
    ward = Ward(organisation=organisation, **data)
    ward.full_clean()
    ward.save()
    audit.record(Actions.WARD_CREATED, actor=actor, target=ward, organisation=organisation,
                 detail={"name": ward.name, "has_liaison": ward.has_liaison})
    return ward


@transaction.atomic
def update_ward(ward, data: dict, *, actor) -> list[str]:
    changed, before = apply_changes(ward, WARD_FIELDS, data)
    if changed:
        ward.full_clean()
        ward.save()
        audit.record(Actions.WARD_CHANGED, actor=actor, target=ward,
                     organisation=ward.organisation,
                     detail=audit.changes(ward, changed, before))
    return changed


@transaction.atomic
def add_member(organisation, *, email, first_name, last_name, function, is_manager,
               actor, request=None) -> Membership:
    """Add a colleague; a new account gets an email inviting them to choose a password."""
    email = email.strip().lower()
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first_name, "last_name": last_name,
                  "kind": UserKind.PROFESSIONAL},
    )
    if created:
        # A random secret nobody knows; the invitation link lets them choose their own.
        user.set_password(secrets.token_urlsafe(32))
        user.save(update_fields=["password"])
    membership = Membership(user=user, organisation=organisation, function=function,
                            is_manager=is_manager)
    membership.full_clean()
    membership.save()
    forget_cached_memberships(user)
    audit.record(Actions.MEMBERSHIP_CREATED, actor=actor, target=membership,
                 organisation=organisation,
                 detail={"user": user.email, "function": function, "is_manager": is_manager,
                         "new_account": created})
    if created:
        transaction.on_commit(lambda: send_password_invitation(user, request))
    return membership


@transaction.atomic
def end_membership(membership, *, actor, on=None) -> Membership:
    """End a membership; it stays as history. Ending is never backdated before its start."""
    membership.ended_on = max(on or timezone.localdate(), membership.started_on)
    membership.full_clean()
    membership.save(update_fields=["ended_on", "updated_at"])
    forget_cached_memberships(membership.user)
    audit.record(Actions.MEMBERSHIP_ENDED, actor=actor, target=membership,
                 organisation=membership.organisation,
                 detail={"user": membership.user.email, "ended_on": str(membership.ended_on)})
    return membership


@transaction.atomic
def update_profile(user, data: dict, *, actor) -> list[str]:
    changed, before = apply_changes(user, PROFILE_FIELDS, data)
    if changed:
        user.full_clean(exclude=["password"])
        user.save()
        audit.record(Actions.PROFILE_CHANGED, actor=actor, target=user,
                     detail=audit.changes(user, changed, before))
    return changed


def send_password_invitation(user, request=None) -> None:
    """Reuse Django's reset flow: a signed, expiring link to choose a password."""
    form = PasswordResetForm({"email": user.email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=bool(request and request.is_secure()),
            subject_template_name="accounts/email/invitation_subject.txt",
            email_template_name="accounts/email/invitation.txt",
            domain_override=None if request else _site_domain(),
        )


def _site_domain() -> str:

    return urlparse(settings.SITE_URL).netloc
