"""After discharge (R2, R11, R12, R17, R18): follow-up protocols and their contacts,
refusals and the watch that keeps a situation in view, case reviews, and the calendar
feed of "my work".

A protocol is versioned: editing one makes a new version, and a running follow-up keeps
the version it started with (its steps are read from that version, never the newest).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from relais.access.policy import GuardedQuerySet
from relais.core.fields import LONG_NOTE, NOTE, REASON, bounded_text, text_limits
from relais.core.models import TimeStamped, Versioned


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Home visit")
    VIDEO = "video", _("Video call")
    MESSAGE = "message", _("Message")


class OwnerRole(models.TextChoices):
    """Who owns a contact, found in the person's network when the follow-up starts."""
    RELAY = "relay", _("The professional named at discharge (else the GP, else the "
                       "coordination centre)")
    GP = "gp", _("The GP")
    COORDINATION = "coordination", _("The coordination centre")
    HOME_NURSE = "home_nurse", _("The home nurse")


class ScreeningResult(models.TextChoices):
    ANY = "", _("Any screening result")
    AT_RISK = "at_risk", _("Screened at risk")
    NOT_AT_RISK = "not_at_risk", _("Screened not at risk")


class Protocol(TimeStamped):
    """A version of a follow-up protocol, for a care zone or an organisation (or, with
    neither, the default for everyone)."""

    family = models.SlugField(_("protocol"), max_length=60)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    care_zone = models.ForeignKey("core.CareZone", verbose_name=_("care zone"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", verbose_name=_("organisation"),
                                     null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="followup_protocols")
    # What the protocol applies to (blank: any).
    destination = models.CharField(_("discharge destination"), max_length=20, blank=True)
    priority_group = models.CharField(_("priority group"), max_length=40, blank=True)
    screening_result = models.CharField(_("screening result"), max_length=20, blank=True,
                                        choices=ScreeningResult)
    retired_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["family", "-version"]
        verbose_name = _("follow-up protocol")
        verbose_name_plural = _("follow-up protocols")
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="protocol_version"),
            models.UniqueConstraint(fields=["family"], condition=Q(retired_at__isnull=True),
                                    name="one_current_protocol_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class ProtocolStep(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    day = models.PositiveSmallIntegerField(_("day after discharge"))
    business_days = models.BooleanField(
        _("count working days"), default=False,
        help_text=_("Skip weekends and Belgian public holidays."))
    owner_role = models.CharField(_("owner"), max_length=20, choices=OwnerRole,
                                  default=OwnerRole.RELAY)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    what_to_check = bounded_text(_("what to check"), limit=NOTE, blank=True)
    retry_after_days = models.PositiveSmallIntegerField(
        _("when not reached, try again after (days)"), default=1)
    max_attempts = models.PositiveSmallIntegerField(_("attempts"), default=3)
    escalate_to_coordinators_after_days = models.PositiveSmallIntegerField(
        _("overdue: tell the owner's coordinators after (days)"), default=1)
    escalate_to_care_zone_after_days = models.PositiveSmallIntegerField(
        _("overdue: tell the care-zone team after (days)"), default=3)

    class Meta:
        ordering = ["protocol", "position", "day"]
        verbose_name = _("protocol step")
        verbose_name_plural = _("protocol steps")
        constraints = [*text_limits(what_to_check=NOTE)]

    def __str__(self) -> str:
        return f"{self.protocol}: day {self.day} {self.get_channel_display()}"


class FollowUp(TimeStamped):
    """The follow-up of one discharge, on the version of the protocol it started with."""

    person = models.ForeignKey("network.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="followups")
    stay = models.OneToOneField("stays.Stay", verbose_name=_("hospital stay"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="followup")
    protocol = models.ForeignKey(Protocol, verbose_name=_("protocol"),
                                 on_delete=models.PROTECT, related_name="followups")
    started_on = models.DateField(_("started on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = bounded_text(_("why it was closed"), limit=REASON, blank=True)

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [*text_limits(close_reason=REASON)]

    def __str__(self) -> str:
        return f"{self.person} {self.started_on}"


class ContactStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    REACHED = "reached", _("Reached, all well")
    PROBLEM = "problem", _("Reached, a problem found")
    NOT_REACHED = "not_reached", _("Not reached")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CONTACT = [ContactStatus.PLANNED]


class CancelReason(models.TextChoices):
    """Why a planned contact was cancelled (kept, never deleted: the history shows it)."""
    DISCHARGE_CANCELLED = "discharge_cancelled", _("Discharge cancelled")


class Contact(TimeStamped, Versioned):
    """One planned contact of a follow-up; "not reached" plans the next attempt as a new
    contact (attempt + 1), so each row is one call or visit."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="contacts")
    step = models.ForeignKey(ProtocolStep, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    what_to_check = bounded_text(_("what to check"), limit=NOTE, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True,
                              blank=True, on_delete=models.PROTECT,
                              related_name="followup_contacts")
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("owner's organisation"), null=True,
        blank=True, on_delete=models.PROTECT, related_name="followup_contacts")
    due_on = models.DateField(_("due on"))
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    status = models.CharField(_("outcome"), max_length=12, choices=ContactStatus,
                              default=ContactStatus.PLANNED)
    happened_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    note = bounded_text(_("note"), limit=NOTE, blank=True)
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=20,
                                     choices=CancelReason, blank=True)

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up contact")
        verbose_name_plural = _("follow-up contacts")
        constraints = [*text_limits(what_to_check=NOTE, note=NOTE)]
        indexes = [models.Index(fields=["status", "due_on"], name="contact_due"),
                   models.Index(fields=["owner", "status", "due_on"], name="contact_owner_due")]

    def __str__(self) -> str:
        return f"{self.followup} {self.due_on} {self.status}"


class EscalationLevel(models.IntegerChoices):
    OWNER = 0, _("The owner")
    COORDINATORS = 1, _("The owner's coordinators")
    CARE_ZONE = 2, _("The care-zone team")


class Escalation(models.Model):
    """An overdue contact told to the next level, once: the unique pair is what makes
    two workers side by side send it once."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(choices=EscalationLevel)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "level"],
                                               name="escalate_once_per_level")]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.get_level_display()}"


class Capacity(models.TextChoices):
    YES = "yes", _("Able to decide")
    NO = "no", _("Not able to decide")
    UNCLEAR = "unclear", _("Not clear")


class RefusalReason(models.TextChoices):
    COST = "cost", _("Cost")
    PRIVACY = "privacy", _("Does not want strangers at home")
    MANAGES = "manages", _("Feels they manage alone")
    FAMILY = "family", _("Family will help")
    BAD_EXPERIENCE = "bad_experience", _("A bad experience before")
    DISTRUST = "distrust", _("Distrust of services")
    NOT_NOW = "not_now", _("Not now")
    OTHER = "other", _("Other")


class Refusal(TimeStamped):
    """Help offered and refused (R2, R11): it does not end the story."""

    person = models.ForeignKey("network.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="refusals")
    offered = models.CharField(_("what was offered"), max_length=300)
    service = models.ForeignKey("directory.Service", verbose_name=_("service offered"),
                                null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    referral = models.ForeignKey("stays.Referral", verbose_name=_("referral"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("offered by"),
                                   on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    reason_text = bounded_text(_("reasons, in words"), limit=REASON, blank=True)
    own_words = bounded_text(_("in the person's own words"), limit=NOTE, blank=True)
    capacity = models.CharField(_("able to decide"), max_length=10, choices=Capacity)
    no_watch_reason = bounded_text(_("why no watch"), limit=REASON, blank=True)
    refused_on = models.DateField(_("refused on"))

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["-refused_on", "-pk"]
        verbose_name = _("refusal")
        verbose_name_plural = _("refusals")
        constraints = [*text_limits(reason_text=REASON, own_words=NOTE,
                                    no_watch_reason=REASON)]

    def __str__(self) -> str:
        return f"{self.person}: {self.offered}"


class Rhythm(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")


RHYTHM_DAYS = {Rhythm.WEEKLY: 7, Rhythm.FORTNIGHTLY: 14, Rhythm.MONTHLY: 30}


class Watch(TimeStamped, Versioned):
    """Keep an eye (R2): an owner checks in at a rhythm until the watch ends with a
    reason; signals (a readmission, a booklet alert, a missed contact, a new refusal)
    wake it before its date."""

    person = models.ForeignKey("network.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="watches")
    refusal = models.ForeignKey(Refusal, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="watches")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.PROTECT, related_name="watches")
    owner_organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="watches")
    rhythm = models.CharField(_("rhythm"), max_length=12, choices=Rhythm,
                              default=Rhythm.FORTNIGHTLY)
    next_check_on = models.DateField(_("next check-in"))
    started_on = models.DateField(_("started on"))
    woken_at = models.DateTimeField(_("woken by a signal at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = bounded_text(_("why it ended"), limit=REASON, blank=True)

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["next_check_on"]
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        constraints = [*text_limits(end_reason=REASON)]
        indexes = [models.Index(fields=["owner", "ended_at", "next_check_on"],
                                name="watch_owner_due")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_rhythm_display()})"


class CheckInStatus(models.TextChoices):
    STABLE = "stable", _("Stable")
    WORRIED = "worried", _("Worried")
    DETERIORATING = "deteriorating", _("Deteriorating")


class CheckIn(models.Model):
    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, related_name="check_ins")
    status = models.CharField(_("how it goes"), max_length=15, choices=CheckInStatus)
    note = bounded_text(_("note"), limit=NOTE, blank=True)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                           related_name="+")

    class Meta:
        ordering = ["-at"]
        constraints = [*text_limits(note=NOTE)]

    def __str__(self) -> str:
        return f"{self.watch_id} {self.status}"


class SignalKind(models.TextChoices):
    READMISSION = "readmission", _("Readmitted to hospital")
    BOOKLET_ALERT = "booklet_alert", _("An alert in the booklet")
    MISSED_CONTACT = "missed_contact", _("A follow-up contact missed")
    NEW_REFUSAL = "new_refusal", _("A new refusal")


class WatchSignal(models.Model):
    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=20, choices=SignalKind)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.watch_id} {self.kind}"


class ReviewKind(models.TextChoices):
    WENT_WRONG = "went_wrong", _("A case that went wrong")
    REFUSAL = "refusal", _("A refusal of help")


class CaseReview(TimeStamped):
    """A team's reflection on a case (R12), anonymised when written: no person, no name,
    no national number, the month only, the care zone only. Nothing links it back."""

    kind = models.CharField(_("about"), max_length=12, choices=ReviewKind)
    care_zone = models.ForeignKey("core.CareZone", verbose_name=_("care zone"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", verbose_name=_("team"),
                                     on_delete=models.PROTECT, related_name="case_reviews")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    themes = models.JSONField(_("themes"), default=list, blank=True)
    situation = bounded_text(_("the situation"), limit=LONG_NOTE)
    tried = bounded_text(_("what was tried"), limit=LONG_NOTE, blank=True)
    blocked = bounded_text(_("what blocked"), limit=LONG_NOTE, blank=True)
    lessons = bounded_text(_("lessons"), limit=LONG_NOTE, blank=True)
    proposals = bounded_text(_("proposals for the offer"), limit=LONG_NOTE, blank=True)
    discussed_on = models.DateField(_("discussed in a team session on"), null=True,
                                    blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "-pk"]
        verbose_name = _("case review")
        verbose_name_plural = _("case reviews")
        constraints = [
            *text_limits(situation=LONG_NOTE, tried=LONG_NOTE, blocked=LONG_NOTE,
                         lessons=LONG_NOTE, proposals=LONG_NOTE),
            models.CheckConstraint(condition=Q(month__day=1), name="review_month_only"),
        ]


class CalendarFeed(models.Model):
    """A personal iCalendar feed of due contacts (no names, no health details), behind a
    secret only its hash of which is kept; revoking makes a new secret necessary."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="calendar_feed")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar of {self.user_id}"
