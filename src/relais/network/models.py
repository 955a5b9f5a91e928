"""The person (beneficiary) and their care network (R4, R5, R7, R14, R15, R17)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.access.policy import GuardedQuerySet
from relais.core.fields import LONG_NOTE, NOTE, bounded_text, text_limits
from relais.core.models import CareZone, Municipality, TimeStamped, Versioned, care_zone_for
from relais.core.text import fold
from relais.core.validators import (
    validate_birth_date,
    validate_end_date,
    validate_past_date,
    validate_planning_date,
)
from relais.network.validators import compact_niss, format_niss, validate_niss


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other or not recorded")


class PersonLanguage(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")
    OTHER = "other", _("Other language")


class LivingSituation(models.TextChoices):
    ALONE = "alone", _("Lives alone")
    WITH_PARTNER = "partner", _("Lives with a partner")
    WITH_FAMILY = "family", _("Lives with family")
    INSTITUTION = "institution", _("Lives in an institution")
    HOMELESS = "homeless", _("Homeless")
    UNKNOWN = "unknown", _("Not known")


class PriorityGroup(models.TextChoices):
    ELDERLY = "elderly", _("Elderly person")
    ISOLATED = "isolated", _("Isolated, without a network")
    DISABILITY = "disability", _("Person with a disability")
    ISOLATED_PARENT = "isolated_parent", _("Isolated parent")
    CHRONIC_ILLNESS = "chronic_illness", _("Chronic illness")
    HOMELESS = "homeless", _("Homeless")


# Stored beside the names so that search is accent- and case-insensitive on SQLite and
# PostgreSQL alike, and can use an index for prefixes.
name_key = fold


class PersonQuerySet(GuardedQuerySet):
    """Persons; `visible_to(user)` applies the person rule (rules 1–3)."""


class Person(TimeStamped, Versioned):
    """The beneficiary: the first point of contact about their own care (R7)."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True,
                                  validators=[validate_birth_date])
    sex = models.CharField(_("sex"), max_length=1, choices=Sex, default=Sex.OTHER)
    niss = models.CharField(
        _("national register or BIS number"), max_length=20, blank=True,
        validators=[validate_niss],
        help_text=_("Leave empty for someone without a Belgian number; it can be added later."),
    )
    language = models.CharField(_("preferred language"), max_length=5, choices=PersonLanguage,
                                default=PersonLanguage.FRENCH)
    other_language = models.CharField(_("other language"), max_length=60, blank=True)
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    municipality = models.ForeignKey(Municipality, verbose_name=_("municipality"),
                                     on_delete=models.PROTECT, null=True, blank=True)
    care_zone_override = models.ForeignKey(
        CareZone, verbose_name=_("care zone (set by hand)"), on_delete=models.PROTECT,
        null=True, blank=True,
        help_text=_("Only when the address does not decide it, e.g. in Brussels-City."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    living_situation = models.CharField(_("living situation"), max_length=20,
                                        choices=LivingSituation, default=LivingSituation.UNKNOWN)
    priority_groups = models.JSONField(_("priority groups"), default=list, blank=True)
    safeguarding = models.BooleanField(
        _("safeguarding concern"), default=False,
        help_text=_("Seen only by the members in the safeguarding circle."),
    )
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("record kept by"), on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organisation that opened this record; it sees it even before consent."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    first_name_key = models.CharField(max_length=100, editable=False, default="")
    last_name_key = models.CharField(max_length=100, editable=False, default="")
    # The last word of a compound surname ("broeck" of Van den Broeck), searchable alone.
    surname_tail_key = models.CharField(max_length=100, editable=False, default="")

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "birth_date"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.UniqueConstraint(fields=["niss"], condition=~Q(niss=""),
                                    name="unique_person_niss"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="person_name"),
            models.Index(fields=["birth_date"], name="person_birth_date"),
            # SQLite cannot use the partial unique index above for an equality search.
            models.Index(fields=["niss"], name="person_niss"),
            # Pattern opclasses let PostgreSQL use these for prefix searches (LIKE 'x%').
            models.Index(fields=["last_name_key"], name="person_last_key",
                         opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["first_name_key"], name="person_first_key",
                         opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["surname_tail_key"], name="person_tail_key",
                         opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.niss = compact_niss(self.niss)
        self.fill_name_keys()
        super().save(*args, **kwargs)

    def fill_name_keys(self) -> None:
        """Also called before bulk_create, which skips save(). A key can be longer than
        its name ("ß" folds to "ss", a ligature to three letters): cut to its column, as
        PostgreSQL refuses longer (found by bench/adt_fuzz.py, a hospital's A08)."""
        self.first_name_key = self._key("first_name_key", self.first_name)
        self.last_name_key = self._key("last_name_key", self.last_name)
        words = self.last_name_key.split()
        self.surname_tail_key = words[-1] if len(words) > 1 else ""

    def _key(self, field: str, name: str) -> str:
        return name_key(name)[:self._meta.get_field(field).max_length]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def niss_display(self) -> str:
        return format_niss(self.niss) if self.niss else ""

    def is_minor_on(self, day) -> bool:
        """Under 18 on `day` (`minor_on` in SQL); not known to be when no birth date."""
        return self.birth_date is not None and self.birth_date > eighteen_years_before(day)

    @property
    def care_zone(self) -> CareZone | None:
        return self.care_zone_override or care_zone_for(self.municipality, self.postcode)

    def priority_group_labels(self) -> list[str]:
        return [PriorityGroup(g).label for g in self.priority_groups if g in PriorityGroup.values]


CIRCLE_FOR_PROFESSIONALS = _(
    "The safeguarding circle is for professionals only: relatives, friends and neighbours "
    "never see safeguarding entries or flags.")


class MemberKind(models.TextChoices):
    PROFESSIONAL = "professional", _("A professional with a Relais account")
    ORGANISATION = "organisation", _("An organisation")
    INFORMAL = "informal", _("A relative, friend or neighbour")


class Relation(models.TextChoices):
    """How an informal contact is related: decides the legal order of representatives."""

    SELF = "self", _("The person themselves")
    PARTNER = "partner", _("Spouse or partner (living together)")
    CHILD = "child", _("Son or daughter")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    OTHER_FAMILY = "other_family", _("Other family")
    FRIEND = "friend", _("Friend")
    NEIGHBOUR = "neighbour", _("Neighbour")
    OTHER = "other", _("Other")


class NetworkMemberQuerySet(models.QuerySet):
    def active(self, on=None):
        day = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


class NetworkMember(TimeStamped):
    """Someone in the person's network: a professional, an organisation or an informal contact.

    Ended members stay as history. A "never inform" member is an exclusion the person asked
    for: they see nothing, are never told anything, and appear on nothing printed (R14).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(_("who"), max_length=20, choices=MemberKind)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("professional"),
                             on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    name = models.CharField(_("name"), max_length=200, blank=True)
    relation = models.CharField(_("relation"), max_length=20, choices=Relation, blank=True)
    is_minor = models.BooleanField(_("under 18"), default=False)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=5, choices=PersonLanguage, blank=True)
    what_they_do = models.CharField(_("what they do"), max_length=200, blank=True,
                                    help_text=_("E.g. visits every day, does the shopping."))
    is_contact_point = models.BooleanField(_("contact point"), default=False)
    never_inform = models.BooleanField(
        _("never inform"), default=False,
        help_text=_("The person asked that this member is told nothing and sees nothing."),
    )
    in_safeguarding_circle = models.BooleanField(
        _("in the safeguarding circle"), default=False,
        help_text=_("May see safeguarding flags and entries."),
    )
    started_on = models.DateField(_("since"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = NetworkMemberQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-is_contact_point", "name"]
        verbose_name = _("network member")
        verbose_name_plural = _("network members")
        # The persons an organisation or a user is in the network of, read from the index
        # alone (the gate's candidates, access.persons.candidate_person_ids): a hospital's
        # 7,500 memberships 28 → 1.5 ms at a million persons.
        indexes = [
            models.Index(fields=["organisation", "person"], include=["never_inform", "ended_on"],
                         name="member_org_person"),
            models.Index(fields=["user", "person"], include=["never_inform", "ended_on"],
                         name="member_user_person"),
        ]
        constraints = [
            # R5: exactly one contact point at a time.
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_contact_point=True, ended_on__isnull=True),
                name="one_contact_point_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(is_contact_point=True, never_inform=True),
                name="excluded_member_is_not_contact_point",
            ),
            models.CheckConstraint(
                condition=(Q(kind="professional", user__isnull=False)
                           | Q(kind="organisation", organisation__isnull=False, user__isnull=True)
                           | Q(kind="informal", organisation__isnull=True)),
                name="member_kind_matches_link",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self):
        super().clean()
        if self.in_safeguarding_circle and not self.may_be_in_circle(self.kind):
            raise ValidationError({"in_safeguarding_circle": CIRCLE_FOR_PROFESSIONALS},
                                  code="circle_for_professionals")

    @staticmethod
    def may_be_in_circle(kind: str) -> bool:
        """Safeguarding entries and flags are hidden from family, proxies and printouts (a
        partner, a relative, may be the danger): the circle is the professionals' and the
        organisations' only (docs/architecture.md, the booklet's audiences)."""
        return kind != MemberKind.INFORMAL

    def get_relation_display(self) -> str:
        return choice_label(Relation, self.relation)

    @property
    def display_name(self) -> str:
        if self.kind == MemberKind.PROFESSIONAL and self.user_id:
            return str(self.user)
        if self.kind == MemberKind.ORGANISATION and self.organisation_id:
            return self.organisation.name
        return self.name

    @property
    def is_active(self) -> bool:
        return self.ended_on is None or self.ended_on > timezone.localdate()

    @property
    def phone_to_call(self) -> str:
        """The member's own number, else their organisation's switchboard."""
        if self.phone:
            return self.phone
        if self.kind == MemberKind.PROFESSIONAL and self.user_id and self.user.phone:
            return self.user.phone
        return self.organisation.phone if self.organisation_id else ""

    def _prefetched_roles(self):
        return getattr(self, "_prefetched_objects_cache", {}).get("roles")

    def role_rows(self) -> list:
        """The member's roles, read from the prefetch when there is one without making a
        related manager (a tenth of the person page's rendering, for eight members)."""
        prefetched = self._prefetched_roles()
        return list(self.roles.all() if prefetched is None else prefetched)

    def role_codes(self) -> set[str]:
        # A page asks each member's roles dozens of times (the legal order, the map,
        # the template): with the roles prefetched, the set is made once per prefetch.
        prefetched = self._prefetched_roles()
        if prefetched is None:
            return {r.role for r in self.roles.all()}
        made_from, codes = self.__dict__.get("_role_codes", (None, None))
        if made_from is not prefetched:
            codes = {r.role for r in prefetched}
            self._role_codes = (prefetched, codes)
        return set(codes)


class Role(models.TextChoices):
    INFORMAL_CAREGIVER = "informal_caregiver", _("Informal caregiver")
    FAMILY = "family", _("Family")
    TRUSTED_PERSON = "trusted_person", _("Trusted person")
    REPRESENTATIVE = "representative", _("Representative (mandated)")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    ADMINISTRATOR = "administrator", _("Court-appointed administrator")
    GP = "gp", _("General practitioner")
    HOME_NURSE = "home_nurse", _("Home nurse")
    HOME_HELP = "home_help", _("Home help")
    PHARMACIST = "pharmacist", _("Pharmacist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    COORDINATION_CENTRE = "coordination_centre", _("Coordination centre")
    CASE_MANAGER = "case_manager", _("Case manager")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    SPECIALIST = "specialist", _("Specialist")
    OTHER = "other", _("Other")


LEGAL_ROLES = {Role.TRUSTED_PERSON, Role.REPRESENTATIVE, Role.LEGAL_REPRESENTATIVE,
               Role.ADMINISTRATOR}
INFORMAL_ROLES = {Role.INFORMAL_CAREGIVER, Role.FAMILY, Role.TRUSTED_PERSON,
                  Role.REPRESENTATIVE}
HEALTH_ROLES = {Role.GP, Role.HOME_NURSE, Role.PHARMACIST, Role.PHYSIOTHERAPIST,
                Role.SPECIALIST}
SOCIAL_ROLES = {Role.SOCIAL_WORKER, Role.HOME_HELP}
COORDINATION_ROLES = {Role.COORDINATION_CENTRE, Role.CASE_MANAGER}


class MemberRole(models.Model):
    """A member may hold several roles (e.g. daughter, caregiver and trusted person)."""

    member = models.ForeignKey(NetworkMember, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=30, choices=Role)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["member", "role"], name="unique_role")]

    def __str__(self) -> str:
        return self.get_role_display()

    def get_role_display(self) -> str:
        return choice_label(Role, self.role)


def choice_label(choices, value: str) -> str:
    """The label of one value, in the active language. Django's get_FOO_display builds a
    dict of every choice on each call, translating them all to hash them: with Role's
    many choices, shown for every member on the person page, that was most of the labels'
    cost."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value  # what Django shows for a value outside the choices


class CapacityFinding(models.TextChoices):
    UNABLE = "unable", _("Cannot exercise their rights at present")
    ABLE = "able", _("Can exercise their rights")


class CapacityAssessment(TimeStamped):
    """A practitioner's judgement, case by case, of whether the person can exercise their
    patient rights. The representative's powers apply only while "unable" is current."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assessments")
    finding = models.CharField(_("finding"), max_length=10, choices=CapacityFinding)
    assessed_by = models.CharField(_("assessed by"), max_length=200,
                                   help_text=_("Name and function of the practitioner."))
    assessed_on = models.DateField(_("assessed on"), validators=[validate_past_date])
    review_by = models.DateField(_("review by"), null=True, blank=True,
                                 validators=[validate_planning_date])
    note = bounded_text(_("note"), limit=NOTE, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        verbose_name = _("capacity assessment")
        verbose_name_plural = _("capacity assessments")
        constraints = text_limits(note=NOTE)

    def __str__(self) -> str:
        return f"{self.get_finding_display()} ({self.assessed_on})"

    @property
    def is_current(self) -> bool:
        return self.review_by is None or self.review_by >= timezone.localdate()

    @staticmethod
    def current_today() -> Q:
        """`is_current` as a condition over assessment rows."""
        return Q(review_by__isnull=True) | Q(review_by__gte=timezone.localdate())


def mandate_upload_path(instance, filename: str) -> str:
    # The stored name never reuses what the user typed: no path tricks, no leaks.

    return f"mandates/{instance.person_id}/{uuid.uuid4().hex}"


class InForce(TimeStamped):
    """What names someone to act for the person for a time (a mandate, a court order): in
    force from `starts_on` until `ends_on` (included, if set) unless ended early on the
    day its `ENDED` field holds (a mandate revoked, an order ended by the court). The
    rule once, in Python and in SQL; each model keeps its own fields and labels."""

    ENDED: str  # the name of the field that holds the day it was ended early
    NAMES: str  # the name of the foreign key to the member it names

    class Meta:
        abstract = True

    @property
    def in_force(self) -> bool:
        today = timezone.localdate()
        return (getattr(self, self.ENDED) is None and self.starts_on <= today
                and (self.ends_on is None or self.ends_on >= today))

    @staticmethod
    def ends_after_start(name: str) -> models.CheckConstraint:
        """The database's guard that `ends_on`, if set, is not before `starts_on` (each
        model names its own: the constraints' names are in their migrations)."""
        return models.CheckConstraint(
            condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            name=name)

    @classmethod
    def in_force_today(cls) -> Q:
        """`in_force` as a condition over the model's rows (the gate asks it in SQL)."""
        today = timezone.localdate()
        return Q(Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today,
                 **{f"{cls.ENDED}__isnull": True})


class Mandate(InForce):
    """The written mandate designating a representative: dated, signed by the person and by
    the representative (law of 22 Aug 2002, art. 14)."""

    ENDED, NAMES = "revoked_on", "representative"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="mandates")
    representative = models.ForeignKey(NetworkMember, verbose_name=_("representative"),
                                       on_delete=models.PROTECT, related_name="mandates")
    scope = bounded_text(_("scope"), limit=LONG_NOTE,
                         help_text=_("What the representative may decide, as written."))
    signed_on = models.DateField(_("signed on"), validators=[validate_past_date])
    signed_by_person = models.BooleanField(_("signed by the person"))
    signed_by_representative = models.BooleanField(_("signed by the representative"))
    starts_on = models.DateField(_("valid from"), validators=[validate_planning_date])
    ends_on = models.DateField(_("valid until"), null=True, blank=True,
                               validators=[validate_end_date])
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    document = models.FileField(_("signed document"), upload_to=mandate_upload_path, blank=True)
    document_type = models.CharField(max_length=40, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-signed_on"]
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_by_person=True, signed_by_representative=True),
                name="mandate_signed_by_both"),
            InForce.ends_after_start("mandate_ends_after_start"),
            *text_limits(scope=LONG_NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.representative} ({self.signed_on})"


class ProtectionOrder(InForce):
    """The justice of the peace's order that places the person under judicial protection
    with an administrator of the person, authorised to exercise their patient rights (law
    of 17 March 2013; patient-rights law, art. 14; DOMAIN.md §1). It is for the
    administrator what the mandate is for the representative: the role alone designates
    nobody (an administrator of the person's goods only has no say in their care)."""

    ENDED, NAMES = "lifted_on", "administrator"

    person = models.ForeignKey(Person, on_delete=models.CASCADE,
                               related_name="protection_orders")
    administrator = models.ForeignKey(NetworkMember, verbose_name=_("administrator"),
                                      on_delete=models.PROTECT, related_name="protection_orders")
    court = models.CharField(
        _("court"), max_length=200,
        help_text=_("The court that gave the order, as the order names it: e.g. Vredegerecht "
                    "van het tweede kanton Brussel / Justice de paix du deuxième canton de "
                    "Bruxelles."))
    ordered_on = models.DateField(_("order dated"), validators=[validate_past_date])
    covers_patient_rights = models.BooleanField(
        _("authorises the administrator to exercise the person's patient rights"))
    starts_on = models.DateField(_("in force from"), validators=[validate_planning_date])
    ends_on = models.DateField(_("in force until"), null=True, blank=True,
                               validators=[validate_end_date])
    lifted_on = models.DateField(_("ended on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-ordered_on", "-created_at"]
        verbose_name = _("court protection order")
        verbose_name_plural = _("court protection orders")
        constraints = [
            models.CheckConstraint(condition=Q(covers_patient_rights=True),
                                   name="protection_covers_patient_rights"),
            InForce.ends_after_start("protection_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.administrator} ({self.ordered_on})"


def minor_on(day, *, field: str = "birth_date") -> Q:
    """Over person rows (or rows reaching the person's birth date by `field`): under 18
    on `day`, born less than 18 years before it. A person whose birth date is not
    recorded is not known to be a minor."""
    return Q(**{f"{field}__gt": eighteen_years_before(day)})


def eighteen_years_before(day):
    try:
        return day.replace(year=day.year - 18)
    except ValueError:  # 29 February: whoever was born on 28 February 18 years ago is 18
        return day.replace(year=day.year - 18, day=28)


class PortalInvitation(models.Model):
    """A single-use, expiring invitation for the person or someone close to them to see
    the network in Relais. Only a hash of the token is stored."""

    member = models.ForeignKey(NetworkMember, on_delete=models.CASCADE,
                               related_name="invitations")
    email = models.EmailField(_("email"))
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("portal invitation")
        verbose_name_plural = _("portal invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.member}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()
