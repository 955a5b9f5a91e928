"""What the retention policy did (docs/retention.md): one row per anonymised person."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClosedBecause(models.TextChoices):
    DECEASED = "deceased", _("The person died")
    NOTHING_OPEN = "nothing_open", _("Nothing open")


class Anonymisation(models.Model):
    """The person's record was anonymised: kept for the counts, without who they were.

    Its existence is what makes a run idempotent: a person with a row is never taken
    again. The row holds nothing about the person but the reason and the policy applied."""

    person = models.OneToOneField("network.Person", on_delete=models.PROTECT,
                                  related_name="anonymisation")
    anonymised_at = models.DateTimeField(_("anonymised at"))
    retention_years = models.PositiveSmallIntegerField(_("retention period (years)"))
    closed_because = models.CharField(_("closed because"), max_length=20,
                                      choices=ClosedBecause)

    class Meta:
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")

    def __str__(self) -> str:
        return f"#{self.person_id} ({self.anonymised_at:%Y-%m-%d})"
