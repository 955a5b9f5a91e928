"""In-app notifications, email preferences and the emails themselves.

A notification stores the event, not the sentence: its kind, person, target (type and id)
and the few parameters its sentence needs beyond them. The sentence and the link are
written when it is read, in the reader's language (`kinds.py`), and it is shown only
while the gate still shows its person and its target to the recipient (`rules.py`): an
exclusion or a withdrawn consent hides what was already delivered. Rows are kept.

No health detail is ever put in an email (R6, issue 6): an email says only that there is
something new, with a link to the inbox. Each email to send is a row (`EmailDelivery`),
so a failed send is retried and visible, never silently dropped.
"""

from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from relais.access import policy
from relais.core.fields import NOTE, bounded_text, text_limits
from relais.notifications import kinds
from relais.notifications.kinds import GROUP_CHOICES, EmailMode

DIGEST_KIND = "digest"
MISSING = "…"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The user's own notifications whose person and target they may still see."""
        return policy.visible(user, self)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    person = models.ForeignKey("network.Person", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    # The object the news is about, by its label ("stays.stay") and id; blank for none.
    target_type = models.CharField(_("about"), max_length=60, blank=True)
    target_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)
    # Only what the sentence needs beyond the person and the target, as it was then
    # (the hospital's name, who answered, a deadline).
    params = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Waiting for the recipient's next daily digest (their choice for this kind).
    in_digest = models.BooleanField(_("in the next digest"), default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
            models.Index(fields=["recipient", "-created_at", "-id"],
                         name="notification_newest"),
            models.Index(fields=["recipient"], condition=Q(in_digest=True),
                         name="notification_digest_due"),
            # "Was anyone told about this object already?" (the watch reminders, once per
            # due date) without reading every notification of the kind.
            models.Index(fields=["target_type", "target_id"], name="notification_about"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"

    @property
    def sentence(self) -> str:
        """What happened, in the active language (select_related("person") first)."""
        kind = kinds.get(self.kind)
        if kind is None:
            return gettext("Something new about a person you follow.")
        values = _Values(self.params or {})
        values["person"] = self.person.full_name if self.person_id else MISSING
        for name in kind.dates:
            values[name] = _when(values.get(name))
        return kind.sentence % values

    @property
    def kind_label(self) -> str:
        """What kind of news it is, in a few words and the active language, without the
        sentence's names and details (the person's copy of their data, `rules.py`)."""
        kind = kinds.get(self.kind)
        return str(kind.label) if kind is not None else gettext("Other news")

    @property
    def link(self) -> str:
        kind = kinds.get(self.kind)
        if kind is None or not kind.url_name:
            return ""
        if kind.url_id in (kinds.TARGET, kinds.PERSON):
            pk = self.target_id if kind.url_id == kinds.TARGET else self.person_id
        else:  # news about nobody names its page by a parameter (a session's id)
            pk = (self.params or {}).get(kind.url_id)
        if pk is None:
            return ""
        url = reverse(kind.url_name, args=[pk])
        return url + ("#" + kind.fragment.format(target_id=self.target_id)
                      if kind.fragment else "")


class _Values(dict):
    """A parameter the row lacks (an old row whose text could not be read) shows as "…"
    rather than breaking the inbox."""

    def __missing__(self, key):
        return MISSING


def _when(value) -> str:
    """An ISO date-time parameter in the reader's format and time zone."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return MISSING
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


class NotificationPreference(models.Model):
    """How a user wants to be emailed about one group of kinds; no row means immediately."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    group = models.CharField(_("notifications about"), max_length=20, choices=GROUP_CHOICES)
    mode = models.CharField(_("email"), max_length=10, choices=EmailMode,
                            default=EmailMode.IMMEDIATE)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "group"],
                                               name="one_preference_per_group")]

    def __str__(self) -> str:
        return f"{self.user}: {self.group} → {self.mode}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# Still to be sent: queued, or failed with attempts left.
PENDING_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)


class EmailDeliveryQuerySet(models.QuerySet):
    def needing_attention(self, *, stalled_after):
        """Failed sends, and queued ones still not sent `stalled_after` (a timedelta) after
        they were due: the worker is down, or stopped in the middle of a send."""
        since = timezone.now() - stalled_after
        return self.filter(Q(status=DeliveryStatus.FAILED)
                           | Q(status=DeliveryStatus.QUEUED, next_attempt_at__lt=since))


class EmailDelivery(models.Model):
    """One email to send: what the worker tried, when, and what went wrong."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="email_deliveries")
    kind = models.CharField(_("about"), max_length=40,
                            help_text=_("The notification's kind, or “digest”."))
    # The notification an immediate email is about: the worker checks that its recipient
    # may still see it before sending. Empty for a digest.
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    items = models.PositiveIntegerField(_("new items"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus,
                              default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Written by the worker, cut to fit (emails.ERROR_LENGTH): a server says what it likes.
    last_error = bounded_text(_("last error"), limit=NOTE, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    # When the next attempt is due; empty once sent, cancelled, or given up.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = EmailDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="email_delivery_due")]
        constraints = text_limits(last_error=NOTE)

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.status})"

    @property
    def is_digest(self) -> bool:
        return self.kind == DIGEST_KIND

    @property
    def gave_up(self) -> bool:
        return self.status == DeliveryStatus.FAILED and self.next_attempt_at is None
