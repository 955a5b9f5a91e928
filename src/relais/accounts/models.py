"""Organisations, the people who log in, and what links them (memberships)."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.access.policy import GuardedQuerySet
from relais.accounts.validators import (
    compact_kbo,
    compact_riziv,
    format_kbo,
    format_riziv,
    validate_kbo,
    validate_riziv,
)
from relais.core.fields import LONG_NOTE, NOTE, bounded_text, text_limits
from relais.core.models import CareZone, Municipality, TimeStamped, Versioned, care_zone_for


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


class Profession(models.TextChoices):
    """Professions; those with a RIZIV/INAMI number are listed in RIZIV_PROFESSIONS."""

    NONE = "", _("No health or social profession")
    GENERAL_PRACTITIONER = "gp", _("General practitioner")
    SPECIALIST = "specialist", _("Medical specialist")
    NURSE = "nurse", _("Nurse")
    MIDWIFE = "midwife", _("Midwife")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    PHARMACIST = "pharmacist", _("Pharmacist")
    OCCUPATIONAL_THERAPIST = "occupational_therapist", _("Occupational therapist")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    HOME_HELP = "home_help", _("Family or home help")
    ADMINISTRATIVE = "administrative", _("Administrative staff")


RIZIV_PROFESSIONS = {
    Profession.GENERAL_PRACTITIONER,
    Profession.SPECIALIST,
    Profession.NURSE,
    Profession.MIDWIFE,
    Profession.PHYSIOTHERAPIST,
    Profession.PHARMACIST,
}


class UserKind(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    PORTAL = "portal", _("Person or informal caregiver")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


def name_of(first_name: str, last_name: str, email: str) -> str:
    """A user's name as `User.get_full_name()`, else their email, says it: for rows read
    as values (a page's readers, a contact's maker), where no User is built."""
    return f"{first_name} {last_name}".strip() or email


class User(AbstractUser):
    """Someone who logs in: a professional, or a person/caregiver with portal access."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    kind = models.CharField(
        _("kind of account"), max_length=20, choices=UserKind, default=UserKind.PROFESSIONAL
    )
    language = models.CharField(
        _("preferred language"), max_length=2, choices=Language, default=Language.DUTCH
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    profession = models.CharField(
        _("profession"), max_length=30, choices=Profession, blank=True, default=""
    )
    riziv_number = models.CharField(
        _("RIZIV/INAMI number"),
        max_length=20,
        blank=True,
        validators=[validate_riziv],
        help_text=_("Optional. 11 digits, e.g. 1-08290-59-000."),
    )

    # Mirrors "has a confirmed django-otp device", so the middleware asks no query per request.
    two_factor_enabled = models.BooleanField(
        _("two-factor authentication on"), default=False, editable=False
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        self.riziv_number = compact_riziv(self.riziv_number)
        super().save(*args, **kwargs)

    @property
    def is_professional(self) -> bool:
        return self.kind == UserKind.PROFESSIONAL

    def active_organisation_roles(self) -> list[tuple[int, bool]]:
        """(organisation id, is manager) per active membership: what the gate asks to know
        whom the user acts for (it caches the answer for the request)."""
        return list(Membership.objects.active().filter(user=self).values_list(
            "organisation_id", "is_manager"))

    @property
    def riziv_display(self) -> str:
        return format_riziv(self.riziv_number) if self.riziv_number else ""


class OrganisationType(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    COORDINATION_CENTRE = "coordination_centre", _("Home-care coordination centre")
    HOME_NURSING = "home_nursing", _("Home nursing")
    HOME_HELP = "home_help", _("Home help")
    GP_PRACTICE = "gp_practice", _("GP practice")
    PHARMACY = "pharmacy", _("Pharmacy")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy practice")
    PUBLIC_SOCIAL_WELFARE = "ocmw_cpas", _("Public social welfare centre (OCMW/CPAS)")
    HOUSING = "housing", _("Social or emergency housing")
    MENTAL_HEALTH = "mental_health", _("Mental-health service")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic-violence service")
    NURSING_HOME = "nursing_home", _("Nursing home")
    SOCIAL_SERVICE = "social_service", _("Other social service")
    CARE_ZONE_TEAM = "care_zone_team", _("Care-zone support team")
    OTHER = "other", _("Other")


class OrganisationQuerySet(GuardedQuerySet):
    def active(self):
        return self.filter(is_active=True)



class Organisation(TimeStamped, Versioned):
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=30, choices=OrganisationType)
    kbo_number = models.CharField(
        _("KBO/BCE number"),
        max_length=20,
        blank=True,
        validators=[validate_kbo],
        help_text=_("Enterprise number, 10 digits, e.g. 0403.019.261."),
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    description = bounded_text(
        _("how we work"),
        limit=LONG_NOTE,
        blank=True,
        help_text=_("In plain words: what you do, for whom, and how to reach you."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The Open Referral (HSDS) id this organisation was imported under (directory.hsds).
    hsds_id = models.UUIDField(_("HSDS id"), null=True, blank=True, unique=True, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["kbo_number"], condition=~Q(kbo_number=""), name="unique_kbo_number"
            ),
            *text_limits(description=LONG_NOTE),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.kbo_number = compact_kbo(self.kbo_number) if self.kbo_number else ""
        super().save(*args, **kwargs)

    @property
    def kbo_display(self) -> str:
        return format_kbo(self.kbo_number) if self.kbo_number else ""

    @property
    def care_zone(self) -> CareZone | None:
        return care_zone_for(self.municipality, self.postcode)

    @property
    def is_hospital(self) -> bool:
        return self.type == OrganisationType.HOSPITAL


class Ward(TimeStamped):
    """A hospital ward; only some have a liaison (discharge) function (R13)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("hospital"), on_delete=models.CASCADE, related_name="wards"
    )
    name = models.CharField(_("name"), max_length=120)
    has_liaison = models.BooleanField(
        _("has a liaison function"),
        default=False,
        help_text=_("A liaison or discharge nurse works on this ward."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    liaison_contact = models.CharField(
        _("liaison or social-service contact"), max_length=200, blank=True,
        help_text=_("Name and direct number of the liaison nurse or social worker."))
    visiting_hours = models.CharField(_("visiting hours for professionals"), max_length=200,
                                      blank=True)
    notes = bounded_text(_("notes for professionals"), limit=NOTE, blank=True)
    # How the hospital's own systems name the ward (HL7 PV1-3 point of care).
    code = models.CharField(_("code in the hospital's systems"), max_length=40, blank=True,
                            help_text=_("As sent in admission messages (HL7 PV1-3)."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_ward_name"),
            *text_limits(notes=NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name} – {self.name}"


class Function(models.TextChoices):
    """What someone does for an organisation; drives their home page and rights."""

    LIAISON_NURSE = "liaison_nurse", _("Liaison nurse")
    HOSPITAL_SOCIAL_WORKER = "hospital_social_worker", _("Hospital social worker")
    WARD_NURSE = "ward_nurse", _("Ward nurse")
    COORDINATOR = "coordinator", _("Coordinator")
    CASE_MANAGER = "case_manager", _("Case manager")
    GENERAL_PRACTITIONER = "gp", _("General practitioner")
    HOME_NURSE = "home_nurse", _("Home nurse")
    HOME_HELP = "home_help", _("Home help")
    PHARMACIST = "pharmacist", _("Pharmacist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    CARE_ZONE_ANALYST = "care_zone_analyst", _("Care-zone analyst")
    # Read-only: an alderman, a funder, a council member sees the zone's published
    # observatory and reports (on a membership of the care-zone team), nothing else.
    DECISION_MAKER = "decision_maker", _("Decision-maker (read only)")
    MANAGER = "manager", _("Manager")
    ADMINISTRATIVE = "administrative", _("Administrative staff")


class MembershipQuerySet(GuardedQuerySet):
    def active(self, on=None):
        day = on or timezone.localdate()
        # ended_on is the first day without the membership: ending today removes rights now.
        return self.filter(Q(started_on__lte=day), Q(ended_on__isnull=True) | Q(ended_on__gt=day))



class Membership(TimeStamped):
    """A user works for an organisation in a function; ended memberships stay as history."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    function = models.CharField(_("function"), max_length=30, choices=Function)
    is_manager = models.BooleanField(
        _("manages the organisation"),
        default=False,
        help_text=_("Managers keep the organisation's details, wards and members up to date."),
    )
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(
        _("ended on"), null=True, blank=True,
        help_text=_("The first day this person no longer works here."),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "user__last_name", "user__first_name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "function"],
                condition=Q(ended_on__isnull=True),
                name="unique_open_membership",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_function_display()} – {self.organisation}"

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return self.started_on <= today and (self.ended_on is None or self.ended_on > today)
