"""What the person agreed to share, and emergency openings of a record: the two facts the
gate reads on every check besides the network itself."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from relais.core.fields import REASON, bounded_text, text_limits
from relais.core.validators import validate_past_date


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
    given_on = models.DateField(_("given on"), validators=[validate_past_date])
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
    reason = bounded_text(_("reason"), limit=REASON)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")
        constraints = text_limits(reason=REASON)

    def __str__(self) -> str:
        return f"{self.user} → {self.person_id} ({self.opened_at:%Y-%m-%d %H:%M})"
