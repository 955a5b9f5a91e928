"""Thematic consultations of a care zone (R20, R22): sessions, findings, joint actions.

A session reproduces the reports in `shared/seeds/`: who took part, counted by sector
(no names: organisations and participants are counts), then findings in the reports'
three sections, then the joint actions, which are followed after the session (an owner
organisation, partners, a due date, a status and progress notes) until the next session
opens with them.

Two languages. A report is written in one language (`ThematicSession.language`); each
text that the report shows exists in Dutch and French columns (`*_nl`, `*_fr`): the
column of the session's language is the original, the other its translation, which may
be missing. A report in the other language shows the original where no translation
exists, marked as such (`text_in`), rather than pretending.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from relais.access.policy import GuardedQuerySet
from relais.accounts.models import OrganisationType
from relais.core.constraints import ConstraintsInPython
from relais.core.fields import LONG_NOTE, NOTE, REASON, bounded_text, text_limits
from relais.core.models import TimeStamped, Versioned
from relais.core.validators import validate_planning_date

REQUIREMENTS = tuple(f"R{number}" for number in range(1, 23))


class ReportLanguage(models.TextChoices):
    NL = "nl", _("Dutch")
    FR = "fr", _("French")


@dataclass(frozen=True)
class Text:
    text: str
    language: str  # the language the text is in (may differ from the one asked for)


def text_in(obj, field: str, language: str | None, original: str) -> Text:
    """`obj.<field>_<language>`; where that is empty (no translation, or a language
    reports are not written in), the text in the report's language, said to be in it."""
    language = (language or "")[:2]
    if language in ReportLanguage.values and getattr(obj, f"{field}_{language}", ""):
        return Text(getattr(obj, f"{field}_{language}"), language)
    for code in (original, *ReportLanguage.values):
        if getattr(obj, f"{field}_{code}", ""):
            return Text(getattr(obj, f"{field}_{code}"), code)
    return Text("", original)


class Section(models.TextChoices):
    """The three sections of the reports, in the order a report prints them."""

    NEEDS = "needs", _("Monitoring of the population's needs")
    OFFER = "offer", _("Findings and adjustments of the offer and cooperation")
    PROSPECTS = "prospects", _("Joint actions and prospects")


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


# Allowed changes of status, declared once (services.set_status refuses any other).
TRANSITIONS = {
    ActionStatus.PROPOSED: {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.DROPPED},
    ActionStatus.IN_PROGRESS: {ActionStatus.DONE, ActionStatus.DROPPED},
    ActionStatus.DONE: {ActionStatus.IN_PROGRESS},
    ActionStatus.DROPPED: {ActionStatus.PROPOSED},
}
OPEN_STATUSES = (ActionStatus.PROPOSED, ActionStatus.IN_PROGRESS)


