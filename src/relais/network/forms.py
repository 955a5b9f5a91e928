from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.access.models import ConsentScope
from relais.accounts.forms import MunicipalityChoiceField
from relais.accounts.models import Organisation, User, UserKind
from relais.core.fields import REASON
from relais.core.forms import DatePicker
from relais.core.models import Municipality
from relais.core.uploads import validate_document
from relais.core.validators import validate_past_date
from relais.network.models import (
    CIRCLE_FOR_PROFESSIONALS,
    CapacityAssessment,
    Mandate,
    MemberKind,
    NetworkMember,
    Person,
    PersonLanguage,
    PriorityGroup,
    ProtectionOrder,
    Relation,
    Role,
)
from relais.network.validators import check_niss_matches, compact_niss, validate_niss

BREAK_GLASS_MIN_REASON = 20


class PersonForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    municipality = MunicipalityChoiceField(queryset=Municipality.objects.all(), required=False,
                                           label=_("Municipality"))
    priority_groups = forms.MultipleChoiceField(
        label=_("Priority groups"), choices=PriorityGroup.choices, required=False,
        widget=forms.CheckboxSelectMultiple)
    confirm_new = forms.BooleanField(
        label=_("I checked: this is a different person"), required=False)

    class Meta:
        model = Person
        fields = ["first_name", "last_name", "birth_date", "sex", "niss", "language",
                  "other_language", "needs_interpreter", "phone", "street", "postcode",
                  "municipality", "care_zone_override", "living_situation", "priority_groups",
                  "safeguarding"]
        widgets = {"birth_date": DatePicker()}

    def __init__(self, *args, similar=None, may_see_safeguarding=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.similar = similar
        if not may_see_safeguarding:
            del self.fields["safeguarding"]
        if not self.instance._state.adding:
            del self.fields["confirm_new"]

    def clean_niss(self):
        value = self.cleaned_data["niss"]
        if value:
            validate_niss(value)  # before clean() reads the birth date and sex in it
        return compact_niss(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        niss = cleaned.get("niss")
        if niss:
            for error in check_niss_matches(niss, cleaned.get("birth_date"), cleaned.get("sex")):
                self.add_error("niss", error)
            taken = Person.objects.filter(niss=niss).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("niss", ValidationError(
                    _("A record with this number already exists in Relais. Ask its care "
                      "network to add you, or search for it."), code="duplicate_niss"))
        return cleaned

    def needs_duplicate_confirmation(self) -> bool:
        return bool(self.similar) and not self.cleaned_data.get("confirm_new")


class MemberForm(forms.Form):
    kind = forms.ChoiceField(label=_("Who"), choices=MemberKind.choices,
                             widget=forms.RadioSelect, initial=MemberKind.INFORMAL)
    professional_email = forms.EmailField(
        label=_("Professional's email address"), required=False,
        help_text=_("A professional who already has a Relais account."))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.filter(is_active=True),
        required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    relation = forms.ChoiceField(label=_("Relation"), required=False,
                                 choices=[("", "—")] + [c for c in Relation.choices
                                                        if c[0] != Relation.SELF])
    is_minor = forms.BooleanField(label=_("Under 18"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", "—"), *PersonLanguage.choices])
    what_they_do = forms.CharField(label=_("What they do"), max_length=200, required=False,
                                   help_text=_("E.g. visits every day, does the shopping."))
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices,
                                      widget=forms.CheckboxSelectMultiple)
    in_safeguarding_circle = forms.BooleanField(
        label=_("In the safeguarding circle"), required=False,
        help_text=_("May see safeguarding flags and entries."))

    def __init__(self, *args, person, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.editing = editing
        if editing is not None:
            for name in ("kind", "professional_email", "organisation"):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if self.editing is None:
            self._clean_link(cleaned)
        kind = self.editing.kind if self.editing is not None else cleaned.get("kind")
        if cleaned.get("in_safeguarding_circle") and not NetworkMember.may_be_in_circle(kind):
            self.add_error("in_safeguarding_circle", CIRCLE_FOR_PROFESSIONALS)
        return cleaned

    def _clean_link(self, cleaned):
        kind = cleaned.get("kind")
        if kind == MemberKind.PROFESSIONAL:
            cleaned["user"] = self._professional(cleaned.get("professional_email"))
        elif kind == MemberKind.ORGANISATION and not cleaned.get("organisation"):
            self.add_error("organisation", _("Choose the organisation."))
        elif kind == MemberKind.INFORMAL and not cleaned.get("name"):
            self.add_error("name", _("Give the name of this relative or contact."))
        if cleaned.get("user") and self.person.members.active().filter(
                user=cleaned["user"]).exists():
            self.add_error("professional_email", _("This professional is already in the network."))

    def _professional(self, email):
        user = User.objects.filter(email=(email or "").lower(), is_active=True,
                                   kind=UserKind.PROFESSIONAL).first()
        if user is None:
            self.add_error("professional_email", _(
                "No professional with this email address uses Relais. Add their "
                "organisation, or add them as a contact."))
        return user

    def member_data(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in (
            "name", "relation", "is_minor", "phone", "email", "language", "what_they_do",
            "in_safeguarding_circle")}
        data["relation"] = data["relation"] or ""
        data["language"] = data["language"] or ""
        return data

    @classmethod
    def initial_for(cls, member: NetworkMember) -> dict:
        return {"name": member.name, "relation": member.relation, "is_minor": member.is_minor,
                "phone": member.phone, "email": member.email, "language": member.language,
                "what_they_do": member.what_they_do, "roles": sorted(member.role_codes()),
                "in_safeguarding_circle": member.in_safeguarding_circle}


class ConsentForm(forms.Form):
    scope = forms.ChoiceField(label=_("What is shared"), choices=ConsentScope.choices)
    given_by = forms.CharField(label=_("Given by"), max_length=200,
                               help_text=_("The person themselves, or the name of their "
                                           "representative."))
    given_on = forms.DateField(label=_("Given on"), initial=timezone.localdate,
                               widget=DatePicker())

    def clean_given_on(self):
        value = self.cleaned_data["given_on"]
        if value > timezone.localdate():
            raise ValidationError(_("Consent cannot be given in the future."), code="future")
        validate_past_date(value)
        return value


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Why must you open this record now?"), widget=forms.Textarea(attrs={"rows": 3}),
        min_length=BREAK_GLASS_MIN_REASON, max_length=REASON,
        help_text=_("Written in the audit log and shown to the person's contact point."))


def close_to_the_person(field, person) -> None:
    """Whom a mandate or a court order may name: someone close to the person (an active
    informal member, not excluded, not the person themselves), never a professional of
    the network nor an organisation (they represent nobody: rules._represents)."""
    field.queryset = person.members.active().filter(
        kind=MemberKind.INFORMAL, never_inform=False).exclude(relation=Relation.SELF)
    field.label_from_instance = lambda m: m.display_name


class MandateForm(forms.ModelForm):
    document = forms.FileField(
        label=_("Signed document (PDF, JPEG or PNG)"), required=False,
        help_text=_("A scan or photo of the mandate with both signatures. 5 MB at most."))

    class Meta:
        model = Mandate
        fields = ["representative", "scope", "signed_on", "signed_by_person",
                  "signed_by_representative", "starts_on", "ends_on"]
        widgets = {name: DatePicker()
                   for name in ("signed_on", "starts_on", "ends_on")}
        widgets["scope"] = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        close_to_the_person(self.fields["representative"], person)
        self.fields["signed_by_person"].required = True
        self.fields["signed_by_representative"].required = True
        self.fields["signed_by_person"].error_messages["required"] = _(
            "A mandate is valid only when the person signed it.")
        self.fields["signed_by_representative"].error_messages["required"] = _(
            "A mandate is valid only when the representative signed it.")

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            validate_document(document)
        return document

    def clean(self):
        cleaned = super().clean()
        signed, starts = cleaned.get("signed_on"), cleaned.get("starts_on")
        if signed and signed > timezone.localdate():
            self.add_error("signed_on", _("A mandate cannot be signed in the future."))
        if signed and starts and starts < signed:
            self.add_error("starts_on", _("A mandate cannot start before it was signed."))
        return cleaned


class ProtectionOrderForm(forms.ModelForm):
    class Meta:
        model = ProtectionOrder
        fields = ["administrator", "court", "ordered_on", "covers_patient_rights", "starts_on",
                  "ends_on"]
        widgets = {name: DatePicker() for name in ("ordered_on", "starts_on", "ends_on")}

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        close_to_the_person(self.fields["administrator"], person)
        self.fields["covers_patient_rights"].required = True
        self.fields["covers_patient_rights"].error_messages["required"] = _(
            "Record only an order that authorises the administrator to exercise the "
            "person's patient rights: without it, they do not represent the person in care.")

    def clean(self):
        cleaned = super().clean()
        ordered, starts = cleaned.get("ordered_on"), cleaned.get("starts_on")
        if ordered and ordered > timezone.localdate():
            self.add_error("ordered_on", _("An order cannot be dated in the future."))
        if ordered and starts and starts < ordered:
            self.add_error("starts_on", _("An order cannot be in force before it was given."))
        ends = cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("An order cannot end before it is in force."))
        return cleaned


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = CapacityAssessment
        fields = ["finding", "assessed_by", "assessed_on", "review_by", "note"]
        widgets = {"assessed_on": DatePicker(),
                   "review_by": DatePicker(),
                   "note": forms.Textarea(attrs={"rows": 2})}

    def clean_assessed_on(self):
        value = self.cleaned_data["assessed_on"]
        if value > timezone.localdate():
            raise ValidationError(_("An assessment cannot be in the future."), code="future")
        return value


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Their email address"), max_length=254)


class PortalSignupForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email address"), max_length=254,
                             help_text=_("You will log in with this address."))
    password1 = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), help_text=_("At least 10 characters."))
    password2 = forms.CharField(label=_("The same password again"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email=email).exists():
            raise ValidationError(_("An account with this address exists: log in first, "
                                    "then open the link again."), code="exists")
        return email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, User(
                    email=cleaned.get("email", ""), first_name=cleaned.get("first_name", ""),
                    last_name=cleaned.get("last_name", "")))
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
