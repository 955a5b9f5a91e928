"""The audit log: append-only, hash-chained (DESIGN.md access rule 5)."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """The audit log is never changed or deleted; write a new event instead."""


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")

    def visible_to(self, user):
        from relais.access import policy

        return policy.visible_audit_events(user, self)


class AuditEvent(models.Model):
    """One thing that happened: who, acting for which organisation, what, on what, why."""

    seq = models.BigIntegerField(_("sequence"), unique=True, editable=False)
    occurred_at = models.DateTimeField(_("time (UTC)"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor as shown then"), max_length=254, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("acting organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    person_id = models.BigIntegerField(_("person"), null=True, blank=True, db_index=True)
    purpose = models.TextField(_("purpose or reason"), blank=True)
    break_glass = models.BooleanField(_("break the glass"), default=False)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")

    def compute_hash(self) -> str:
        """SHA-256 of the previous hash and this event's content (not its position)."""
        content = {
            "prev": self.prev_hash,
            "at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "organisation": self.organisation_id,
            "action": self.action,
            "target": [self.target_type, self.target_id],
            "person": self.person_id,
            "purpose": self.purpose,
            "break_glass": self.break_glass,
            "request": self.request_id,
            "ip": self.ip_address,
            "outcome": self.outcome,
            "detail": self.detail,
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


class ConsentScope(models.TextChoices):
    NETWORK = "network", _("Share with the care network")
    HOSPITALS = "hospitals", _("Share with hospitals at admission")


class ConsentQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(revoked_at__isnull=True)


class Consent(models.Model):
    """What the person (or their representative) agreed to share; revocable at any time (R7).

    A revocation takes effect on the very next request: the access policy reads this table
    on every check, nothing is cached across requests.
    """

    person = models.ForeignKey("network.Person", on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("what is shared"), max_length=20, choices=ConsentScope)
    given_by = models.CharField(
        _("given by"), max_length=200,
        help_text=_("The person themselves, or the name of their representative."),
    )
    given_on = models.DateField(_("given on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["person", "scope"],
                                    condition=models.Q(revoked_at__isnull=True),
                                    name="one_consent_in_force_per_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.given_on})"


class BreakGlassAccess(models.Model):
    """An emergency opening of a record outside the normal rules (DESIGN.md rule 4)."""

    person = models.ForeignKey("network.Person", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                      null=True, related_name="+")
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")

    def __str__(self) -> str:
        return f"{self.user} → {self.person_id} ({self.opened_at:%Y-%m-%d %H:%M})"
