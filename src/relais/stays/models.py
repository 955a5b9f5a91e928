"""The hospital stay and the way home (R1, R3, R5, R9, R13, R14, R18, R19).

A Stay opens by hand or from an HL7 ADT feed; it carries the discharge plan (checklist
items across five domains), screenings, referrals to directory services, the transfer
note's versions and, at discharge, what follow-up needs.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from relais.access.policy import GuardedQuerySet
from relais.core.fields import LONG_NOTE, NOTE, REASON, bounded_text, text_limits
from relais.core.i18n import localized
from relais.core.models import TimeStamped, Versioned
from relais.core.validators import validate_past_date, validate_planning_date


class Destination(models.TextChoices):
    HOME = "home", pgettext_lazy("discharge destination", "Home")
    HOME_WITH_SERVICES = "home_services", _("Home, with services")
    NURSING_HOME = "nursing_home", _("Nursing home")
    OTHER_HOSPITAL = "other_hospital", _("Another hospital")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class StaySource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    HL7 = "hl7", _("HL7 v2 admission feed")
    FHIR = "fhir", _("FHIR")


class AdmissionType(models.TextChoices):
    """Why the person came in (HL7 table 0007, read from PV1-4 by the ADT feed)."""
    UNKNOWN = "", _("Not known")
    EMERGENCY = "emergency", _("Emergency")
    ELECTIVE = "elective", _("Planned (elective)")
    MATERNITY = "maternity", _("Maternity")
    OTHER = "other", _("Other")


class StayQuerySet(GuardedQuerySet):
    def open(self):
        return self.filter(discharged_at__isnull=True, cancelled_at__isnull=True)



class Stay(TimeStamped, Versioned):
    person = models.ForeignKey("network.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="stays")
    hospital = models.ForeignKey("accounts.Organisation", verbose_name=_("hospital"),
                                 on_delete=models.PROTECT, related_name="stays")
    ward = models.ForeignKey("accounts.Ward", verbose_name=_("ward"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="stays")
    # The hospital's visit number (HL7 PV1-19): how ADT messages find their stay.
    visit_number = models.CharField(_("visit number"), max_length=40, blank=True)
    # The services check these windows too (services.check_dates): the ADT feed and the
    # forms alike.
    admitted_at = models.DateTimeField(_("admitted at"), default=timezone.now,
                                       validators=[validate_planning_date])
    expected_discharge_on = models.DateField(_("expected discharge date"), null=True,
                                             blank=True, validators=[validate_planning_date])
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True,
                                         validators=[validate_planning_date])
    destination = models.CharField(_("destination"), max_length=20, choices=Destination,
                                   blank=True)
    source = models.CharField(_("source"), max_length=10, choices=StaySource,
                              default=StaySource.MANUAL)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    admission_type = models.CharField(_("admission type"), max_length=10,
                                      choices=AdmissionType, blank=True)
    # A readmission: the stay discharged within RELAIS_READMISSION_DAYS before this one
    # (relais.stays.readmissions links it when the stay opens).
    previous_stay = models.ForeignKey("self", verbose_name=_("readmission after"), null=True,
                                      blank=True, on_delete=models.SET_NULL,
                                      related_name="readmissions")
    readmission_planned = models.BooleanField(_("planned readmission"), null=True, blank=True)
    # Discharging with blocking checklist items still open needs a written reason.
    discharge_reason = bounded_text(_("why discharge with open items"), limit=REASON,
                                    blank=True)
    followup_within_days = models.PositiveSmallIntegerField(
        _("first contact at home within (days)"), null=True, blank=True)
    followup_needs = bounded_text(_("what follow-up needs"), limit=NOTE, blank=True)
    # The going-home sheet's own words (R1), written for the person, in plain language.
    watch_for = bounded_text(_("what to watch for, and when to call the GP"), limit=NOTE,
                             blank=True)
    appointments = bounded_text(_("next appointments"), limit=NOTE, blank=True)
    explained_by = models.CharField(_("who explains what"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    objects = StayQuerySet.as_manager()

    class Meta:
        ordering = ["-admitted_at"]
        verbose_name = _("hospital stay")
        verbose_name_plural = _("hospital stays")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "hospital"], name="one_open_stay_per_hospital",
                condition=Q(discharged_at__isnull=True, cancelled_at__isnull=True)),
            models.UniqueConstraint(fields=["hospital", "visit_number"],
                                    name="stay_visit_number", condition=~Q(visit_number="")),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True) | Q(discharged_at__gte=models.F(
                    "admitted_at")), name="stay_discharged_after_admission"),
            *text_limits(discharge_reason=REASON, followup_needs=NOTE, watch_for=NOTE,
                         appointments=NOTE),
        ]
        indexes = [
            models.Index(fields=["hospital", "discharged_at"], name="stay_hospital_open"),
            # Who is in hospital now, newest first (FHIR `Encounter?status=in-progress`, a
            # home-care system's poll): read in order, not sorted at every search.
            models.Index(fields=["-admitted_at", "id"], name="stay_in_progress",
                         condition=Q(discharged_at__isnull=True, cancelled_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.hospital}"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None and self.cancelled_at is None

    @property
    def readmission_after(self):
        """The stay this one readmits after, while neither admission was cancelled (A11)."""
        previous = self.previous_stay if self.previous_stay_id else None
        if previous is None or self.cancelled_at or previous.cancelled_at:
            return None
        return previous

    @property
    def readmission_label(self) -> str:
        """The readmission badge's words (stays/partials/readmission_badge.jinja)."""
        previous = self.readmission_after
        if previous is None:
            return ""
        days = self.days_after_discharge
        return ngettext("Readmission · %(days)s day after discharge from %(hospital)s",
                        "Readmission · %(days)s days after discharge from %(hospital)s",
                        days) % {"days": days, "hospital": previous.hospital.name}

    @property
    def days_after_discharge(self) -> int | None:
        previous = self.readmission_after
        if previous is None:
            return None
        return (timezone.localdate(self.admitted_at)
                - timezone.localdate(previous.discharged_at)).days