class ThematicSession(TimeStamped, Versioned):
    care_zone = models.ForeignKey("core.CareZone", verbose_name=_("care zone"),
                                  on_delete=models.PROTECT, related_name="+")
    language = models.CharField(_("language of the report"), max_length=2,
                                choices=ReportLanguage, default=ReportLanguage.NL)
    theme_nl = models.CharField(_("theme (Dutch)"), max_length=200, blank=True)
    theme_fr = models.CharField(_("theme (French)"), max_length=200, blank=True)
    # Case-review theme codes (followup.reviews.Theme): what the preparation pack gathers.
    review_themes = models.JSONField(_("themes of the case reviews"), default=list,
                                     blank=True)
    held_on = models.DateField(_("date"), validators=[validate_planning_date])
    hours = models.CharField(_("hours"), max_length=40, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda_nl = bounded_text(_("agenda (Dutch)"), limit=LONG_NOTE, blank=True)
    agenda_fr = bounded_text(_("agenda (French)"), limit=LONG_NOTE, blank=True)
    expectations_nl = bounded_text(_("participants' expectations (Dutch)"), limit=LONG_NOTE,
                                   blank=True)
    expectations_fr = bounded_text(_("participants' expectations (French)"),
                                   limit=LONG_NOTE, blank=True)
    previous = models.ForeignKey("self", verbose_name=_("previous session"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    next_on = models.DateField(_("next session on"), null=True, blank=True,
                               validators=[validate_planning_date])
    next_hours = models.CharField(_("hours of the next session"), max_length=40, blank=True)
    next_place = models.CharField(_("place of the next session"), max_length=200, blank=True)
    # The next date the zone's organisations were invited to ("save the date"), and whom.
    invited_for = models.DateField(_("invitations sent for"), null=True, blank=True)
    invited_organisations = models.ManyToManyField(
        "accounts.Organisation", verbose_name=_("organisations invited"), blank=True,
        related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("thematic session")
        verbose_name_plural = _("thematic sessions")
        constraints = [
            *text_limits(agenda_nl=LONG_NOTE, agenda_fr=LONG_NOTE,
                         expectations_nl=LONG_NOTE, expectations_fr=LONG_NOTE),
            models.CheckConstraint(condition=~Q(theme_nl="", theme_fr=""),
                                   name="thematic_session_has_theme"),
            models.CheckConstraint(condition=Q(next_on__isnull=True)
                                   | Q(next_on__gt=models.F("held_on")),
                                   name="thematic_next_after_session"),
        ]

    def __str__(self) -> str:
        return f"{self.theme} ({self.held_on:%Y-%m-%d})"

    @property
    def theme(self) -> str:
        """In the reader's language when translated, else as the report has it."""
        return text_in(self, "theme", get_language(), self.language).text


class SectorCount(models.Model):
    """Who took part, as the reports count it: per sector, no names."""

    session = models.ForeignKey(ThematicSession, on_delete=models.CASCADE,
                                related_name="sectors")
    sector = models.CharField(_("sector"), max_length=30, choices=OrganisationType)
    organisations = models.PositiveSmallIntegerField(_("organisations present"), default=0)
    participants = models.PositiveSmallIntegerField(_("participants"), default=0)

    class Meta:
        ordering = ["sector"]
        verbose_name = _("participation by sector")
        verbose_name_plural = _("participation by sector")
        constraints = [models.UniqueConstraint(fields=["session", "sector"],
                                               name="thematic_one_count_per_sector")]

    def __str__(self) -> str:
        return f"{self.sector}: {self.participants}"


class Finding(ConstraintsInPython, models.Model):
    session = models.ForeignKey(ThematicSession, on_delete=models.CASCADE,
                                related_name="findings")
    section = models.CharField(_("section"), max_length=12, choices=Section)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text_nl = bounded_text(_("text (Dutch)"), limit=NOTE, blank=True)
    text_fr = bounded_text(_("text (French)"), limit=NOTE, blank=True)
    indicators = models.JSONField(_("indicators"), default=list, blank=True)
    requirements = models.JSONField(_("requirements"), default=list, blank=True)

    class Meta:
        ordering = ["session", "section", "position", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            *text_limits(text_nl=NOTE, text_fr=NOTE),
            models.CheckConstraint(condition=~Q(text_nl="", text_fr=""),
                                   name="thematic_finding_has_text"),
        ]

    def __str__(self) -> str:
        return (self.text_nl or self.text_fr)[:60]


class JointAction(TimeStamped, Versioned):
    session = models.ForeignKey(ThematicSession, on_delete=models.CASCADE,
                                related_name="actions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title_nl = bounded_text(_("action (Dutch)"), limit=REASON, blank=True)
    title_fr = bounded_text(_("action (French)"), limit=REASON, blank=True)
    owner = models.ForeignKey("accounts.Organisation", verbose_name=_("owner organisation"),
                              null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    partners = models.ManyToManyField("accounts.Organisation", verbose_name=_("partners"),
                                      blank=True, related_name="+")
    due_on = models.DateField(_("due on"), null=True, blank=True,
                              validators=[validate_planning_date])
    status = models.CharField(_("status"), max_length=12, choices=ActionStatus,
                              default=ActionStatus.PROPOSED)
    indicator = models.CharField(_("indicator to watch"), max_length=40, blank=True)
    # The due date for which the owner's managers were told the action is overdue: once.
    overdue_told_for = models.DateField(null=True, blank=True, editable=False)

    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["session", "position", "pk"]
        verbose_name = _("joint action")
        verbose_name_plural = _("joint actions")
        constraints = [
            *text_limits(title_nl=REASON, title_fr=REASON),
            models.CheckConstraint(condition=~Q(title_nl="", title_fr=""),
                                   name="thematic_action_has_title"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="thematic_action_due")]

    def __str__(self) -> str:
        return (self.title_nl or self.title_fr)[:60]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_open and self.due_on and self.due_on < timezone.localdate())


class ProgressNote(ConstraintsInPython, models.Model):
    action = models.ForeignKey(JointAction, on_delete=models.CASCADE, related_name="notes")
    written_at = models.DateTimeField(_("written at"), default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    text = bounded_text(_("progress"), limit=NOTE)
    status = models.CharField(_("status after this note"), max_length=12,
                              choices=ActionStatus, blank=True)

    class Meta:
        ordering = ["written_at", "pk"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        constraints = text_limits(text=NOTE)

    def __str__(self) -> str:
        return f"{self.written_at:%Y-%m-%d} {self.text[:40]}"


def presentation_path(instance, filename: str) -> str:
    # The stored name never reuses what the user typed: no path tricks, no leaks.
    return f"thematic/{instance.session_id}/{uuid.uuid4().hex}"


class Presentation(ConstraintsInPython, models.Model):
    """A presentation shown at the session: a file kept by Relais, or a public address."""

    session = models.ForeignKey(ThematicSession, on_delete=models.CASCADE,
                                related_name="presentations")
    title = models.CharField(_("title"), max_length=200)
    document = models.FileField(_("file"), upload_to=presentation_path, blank=True)
    document_type = models.CharField(max_length=40, blank=True, editable=False)
    document_name = models.CharField(max_length=200, blank=True, editable=False)
    url = models.URLField(_("or its public address"), blank=True)
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("presentation")
        verbose_name_plural = _("presentations")
        constraints = [models.CheckConstraint(
            condition=(Q(document="") & ~Q(url="")) | (~Q(document="") & Q(url="")),
            name="thematic_presentation_file_or_url")]

    def __str__(self) -> str:
        return self.title


class PreparationPack(models.Model):
    """What the support team brings to a session, frozen when generated: the zone's
    figures for the theme and the anonymised case reviews tagged with its themes."""

    session = models.ForeignKey(ThematicSession, on_delete=models.CASCADE,
                                related_name="packs")
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reviews = models.JSONField(default=list)
    figures = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    figures_computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-generated_at", "-pk"]
        get_latest_by = "generated_at"
        verbose_name = _("preparation pack")
        verbose_name_plural = _("preparation packs")

    def __str__(self) -> str:
        return f"pack {self.session_id} {self.generated_at:%Y-%m-%d %H:%M}"
