"""Shared kernel: base models and Brussels geography (DOMAIN.md §3)."""

import copy

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.core import kept
from relais.core.constraints import ConstraintsInPython
from relais.core.i18n import localized


class TimeStamped(ConstraintsInPython, models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionConflict(Exception):
    """Someone else saved this record since the form was opened (answered with HTTP 409)."""


class Versioned(models.Model):
    """Optimistic concurrency: a stale update is refused, never silently overwritten."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save_if_version(self, expected_version: int, update_fields: list[str]) -> None:
        """Save `update_fields` only if the row still has `expected_version`."""
        model = type(self)
        values = {name: getattr(self, name) for name in update_fields}
        if "updated_at" in {f.name for f in model._meta.fields}:
            values["updated_at"] = self.updated_at = timezone.now()
        changed = model.objects.filter(pk=self.pk, version=expected_version).update(
            version=models.F("version") + 1, **values
        )
        if changed != 1:
            raise VersionConflict
        self.version = expected_version + 1


class CareZone(models.Model):
    """A Brussels care zone (bassin d'aide et de soins / zorgzone)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_nl = models.CharField(_("name (Dutch)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)

    class Meta:
        ordering = ["code"]
        verbose_name = _("care zone")
        verbose_name_plural = _("care zones")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class Municipality(models.Model):
    """One of the 19 Brussels municipalities, keyed on its NIS code."""

    nis_code = models.CharField(_("NIS code"), max_length=5, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_nl = models.CharField(_("name (Dutch)"), max_length=80)
    # Empty for a municipality split between zones (Brussels-City): see Postcode.care_zone.
    care_zone = models.ForeignKey(
        CareZone,
        verbose_name=_("care zone"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="municipalities",
    )

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def bilingual_name(self) -> str:
        if self.name_fr == self.name_nl:
            return self.name_fr
        return f"{self.name_fr} / {self.name_nl}"


class Postcode(models.Model):
    """A postcode within a municipality; may override the zone for split municipalities."""

    code = models.CharField(_("postcode"), max_length=4)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="postcodes"
    )
    locality = models.CharField(_("locality"), max_length=80, blank=True)
    care_zone = models.ForeignKey(
        CareZone, verbose_name=_("care zone"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "municipality"], name="unique_postcode")
        ]
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")

    def __str__(self) -> str:
        return f"{self.code} {self.locality or self.municipality.name}"


def configured_postcode_zones() -> dict[str, str]:
    """The RELAIS_POSTCODE_ZONES override, e.g. "1000=centre-west,1020=north"."""
    items = settings.RELAIS_POSTCODE_ZONES.split(",")
    pairs = (item.split("=", 1) for item in items if "=" in item)
    return {code.strip(): zone.strip() for code, zone in pairs}


def care_zone_for(municipality: Municipality | None, postcode: str = "") -> CareZone | None:
    """The care zone of an address: configured override, then postcode, then municipality.

    Brussels-City spans several zones, so the municipality alone is not enough; callers
    that hold a person keep the result overridable.
    """
    if municipality is None:
        return None
    override = configured_postcode_zones().get(postcode)
    if override:
        return CareZone.objects.filter(code=override).first()
    if postcode:
        zone = zoned_postcodes().get((municipality.pk, postcode))
        if zone is not None:
            return copy.copy(zone)  # the caller's own: the kept one stays as read
    return municipality.care_zone


_zoned_postcodes: dict[tuple[int, str], CareZone] | None = None


def zoned_postcodes() -> dict[tuple[int, str], CareZone]:
    """{(municipality id, postcode): its care zone} for the postcodes that name one, read
    once per process: reference data, asked on every person and organisation page.
    Dropped with the kept queries (kept.forget(), which a postcode or care zone saved in
    this process calls: CoreConfig.ready); a release's migrations restart every process."""
    global _zoned_postcodes  # noqa: PLW0603 - a per-process cache of reference data
    found = _zoned_postcodes
    if found is None:
        found = {(p.municipality_id, p.code): p.care_zone for p in Postcode.objects.filter(
            care_zone__isnull=False).select_related("care_zone")}
        _zoned_postcodes = found
    return found


def forget_zoned_postcodes() -> None:
    global _zoned_postcodes  # noqa: PLW0603
    _zoned_postcodes = None


kept.when_forgotten(forget_zoned_postcodes)


def apply_changes(instance, fields: list[str], data: dict) -> tuple[list[str], dict]:
    """Set `data` on `instance`; return the fields that changed and their stored values.

    "Before" is read from the database: a bound ModelForm has already changed `instance`.
    Every service that edits a record with an audit trail goes through this.
    """
    stored = instance._meta.model.objects.get(pk=instance.pk)
    before = {name: getattr(stored, name) for name in fields}
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])
    return [name for name in fields if before[name] != getattr(instance, name)], before


class ClockRun(models.Model):
    """When the worker's clock last started a timed job (`core.clock`): the row two
    workers compare-and-set, so that a job due now is started by one of them."""

    name = models.CharField(max_length=80, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # How many times a worker started it: with several workers, once per period in all.
    starts = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at}"


class Heartbeat(models.Model):
    """A long-running process saying it is alive (`core.heartbeat`): the worker, the ADT
    listener, an ADT applier. `/readyz` and the metrics read how recent the youngest is."""

    kind = models.CharField(max_length=40)
    instance = models.CharField(max_length=120)  # host:pid
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "instance"],
                                               name="core_heartbeat_unique_instance")]

    def __str__(self) -> str:
        return f"{self.kind} {self.instance} at {self.beat_at}"