class Domain(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    PSYCHOLOGICAL = "psychological", _("Psychological")
    SOCIAL = "social", _("Social")
    PRACTICAL = "practical", _("Practical")
    FAMILY = "family", _("Family and caregivers")


class ItemStatus(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


FINISHED_ITEM_STATUSES = {ItemStatus.DONE, ItemStatus.NOT_APPLICABLE}


class ChecklistTemplate(TimeStamped):
    """An organisation's own discharge checklist; without one, Relais's default applies."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                     related_name="checklist_templates")
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return self.name


class TemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE,
                                 related_name="items")
    domain = models.CharField(_("domain"), max_length=20, choices=Domain)
    text_nl = models.CharField(_("text (Dutch)"), max_length=200)
    text_fr = models.CharField(_("text (French)"), max_length=200)
    text_en = models.CharField(_("text (English)"), max_length=200)
    blocking = models.BooleanField(_("blocks discharge"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text_en


class PlanItem(TimeStamped, Versioned):
    """One line of the discharge checklist, with an owner and a status."""

    stay = models.ForeignKey(Stay, on_delete=models.CASCADE, related_name="plan_items")
    domain = models.CharField(_("domain"), max_length=20, choices=Domain)
    text_nl = models.CharField(_("text (Dutch)"), max_length=200)
    text_fr = models.CharField(_("text (French)"), max_length=200)
    text_en = models.CharField(_("text (English)"), max_length=200)
    blocking = models.BooleanField(_("blocks discharge"), default=True)
    status = models.CharField(_("status"), max_length=20, choices=ItemStatus,
                              default=ItemStatus.TODO)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="plan_items")
    due_on = models.DateField(_("due on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return localized(self, "text")

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_ITEM_STATUSES


class Screening(models.Model):
    """One screening with one instrument: answers, score, flagged domains, what to do.

    Instruments are data (stays/instruments.py), versioned: a screening keeps the version
    it was scored with, so an old result still reads the way it was computed.
    """

    person = models.ForeignKey("network.Person", on_delete=models.PROTECT,
                               related_name="screenings")
    stay = models.ForeignKey(Stay, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="screenings")
    instrument = models.CharField(_("instrument"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    score = models.IntegerField(_("score"), null=True, blank=True)
    band = models.CharField(_("result"), max_length=40, blank=True)
    flagged = models.JSONField(_("flagged domains"), default=list, blank=True)
    recommendations = models.JSONField(_("recommended actions"), default=list, blank=True)
    # A licensed instrument scored elsewhere (BelRAI screener, ISAR…): name and score only.
    external_name = models.CharField(_("instrument name"), max_length=80, blank=True)
    external_score = models.CharField(_("score"), max_length=40, blank=True)
    done_on = models.DateField(_("done on"), default=timezone.localdate,
                               validators=[validate_past_date])
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_on", "-created_at"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"{self.instrument} v{self.version} ({self.done_on})"


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine (answer within 5 days)")
    WITHIN_72H = "72h", _("Answer within 72 hours")
    WITHIN_24H = "24h", _("Answer within 24 hours")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    STARTED = "started", _("Started")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# Declared once: every status change goes through relais.stays.referrals.transition.
TRANSITIONS = {
    ReferralStatus.SENT: {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED,
                          ReferralStatus.CANCELLED},
    ReferralStatus.ACCEPTED: {ReferralStatus.STARTED, ReferralStatus.CANCELLED},
    ReferralStatus.STARTED: {ReferralStatus.COMPLETED, ReferralStatus.CANCELLED},
    ReferralStatus.DECLINED: set(),
    ReferralStatus.COMPLETED: set(),
    ReferralStatus.CANCELLED: set(),
}
OPEN_REFERRAL_STATUSES = [ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.STARTED]


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No capacity now")
    OUTSIDE_AREA = "outside_area", _("Outside our area")
    NOT_ELIGIBLE = "not_eligible", _("The person is not eligible")
    NOT_OUR_HELP = "not_our_help", _("We do not offer this kind of help")
    LANGUAGE = "language", _("We cannot help in the person's language")
    TOO_SOON = "too_soon", _("We cannot start that soon")
    PERSON_REFUSED = "person_refused", _("The person refused")
    INCOMPLETE = "incomplete", _("Information is missing")
    OTHER = "other", _("Other reason")


class ReferralQuerySet(GuardedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_REFERRAL_STATUSES)

    def overdue(self, now=None):
        return self.filter(status=ReferralStatus.SENT, respond_by__lt=now or timezone.now())



class Referral(TimeStamped, Versioned):
    """A closed-loop referral: sent with a needs analysis, answered, started, completed."""

    person = models.ForeignKey("network.Person", on_delete=models.PROTECT,
                               related_name="referrals")
    stay = models.ForeignKey(Stay, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="referrals")
    service = models.ForeignKey("directory.Service", verbose_name=_("service"),
                                on_delete=models.PROTECT, related_name="referrals")
    # The receiving organisation (the service's, at sending time): its inbox's key.
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                     related_name="referrals_received")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="referrals_sent")
    sender_organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                            related_name="referrals_sent")
    # The needs analysis (all required: a referral without one is refused).
    help_needed = bounded_text(_("what help is needed"), limit=NOTE)
    frequency = models.CharField(_("how often"), max_length=200)
    start_on = models.DateField(_("from when"), validators=[validate_planning_date])
    reason = bounded_text(_("why"), limit=NOTE)
    person_wishes = bounded_text(_("what the person wants"), limit=NOTE)
    person_agrees = models.BooleanField(_("the person agrees to this referral"), default=False)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency,
                               default=Urgency.ROUTINE)
    respond_by = models.DateTimeField(_("answer expected by"))
    status = models.CharField(_("status"), max_length=12, choices=ReferralStatus,
                              default=ReferralStatus.SENT)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason"), max_length=20, choices=DeclineReason,
                                      blank=True)
    decline_note = bounded_text(_("explanation"), limit=REASON, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["organisation", "status"], name="referral_inbox"),
            # The inbox's "sent" list: an organisation's latest 50 of all it ever sent.
            models.Index(fields=["sender_organisation", "-updated_at"], name="referral_sent"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="declined") | ~Q(decline_reason=""),
                                   name="declined_referral_has_reason"),
            # One open referral per person and service: two sends at once cannot both land.
            models.UniqueConstraint(fields=["person", "service"],
                                    condition=Q(status__in=OPEN_REFERRAL_STATUSES),
                                    name="one_open_referral_per_service"),
            *text_limits(help_needed=NOTE, reason=NOTE, person_wishes=NOTE,
                         decline_note=REASON),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.service}"

    @property
    def is_overdue(self) -> bool:
        return self.status == ReferralStatus.SENT and self.respond_by < timezone.now()


class ReferralEvent(models.Model):
    """The referral's timeline: each status it went through, by whom, when."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=ReferralStatus)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           related_name="+")
    # The decline note, as the referral keeps it.
    note = bounded_text(limit=REASON, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = text_limits(note=REASON)

    def __str__(self) -> str:
        return f"{self.status} {self.at:%Y-%m-%d %H:%M}"


class TransferNote(models.Model):
    """A version of the transfer note: a snapshot of plan, screening and referrals."""

    stay = models.ForeignKey(Stay, on_delete=models.CASCADE, related_name="transfer_notes")
    number = models.PositiveIntegerField(_("version"))
    sections = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, related_name="+")

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["stay", "number"],
                                               name="transfer_note_version")]

    def __str__(self) -> str:
        return f"{self.stay} v{self.number}"


