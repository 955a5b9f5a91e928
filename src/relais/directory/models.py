"""The directory (social map): who does what, where, in which language, how fast (R8, R13,
R16, R21). Field names follow Open Referral HSDS 3 where one exists, for import/export."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from relais.access.policy import GuardedQuerySet
from relais.core.fields import LONG_NOTE, NOTE, bounded_text, text_limits
from relais.core.i18n import localized
from relais.core.models import CareZone, Municipality, TimeStamped, Versioned
from relais.core.validators import validate_end_date, validate_past_date, validate_planning_date

STALE_AFTER_DAYS = 183  # "not verified for 6 months" (issue 4)


class Category(models.TextChoices):
    HOME_NURSING = "home_nursing", _("Home nursing")
    HOME_HELP = "home_help", _("Home help")
    MEALS = "meals", _("Meals at home")
    HOME_CARE_COORDINATION = "home_care_coordination", _("Coordination of home care")
    CASE_MANAGEMENT = "case_management", _("Case management")
    GP = "gp", _("General practitioner")
    PHARMACY = "pharmacy", _("Pharmacy")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy")
    SOCIAL_SERVICE = "social_service", _("Social service (OCMW/CPAS)")
    SOCIAL_HOUSING = "social_housing", _("Social housing")
    EMERGENCY_HOUSING = "emergency_housing", _("Emergency housing")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic-violence support")
    RESPITE = "respite", _("Respite and day care")
    PALLIATIVE = "palliative", _("Palliative support")
    TRANSPORT = "transport", _("Transport")
    MEDICAL_EQUIPMENT = "medical_equipment", _("Medical equipment")
    CAREGIVER_SUPPORT = "caregiver_support", _("Support for informal caregivers")


# Words people type for each category, in Dutch, French and English; searched like the
# service's own text so that "thuisverpleging" finds every home-nursing service.
CATEGORY_WORDS = {
    Category.HOME_NURSING: "thuisverpleging thuisverpleegkundige verpleging soins infirmiers "
                           "a domicile infirmier infirmiere home nursing nurse",
    Category.HOME_HELP: "gezinszorg thuishulp poetshulp aide familiale aide a domicile aide "
                        "menagere home help cleaning",
    Category.MEALS: "maaltijden warme maaltijd repas a domicile meals on wheels",
    Category.HOME_CARE_COORDINATION: "coordinatie thuiszorg coordination soins domicile "
                                     "home care coordination",
    Category.CASE_MANAGEMENT: "casemanagement case management zorgregie",
    Category.GP: "huisarts dokter medecin generaliste docteur general practitioner doctor",
    Category.PHARMACY: "apotheek apotheker pharmacie pharmacien pharmacy medication",
    Category.PHYSIOTHERAPY: "kinesitherapie kinesist kine kinesitherapeute physiotherapy",
    Category.SOCIAL_SERVICE: "ocmw cpas sociale dienst service social maatschappelijk werker "
                             "assistant social social worker leefloon",
    Category.SOCIAL_HOUSING: "sociale huisvesting woning logement social housing",
    Category.EMERGENCY_HOUSING: "noodopvang noodwoning dakloos hebergement d urgence sans abri "
                                "emergency shelter homeless",
    Category.MENTAL_HEALTH: "geestelijke gezondheid psycholoog psychiatrie sante mentale "
                            "psychologue mental health",
    Category.DOMESTIC_VIOLENCE: "intrafamiliaal geweld partnergeweld vluchthuis violences "
                                "conjugales refuge domestic violence",
    Category.RESPITE: "respijt dagverzorging dagcentrum accueil de jour repit centre de jour "
                      "respite day care",
    Category.PALLIATIVE: "palliatief palliatieve zorg soins palliatifs palliative",
    Category.TRANSPORT: "vervoer transport taxi mobiliteit",
    Category.MEDICAL_EQUIPMENT: "hulpmiddelen materiaal ziekenhuisbed rolstoel materiel medical "
                                "lit medicalise chaise roulante medical equipment",
    Category.CAREGIVER_SUPPORT: "mantelzorg mantelzorger aidant proche aidants caregiver "
                                "support",
}


class UrgentStart(models.TextChoices):
    NONE = "", _("No urgent start")
    WITHIN_72H = "72h", _("Can start within 72 hours")
    WITHIN_24H = "24h", _("Can start within 24 hours")


class Capacity(models.TextChoices):
    ACCEPTING = "accepting", _("Accepting new people")
    WAITING_LIST = "waiting_list", _("Waiting list")
    FULL = "full", _("Full")


class ServiceStatus(models.TextChoices):
    """HSDS service.status values."""

    ACTIVE = "active", _("Active")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Closed for good")


class ServiceQuerySet(GuardedQuerySet):
    def active(self):
        return self.filter(status=ServiceStatus.ACTIVE)

    def serving(self, municipality):
        """Services whose area includes this municipality (directly or by its care zone).

        EXISTS rather than joins: no duplicate rows, so no DISTINCT over the whole result.
        """
        places = Service.municipalities.through.objects.filter(
            service=OuterRef("pk"), municipality=municipality)
        condition = Q(serves_all_brussels=True) | Exists(places)
        if municipality.care_zone_id:
            zones = Service.care_zones.through.objects.filter(
                service=OuterRef("pk"), carezone=municipality.care_zone_id)
            condition |= Exists(zones)
        return self.filter(condition)

    def serving_zone(self, zone):
        """Services serving the zone, or one of its municipalities."""
        zones = Service.care_zones.through.objects.filter(service=OuterRef("pk"), carezone=zone)
        places = Service.municipalities.through.objects.filter(
            service=OuterRef("pk"), municipality__care_zone=zone)
        return self.filter(Q(serves_all_brussels=True) | Exists(zones) | Exists(places))



class Service(TimeStamped, Versioned):
    hsds_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.CASCADE, related_name="services")
    category = models.CharField(_("category"), max_length=30, choices=Category)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_nl = bounded_text(_("description (Dutch)"), limit=LONG_NOTE, blank=True)
    description_fr = bounded_text(_("description (French)"), limit=LONG_NOTE, blank=True)
    description_en = bounded_text(_("description (English)"), limit=LONG_NOTE, blank=True)
    how_to_refer_nl = bounded_text(_("how to refer (Dutch)"), limit=NOTE, blank=True)
    how_to_refer_fr = bounded_text(_("how to refer (French)"), limit=NOTE, blank=True)
    how_to_refer_en = bounded_text(_("how to refer (English)"), limit=NOTE, blank=True)
    # Space-separated ISO 639-1 codes with a space on each side (" nl fr "), so that one
    # portable LIKE answers "speaks French" on SQLite and PostgreSQL.
    languages = models.CharField(_("languages spoken"), max_length=200, blank=True,
                                 default="", help_text=_("E.g. nl fr en ar tr."))
    municipalities = models.ManyToManyField(Municipality, verbose_name=_("municipalities served"),
                                            blank=True, related_name="+")
    care_zones = models.ManyToManyField(CareZone, verbose_name=_("care zones served"),
                                        blank=True, related_name="+")
    serves_all_brussels = models.BooleanField(_("serves the whole Brussels region"),
                                              default=False)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    eligibility = bounded_text(_("who can use it"), limit=NOTE, blank=True)
    fees = bounded_text(_("fees"), limit=NOTE, blank=True)
    schedule = bounded_text(_("opening hours"), limit=NOTE, blank=True,
                            help_text=_("E.g. Monday to Friday 8:00–17:00."))
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    riziv_number = models.CharField(_("RIZIV/INAMI number"), max_length=20, blank=True,
                                    help_text=_("For a self-employed professional."))
    urgent_start = models.CharField(_("urgent start"), max_length=3, choices=UrgentStart,
                                    blank=True, default=UrgentStart.NONE)
    capacity = models.CharField(_("capacity"), max_length=20, choices=Capacity,
                                default=Capacity.ACCEPTING)
    typical_wait_days = models.PositiveSmallIntegerField(_("typical wait (days)"), null=True,
                                                         blank=True)
    capacity_confirmed_on = models.DateField(_("capacity confirmed on"), null=True, blank=True,
                                             validators=[validate_past_date])
    status = models.CharField(_("status"), max_length=20, choices=ServiceStatus,
                              default=ServiceStatus.ACTIVE)
    verified_on = models.DateField(_("verified on"), null=True, blank=True,
                                   validators=[validate_past_date])
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    # Lower-case, accent-free words of names, descriptions, category and places: searched
    # the same way on SQLite and PostgreSQL (where a GIN index answers full-text queries).
    # Derived, never typed: bounded by the fields it is made of, not on its own.
    search_text = models.TextField(editable=False, default="")
    # The folded names alone: ranking asks "is the word in the name?" with one cheap LIKE.
    name_search = models.CharField(max_length=620, editable=False, default="")

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "name_fr", "name_nl"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        indexes = [models.Index(fields=["category", "status"], name="service_category")]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_age__isnull=True) | Q(maximum_age__isnull=True)
                | Q(maximum_age__gte=models.F("minimum_age")),
                name="service_age_range"),
            *text_limits(description_nl=LONG_NOTE, description_fr=LONG_NOTE,
                         description_en=LONG_NOTE, how_to_refer_nl=NOTE, how_to_refer_fr=NOTE,
                         how_to_refer_en=NOTE, eligibility=NOTE, fees=NOTE, schedule=NOTE),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def how_to_refer(self) -> str:
        return localized(self, "how_to_refer")

    @property
    def typical_wait_label(self) -> str:
        """"about 3 days" on the capacity badge (directory/partials/capacity.jinja)."""
        days = self.typical_wait_days
        if not days:
            return ""
        return ngettext("about %(days)s day", "about %(days)s days", days) % {"days": days}

    @property
    def is_stale(self) -> bool:
        if self.verified_on is None:
            return True
        return (timezone.localdate() - self.verified_on).days > STALE_AFTER_DAYS

    def clean(self):
        if not (self.name_nl or self.name_fr or self.name_en):
            raise ValidationError(_("Give the service a name in at least one language."),
                                  code="no_name")
        if (self.minimum_age is not None and self.maximum_age is not None
                and self.maximum_age < self.minimum_age):
            raise ValidationError({"maximum_age": _(
                "The maximum age cannot be below the minimum age.")}, code="age_range")


class AgreementKind(models.TextChoices):
    DIABETES = "diabetes", _("Diabetes")
    GERIATRICS = "geriatrics", _("Geriatrics")
    NURSING_HOMES = "nursing_homes", _("Nursing homes")
    END_OF_LIFE = "end_of_life", _("End of life")
    OTHER = "other", _("Other")


class Agreement(TimeStamped):
    """A formal cooperation agreement between a hospital service and an ambulatory one (R8)."""

    hospital = models.ForeignKey("accounts.Organisation", verbose_name=_("hospital"),
                                 on_delete=models.CASCADE, related_name="hospital_agreements")
    ward = models.ForeignKey("accounts.Ward", verbose_name=_("hospital ward or service"),
                             on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    partner = models.ForeignKey("accounts.Organisation", verbose_name=_("ambulatory partner"),
                                on_delete=models.CASCADE, related_name="partner_agreements")
    kind = models.CharField(_("about"), max_length=20, choices=AgreementKind)
    description = bounded_text(_("what was agreed"), limit=LONG_NOTE, blank=True)
    starts_on = models.DateField(_("since"), validators=[validate_planning_date])
    ends_on = models.DateField(_("until"), null=True, blank=True, validators=[validate_end_date])
    hospital_contact = models.CharField(_("contact at the hospital"), max_length=200,
                                        blank=True)
    partner_contact = models.CharField(_("contact at the partner"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "starts_on"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True)
                                   | Q(ends_on__gte=models.F("starts_on")),
                                   name="agreement_ends_after_start"),
            *text_limits(description=LONG_NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.hospital} – {self.partner}"

    @property
    def in_force(self) -> bool:
        today = timezone.localdate()
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """When a service can be reached: one row per day and opening (split days allowed)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")),
                                              name="closes_after_opening")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"
