"""The observatory's store (R17, R20, R22): aggregate figures, never a person.

A `Figure` is one cell of the zone's picture: an indicator, a place (the whole of
Brussels, a care zone, or one municipality within a zone), a period (a month, a quarter
or a year) and optionally one value of one breakdown (a service category, a reason, a
priority group, a score band, a hospital). It holds the true count (or a value such as a
median with the count it was computed over) and its `mark` under the run's default
publication options; the read API (`observatory.figures`) applies the marks and the
rounding, and computes other marks when a page asks for another threshold.

No row carries a person, a stay, a referral or any other identifier: the computation
(`observatory.compute`) reads person data in set-based queries and writes only these
counts. A `Computation` is one run; pages read the figures of the newest finished run, so
a run that fails half-way is never seen.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class ComputationStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Computation(models.Model):
    """One run of the computation (nightly by the worker's clock, or on demand)."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ComputationStatus,
                              default=ComputationStatus.RUNNING)
    since = models.DateField(_("recomputed from"), null=True, blank=True)
    zone = models.CharField(_("care zone recomputed"), max_length=20, blank=True)
    rows = models.PositiveIntegerField(_("figures"), default=0)
    # The publication options the figures' marks were computed with (the defaults then).
    threshold = models.PositiveSmallIntegerField(_("threshold"), default=10)
    rounding = models.PositiveSmallIntegerField(_("rounding"), default=5)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("computation")
        verbose_name_plural = _("computations")
        indexes = [models.Index(fields=["status", "-finished_at"], name="obs_run_done")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"


REGION = ""  # Figure.zone for the whole of Brussels
WHOLE = ""  # Figure.municipality for a whole zone
UNKNOWN = "unknown"  # Figure.municipality for residents whose municipality is not known


class Figure(models.Model):
    """One aggregate cell; see the module docstring. No identifier, ever."""

    computation = models.ForeignKey(Computation, on_delete=models.CASCADE,
                                    related_name="figures")
    indicator = models.CharField(_("indicator"), max_length=40)
    zone = models.CharField(_("care zone"), max_length=20, blank=True)  # "" = Brussels
    # "" = the whole zone; a NIS code; "unknown" = residents without a known municipality.
    municipality = models.CharField(_("municipality"), max_length=10, blank=True)
    period = models.CharField(_("period"), max_length=8, choices=PeriodKind)
    period_start = models.DateField(_("period start"))
    dimension = models.CharField(_("breakdown"), max_length=30, blank=True)  # "" = none
    key = models.CharField(_("value of the breakdown"), max_length=60, blank=True)
    count = models.BigIntegerField(_("count"))
    # A derived value (a median, a percentile, a mean) computed over `count` items.
    value = models.FloatField(_("value"), null=True, blank=True)
    # suppression.Mark under the run's options: shown, small ("<10") or hidden ("–").
    mark = models.CharField(_("publication"), max_length=8, default="shown")

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(
                fields=["computation", "indicator", "zone", "municipality", "period",
                        "period_start", "dimension", "key"],
                name="obs_figure_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.zone}/{self.municipality} {self.period_start}"


class LinkKind(models.TextChoices):
    """What two organisations did together (the cooperation map, R8, R21)."""

    NETWORK = "network", _("Shared care networks")  # persons, a pair without direction
    REFERRAL_SENT = "referral_sent", _("Referrals sent")  # sender → receiving organisation
    REFERRAL_ACCEPTED = "referral_accepted", _("Referrals accepted")
    CONSULTATION = "consultation", _("Consultations answered")  # asking → answering


class Link(models.Model):
    """One edge of a zone's cooperation map for one year: how many persons two
    organisations share in their care networks, or how many referrals or consultations
    went from one to the other, among the zone's residents. Organisations are public;
    no person, referral or consultation is named. `mark` as for a `Figure`."""

    computation = models.ForeignKey(Computation, on_delete=models.CASCADE,
                                    related_name="links")
    zone = models.CharField(_("care zone"), max_length=20, blank=True)  # "" = Brussels
    year = models.DateField(_("year"))  # its first day
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind)
    # From → to for referrals and consultations; the lower id first for networks.
    organisation_a = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                       related_name="+")
    organisation_b = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                       related_name="+")
    count = models.BigIntegerField(_("count"))
    mark = models.CharField(_("publication"), max_length=8, default="shown")

    class Meta:
        verbose_name = _("cooperation link")
        verbose_name_plural = _("cooperation links")
        constraints = [
            models.UniqueConstraint(
                fields=["computation", "zone", "year", "kind", "organisation_a",
                        "organisation_b"], name="obs_link_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.zone} {self.year:%Y}"