class AdmissionBrief(TimeStamped, Versioned):
    """"Before admission": what the home network wants the hospital to know (R5, R18)."""

    person = models.OneToOneField("network.Person", on_delete=models.CASCADE,
                                  related_name="admission_brief")
    text = bounded_text(_("what the hospital should know"), limit=LONG_NOTE)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("before-admission summary")
        constraints = text_limits(text=LONG_NOTE)


# --- the HL7 v2 ADT feed -------------------------------------------------------------


class AdtStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    PENDING_MATCH = "pending", _("Waiting for a person match")
    REJECTED = "rejected", _("Rejected")
    IGNORED = "ignored", _("Not used")
    # A merge (A40…) between two records Relais holds apart: a person confirms it.
    PENDING_MERGE = "merge", _("Merge waiting for confirmation")
    # The inbox (issue 16): stored and acknowledged, applied behind in order per patient.
    RECEIVED = "received", _("Received, waiting to be applied")
    # Applying it hit an error Relais did not foresee: it holds its patient's later
    # messages until a person retries it or sets it aside.
    FAILED = "failed", _("Failed: waiting for a retry")
    # Refused with AR while the database was unreachable, written down once it was back:
    # the gap an operator sees until the sender sends the message again.
    UNSTORED = "unstored", _("Not stored: the database was unreachable")


