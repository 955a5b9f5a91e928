"""The communication booklet, the emergency sheet (yellow box) and asynchronous
consultations (R6, R7, R10, R14, R15).

The booklet is append-only: an entry is never changed or deleted; a correction is a new
entry that supersedes the old one, and both stay in the history.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.access.policy import GuardedQuerySet
from relais.core.fields import LONG_NOTE, NOTE, TEXT, bounded_text, text_limits
from relais.core.text import fold
from relais.core.validators import validate_past_date


class AppendOnlyEntry(Exception):
    """A booklet entry cannot be changed or deleted; write a correction instead."""


class EntryKind(models.TextChoices):
    NOTE = "note", _("Note")
    OBSERVATION = "observation", _("Observation")
    ALERT = "alert", _("Alert")
    HANDOVER = "handover", _("Handover")
    QUESTION = "question", _("Question")
    ANSWER = "answer", _("Answer")


# What informal caregivers and the person may write (R15); professionals write any kind.
PORTAL_KINDS = [EntryKind.NOTE, EntryKind.QUESTION, EntryKind.ANSWER]


class Audience(models.TextChoices):
    NETWORK = "network", _("Everyone in the care network")
    HEALTH = "health", _("Health professionals only")
    NAMED = "named", _("Named members only")
    SAFEGUARDING = "safeguarding", _("The safeguarding circle only")


class EntryQuerySet(GuardedQuerySet):

    def update(self, **kwargs):
        raise AppendOnlyEntry

    def delete(self):
        raise AppendOnlyEntry


def attachment_path(instance, filename: str) -> str:
    return f"booklet/{uuid.uuid4().hex}"


class Entry(models.Model):
    # No index of its own: each of the indexes below starts with the person. With one on
    # the person alone, PostgreSQL's generic plan for a page of the booklet (kept, so
    # prepared) estimated two entries a person, read all 10,000 of a long booklet through
    # it and sorted them: 5.4 ms, not 0.1 (bench/booklet.py).
    person = models.ForeignKey("network.Person", on_delete=models.PROTECT,
                               related_name="booklet_entries", db_index=False)
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind, default=EntryKind.NOTE)
    audience = models.CharField(_("who may read it"), max_length=12, choices=Audience,
                                default=Audience.NETWORK)
    named_members = models.ManyToManyField("network.NetworkMember", blank=True,
                                           related_name="+", verbose_name=_("named members"))
    body = bounded_text(_("text"), limit=TEXT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="booklet_entries")
    author_organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                            null=True, blank=True, related_name="+")
    # Shown as "who wrote": the author's name, role in the network and organisation.
    author_label = models.CharField(max_length=300, blank=True)
    supersedes = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="superseded_by")
    reply_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="answers")
    attachment = models.FileField(upload_to=attachment_path, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    # Derived from the body (folded), never typed: bounded by the body, not on its own
    # (folding may lengthen a text: "ﬁ" becomes "fi").
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=False)
    # The identifier a system gave the entry it sent (FHIR Communication.identifier,
    # system|value), unique per author (a system client has an account of its own): its
    # retried POST finds the entry instead of writing it twice.
    identifier_system = models.CharField(max_length=255, blank=True, default="")
    identifier_value = models.CharField(max_length=200, blank=True, default="")

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("booklet entry")
        verbose_name_plural = _("booklet entries")
        indexes = [
            # The booklet newest first. Its columns hold what the audience rules read, so
            # the first page's "more than 1,000 entries" is counted from the index alone
            # (an index-only scan), not from 1,000 rows of the table: 1.0 of the 2.3 ms a
            # booklet of 10,000 entries took beyond one of 10 (docs/bench.md, stop 47).
            models.Index(fields=["person", "-created_at", "-id"], include=["audience", "author"],
                         name="booklet_person_time"),
            # A kind's entries newest first (the filter "alerts only", the alerts to
            # acknowledge): read in order and stopped, not all read and sorted.
            models.Index(fields=["person", "kind", "-created_at", "-id"],
                         name="booklet_person_kind_time"),
            # The booklet's authors, one index probe each (booklet.views._authors).
            models.Index(fields=["person", "author"], name="booklet_person_author"),
            # My work's alerts: the last month's of the persons a user may read, found
            # without reading their older alerts (bench/person_page_scale.py).
            models.Index(fields=["person", "-created_at"], condition=models.Q(kind="alert"),
                         name="booklet_person_alerts"),
        ]
        constraints = [
            *text_limits(body=TEXT),
            models.UniqueConstraint(fields=["author", "identifier_system", "identifier_value"],
                                    condition=~models.Q(identifier_value=""),
                                    name="booklet_entry_identifier"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise AppendOnlyEntry
        self.search_text = fold(self.body)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyEntry

    @property
    def needs_acknowledgement(self) -> bool:
        return self.kind == EntryKind.ALERT


class ReadReceipt(models.Model):
    """"Seen by the home nurse at 10:42"; for an alert, also when it was acknowledged."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    read_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "user"], name="one_receipt")]
        indexes = [models.Index(fields=["user", "entry"], name="receipt_user_entry")]

    def __str__(self) -> str:
        return f"{self.user} {self.read_at:%Y-%m-%d %H:%M}"


