"""Systems that call the FHIR API: an OAuth2 application acting for one organisation."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemClient(models.Model):
    """A hospital's, a GP's or a coordination centre's system (an OAuth2 client with the
    client-credentials grant). It reads through the gate as its organisation's staff do:
    its `account` acts for `organisation` and for nothing else, never signs in (no
    usable password), so never breaks the glass; its reads are audited under that account,
    whose address names the client."""

    application = models.OneToOneField("oauth2_provider.Application",
                                       on_delete=models.CASCADE, related_name="relais_client")
    organisation = models.ForeignKey("accounts.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.PROTECT, related_name="+")
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    scopes = models.CharField(_("allowed scopes"), max_length=500, default="system/*.rs",
                              help_text=_("SMART v2 system scopes, separated by spaces."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["organisation__name", "application__name"]
        verbose_name = _("FHIR system client")
        verbose_name_plural = _("FHIR system clients")

    def __str__(self) -> str:
        return f"{self.application.name} ({self.organisation})"

    @property
    def allowed_scopes(self) -> list[str]:
        return self.scopes.split()