# What the applier still has to do (RECEIVED) or is held by (FAILED); and with the gaps
# (UNSTORED), what the inbox's backlog reports.
ADT_UNFINISHED = (AdtStatus.RECEIVED, AdtStatus.FAILED)
ADT_BACKLOG = (*ADT_UNFINISHED, AdtStatus.UNSTORED)


class AdtSource(models.Model):
    """Which hospital a sending facility (MSH-4) stands for."""

    sending_facility = models.CharField(_("sending facility (MSH-4)"), max_length=180,
                                        unique=True)
    hospital = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                 related_name="adt_sources")

    class Meta:
        verbose_name = _("ADT source")

    def __str__(self) -> str:
        return self.sending_facility


ADT_MESSAGE_LENGTH = 1_048_576  # = interop.mllp.MAX_FRAME_BYTES (tests/relais/interop)


class AdtMessage(models.Model):
    """Every ADT message received, stored before it is acknowledged (nothing is lost)."""

    received_at = models.DateTimeField(default=timezone.now)
    sender = models.CharField(max_length=180, blank=True)
    control_id = models.CharField(max_length=199, blank=True)
    # SHA-256 of the message with its separators normalised: a duplicate is the same
    # sender, control id AND content (senders reuse control ids for other messages).
    content_hash = models.CharField(max_length=64, blank=True)
    event = models.CharField(max_length=10, blank=True)
    # As received: at most the listener's frame (interop.mllp.MAX_FRAME_BYTES), or the
    # first 64 KiB of a larger message; one byte never decodes to more than one character.
    raw = bounded_text(limit=ADT_MESSAGE_LENGTH)
    status = models.CharField(max_length=10, choices=AdtStatus)
    # Written by Relais (the reason and the ACK it sent, with short excerpts of the
    # message), never typed: not bounded on their own.
    problem = models.TextField(blank=True)
    ack = models.TextField(blank=True)
    hospital = models.ForeignKey("accounts.Organisation", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    patient_id = models.CharField(max_length=80, blank=True)
    niss = models.CharField(max_length=11, blank=True)
    stay = models.ForeignKey(Stay, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="adt_messages")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The inbox (relais.interop.adt.inbox): a patient's messages are applied in the order
    # they were stored, one lane per patient ("hospital id:patient id"); a merge also
    # waits for, and holds, the lane of the id it retires (`lane_also`).
    lane = models.CharField(max_length=200, blank=True)
    lane_also = models.CharField(max_length=200, blank=True)
    # The application acknowledgement, written when the message was applied: what it did
    # (AA), or why Relais refused it (AE). Sent in enhanced mode when MSH-16 asks for it.
    result = models.TextField(blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["sender", "control_id", "content_hash"],
                                               condition=~Q(control_id=""),
                                               name="adt_message_once"),
                       *text_limits(raw=ADT_MESSAGE_LENGTH)]
        indexes = [
            models.Index(fields=["hospital", "status"], name="adt_pending"),
            # The applier's next messages, and what waits in a lane: small partial indexes
            # (only the inbox's rows), whatever the number of messages applied.
            models.Index(fields=["id"], condition=Q(status="received"), name="adt_inbox"),
            # Also the backlog's rows (PostgreSQL proves that the applier's "received or
            # failed" falls within them).
            models.Index(fields=["lane", "id"], condition=Q(status__in=ADT_BACKLOG),
                         name="adt_inbox_lane"),
            models.Index(fields=["lane_also", "id"],
                         condition=Q(status__in=ADT_UNFINISHED) & ~Q(lane_also=""),
                         name="adt_inbox_lane_also"),
            # The feeds' health reads the last 24 hours (interop.adt.health): at a million
            # messages, 134 ms through the whole table, 46 ms through this index.
            models.Index(fields=["received_at"], name="adt_received"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.control_id}"


class PatientLink(models.Model):
    """The hospital's own patient id (PID-3) for a person, once matched."""

    hospital = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                 related_name="+")
    patient_id = models.CharField(max_length=80)
    person = models.ForeignKey("network.Person", on_delete=models.CASCADE,
                               related_name="patient_links")
    created_at = models.DateTimeField(auto_now_add=True)
    # Closed by a merge (A40, A34, A47): the hospital now uses `merged_into` for this
    # patient; the link still finds the person for late messages with the old id.
    merged_into = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hospital", "patient_id"],
                                               name="one_person_per_patient_id")]

    def __str__(self) -> str:
        return f"{self.hospital} {self.patient_id}"