# --- the emergency sheet (the yellow box) ------------------------------------------------


class EmergencySheet(models.Model):
    """One version of what the person keeps for emergency services (R6); every version is
    kept. Contacts (GP, contact point, trusted person) are read live from the network,
    so the sheet is always current; a snapshot of them is kept with each version."""

    person = models.ForeignKey("network.Person", on_delete=models.CASCADE,
                               related_name="emergency_sheets")
    number = models.PositiveIntegerField(_("version"))
    conditions = bounded_text(_("key conditions"), limit=NOTE, blank=True)
    allergies = bounded_text(_("allergies"), limit=NOTE, blank=True)
    medication = bounded_text(_("current medication"), limit=LONG_NOTE, blank=True,
                              help_text=_("One medicine per line: name, dose, when."))
    medication_updated_on = models.DateField(_("medication list of"), null=True, blank=True,
                                             validators=[validate_past_date])
    medication_author = models.CharField(_("medication list by"), max_length=200, blank=True)
    care_planning = bounded_text(_("advance care planning statements"), limit=NOTE,
                                 blank=True,
                                 help_text=_("Which statements exist (e.g. DNR code, "
                                             "euthanasia declaration, negative "
                                             "declaration of will)."))
    care_planning_location = models.CharField(_("where the documents are"), max_length=300,
                                              blank=True)
    photo = models.FileField(upload_to=attachment_path, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)
    contacts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["person", "number"],
                                               name="emergency_sheet_version"),
                       *text_limits(conditions=NOTE, allergies=NOTE, medication=LONG_NOTE,
                                    care_planning=NOTE)]

    def __str__(self) -> str:
        return f"{self.person} v{self.number}"


class SheetPrint(models.Model):
    """A printed sheet at the home: when medication or contacts change after it, the
    contact point is told it is outdated."""

    person = models.ForeignKey("network.Person", on_delete=models.CASCADE,
                               related_name="+")
    sheet = models.ForeignKey(EmergencySheet, on_delete=models.CASCADE, related_name="prints")
    contacts = models.JSONField(default=dict)
    printed_at = models.DateTimeField(default=timezone.now)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    outdated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.sheet} printed {self.printed_at:%Y-%m-%d}"


# --- asynchronous consultations (R10) ----------------------------------------------------


class Consultation(models.Model):
    person = models.ForeignKey("network.Person", on_delete=models.PROTECT,
                               related_name="consultations")
    question = bounded_text(_("question"), limit=NOTE)
    choices = models.JSONField(_("answer choices"), default=list, blank=True)
    deadline = models.DateTimeField(_("answer by"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    decision = bounded_text(_("decision"), limit=LONG_NOTE, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_entry = models.OneToOneField(Entry, on_delete=models.PROTECT, null=True,
                                          blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = text_limits(question=NOTE, decision=LONG_NOTE)

    def __str__(self) -> str:
        return self.question[:60]

    @property
    def is_open(self) -> bool:
        return self.decided_at is None and self.deadline > timezone.now()


class Invitation(models.Model):
    """A network member asked to answer; the link carries a token whose hash is stored."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="invitations")
    member = models.ForeignKey("network.NetworkMember", on_delete=models.PROTECT,
                               related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    choice = models.CharField(_("answer"), max_length=200, blank=True)
    answer = bounded_text(_("your answer"), limit=LONG_NOTE, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_as = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "member"],
                                               name="one_invitation_per_member"),
                       *text_limits(answer=LONG_NOTE)]
        indexes = [models.Index(fields=["user", "answered_at"], name="invitation_todo")]

    def __str__(self) -> str:
        return f"{self.consultation} → {self.member}"

