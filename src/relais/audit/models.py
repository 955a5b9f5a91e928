"""The audit log: append-only, sealed in Merkle batches (DESIGN.md access rule 5).

This app knows no feature and no access rule: every layer above writes to it, and the
gate (`relais.access`) decides who reads it. How the log stays tamper-evident without a
global lock: docs/audit.md.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from relais.core.fields import REASON, bounded_text, text_limits

GENESIS_HASH = "0" * 64
LEAF_PREFIX = b"\x00"  # RFC 9162 2.1.1: a leaf's hash is SHA-256(0x00 || entry)


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


class AppendOnly(models.Model):
    """A row written once: saving it again or deleting it raises (the PostgreSQL triggers
    say the same to anything that bypasses the ORM)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name_plural} cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name_plural} cannot be deleted")


class AuditEvent(AppendOnly):
    """One thing that happened: who, acting for which organisation, what, on what, why."""

    # Events are ordered by `id` (the table's identity sequence: concurrent writers take
    # values without waiting for each other). `seq`, `prev_hash` and the chain they form
    # belong to the events written before the log was sealed in batches (docs/audit.md).
    # On PostgreSQL the table is partitioned by month of `occurred_at` (migration 0004,
    # `audit.partitions`): its primary key there is (id, occurred_at) and `seq` has a
    # plain index, as a partitioned table's unique keys must hold the partition key.
    # Django's state keeps `id` as the key (one sequence gives it, the append-only
    # trigger forbids changing it, `audit verify` names a second row with an id): a
    # migration that altered `id` or `seq` would have to be written by hand for it.
    # Nothing may hold a foreign key to an event (it would need both columns).
    seq = models.BigIntegerField(_("sequence"), unique=True, null=True, editable=False)
    occurred_at = models.DateTimeField(_("time (UTC)"), db_index=True)
    # No foreign-key constraints in the database for the actor and the organisation: the
    # check locks the user's and the organisation's rows (FOR KEY SHARE) at every append,
    # and every professional of a hospital appends under the same organisation (docs/
    # audit.md, "Appending"). PROTECT still keeps them from being deleted through Django;
    # nothing else deletes users or organisations.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor as shown then"), max_length=254, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("acting organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(_("action"), max_length=60)
    target_type = models.CharField(_("target type"), max_length=60, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    person_id = models.BigIntegerField(_("person"), null=True, blank=True, db_index=True)
    # The reason given to break the glass (the form holds it to the same limit).
    purpose = bounded_text(_("purpose or reason"), limit=REASON, blank=True)
    break_glass = models.BooleanField(_("break the glass"), default=False)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    # The leaf hash of the content, written with the event; the sealer seals this value.
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            # One index for `action = ...` and `action LIKE 'prefix%'` (the log's search)
            # where Django's db_index made two on PostgreSQL: one fewer to write per event.
            models.Index(fields=["action"], name="audit_action",
                         opclasses=["varchar_pattern_ops"]),
        ]
        constraints = text_limits(purpose=REASON)
        # The table keeps the name it had when the log lived in `access`: its PostgreSQL
        # append-only trigger is attached to it.
        db_table = "access_auditevent"

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.outcome}"

    @property
    def is_chained(self) -> bool:
        """Written before batches, in the hash chain (its `prev_hash` names its predecessor)."""
        return bool(self.prev_hash)

    def compute_hash(self) -> str:
        """The chained events' hash: SHA-256 of the previous hash and this event's content."""
        return hashlib.sha256(self.canonical_content()).hexdigest()

    def leaf_hash(self) -> str:
        """RFC 9162 leaf hash of the content (not of the position: the tree gives that)."""
        return hashlib.sha256(LEAF_PREFIX + self.canonical_content()).hexdigest()

    def canonical_content(self) -> bytes:
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
        return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


class AuditBatch(AppendOnly):
    """A seal over the events with ids `first_id`–`last_id` (less `gaps`, plus `late`):
    their leaf hashes, in id order, the Merkle root over them (RFC 9162) and a head that
    chains this batch to the one before. Append-only, like the events."""

    number = models.PositiveBigIntegerField(_("batch"), unique=True)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField(db_index=True)  # first_id - 1 when only `late`
    # Runs [a, b] of ids in the range that held no committed event when sealed (a
    # rolled-back transaction, or one still open: then sealed later, in `late`).
    gaps = models.JSONField(default=list, blank=True)
    late = models.JSONField(default=list, blank=True)  # earlier gaps committed since
    count = models.PositiveIntegerField()
    leaves = models.BinaryField()  # 32 bytes per event, in id order (late ones first)
    root = models.CharField(max_length=64)
    prev_head = models.CharField(max_length=64)
    head = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField(_("sealed at"))

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("audit batch")
        verbose_name_plural = _("audit batches")

    def __str__(self) -> str:
        return f"batch #{self.number} (events {self.first_id}–{self.last_id})"

    def leaf_list(self) -> list[bytes]:
        data = bytes(self.leaves)
        return [data[i:i + 32] for i in range(0, len(data), 32)]

    def compute_head(self) -> str:
        """SHA-256 over everything the batch states, and the head before it."""
        content = {
            "number": self.number, "first": self.first_id, "last": self.last_id,
            "gaps": self.gaps, "late": self.late, "count": self.count, "root": self.root,
            "prev": self.prev_head,
            "at": self.sealed_at.isoformat(timespec="microseconds"),
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
