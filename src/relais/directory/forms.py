from django import forms
from django.utils.translation import gettext_lazy as _

from relais.accounts.forms import MunicipalityChoiceField
from relais.accounts.models import Organisation, OrganisationType, Ward
from relais.accounts.validators import compact_riziv, validate_riziv
from relais.core.forms import DatePicker, ReferenceChoiceField
from relais.core.models import CareZone, Municipality
from relais.directory.hours import format_hours, parse_hours
from relais.directory.models import Agreement, Category, Service, UrgentStart

LANGUAGE_CHOICES = [
    ("nl", _("Dutch")), ("fr", _("French")), ("en", _("English")), ("de", _("German")),
    ("ar", _("Arabic")), ("tr", _("Turkish")), ("es", _("Spanish")), ("it", _("Italian")),
    ("pt", _("Portuguese")), ("pl", _("Polish")), ("ro", _("Romanian")), ("ru", _("Russian")),
    ("uk", _("Ukrainian")), ("ln", _("Lingala")), ("sgn", _("Sign language")),
]


class ServiceForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    languages = forms.MultipleChoiceField(label=_("Languages spoken"), required=False,
                                          choices=LANGUAGE_CHOICES,
                                          widget=forms.CheckboxSelectMultiple)
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities served"), queryset=Municipality.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple)
    care_zones = forms.ModelMultipleChoiceField(
        label=_("Care zones served"), queryset=CareZone.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple)
    hours = forms.CharField(
        label=_("When to reach them"), required=False, max_length=500,
        help_text=_("Days and hours, e.g. mon-fri 8:00-17:00; sat 9:00-12:00 "
                    "(also lun-ven 8h-17h, ma-vr 8:00-17:00)."))

    class Meta:
        model = Service
        fields = [
            "category", "name_nl", "name_fr", "name_en", "description_nl", "description_fr",
            "description_en", "how_to_refer_nl", "how_to_refer_fr", "how_to_refer_en",
            "languages", "municipalities", "care_zones", "serves_all_brussels", "hours",
            "minimum_age",
            "maximum_age", "eligibility", "fees", "schedule", "contact_name", "contact_phone",
            "contact_email", "riziv_number", "urgent_start", "capacity", "typical_wait_days",
            "status",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in (
            "description_nl", "description_fr", "description_en", "how_to_refer_nl",
            "how_to_refer_fr", "how_to_refer_en", "eligibility", "fees")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.fields["municipalities"].label_from_instance = lambda m: m.bilingual_name
        if self.instance.pk:
            self.initial["languages"] = self.instance.languages.split()
            self.initial["hours"] = format_hours(self.instance.opening_hours.all())

    def clean_hours(self):
        return parse_hours(self.cleaned_data["hours"])

    def clean_riziv_number(self):
        value = self.cleaned_data["riziv_number"]
        if value:
            validate_riziv(value)
        return compact_riziv(value)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("What are you looking for?"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("All categories")), *Category.choices])
    municipality = MunicipalityChoiceField(label=_("Serves the municipality"), required=False,
                                           queryset=Municipality.objects.all(),
                                           empty_label=_("Anywhere"))
    zone = ReferenceChoiceField(label=_("Serves the care zone"), required=False,
                                  queryset=CareZone.objects.all(), empty_label=_("Any zone"),
                                  to_field_name="code")
    language = forms.ChoiceField(label=_("Speaks"), required=False,
                                 choices=[("", _("Any language")), *LANGUAGE_CHOICES])
    urgent = forms.ChoiceField(label=_("Can start"), required=False, choices=[
        ("", _("Whenever")), (UrgentStart.WITHIN_72H, _("within 72 hours")),
        (UrgentStart.WITHIN_24H, _("within 24 hours"))])
    accepting = forms.BooleanField(label=_("Accepting now"), required=False)


class AgreementForm(forms.ModelForm):
    """Opened from one organisation's page: the other side is chosen from the directory."""

    class Meta:
        model = Agreement
        fields = ["hospital", "ward", "partner", "kind", "description", "starts_on", "ends_on",
                  "hospital_contact", "partner_contact"]
        widgets = {"starts_on": DatePicker(), "ends_on": DatePicker(),
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        active = Organisation.objects.filter(is_active=True)
        hospitals = active.filter(type=OrganisationType.HOSPITAL)
        self.fields["hospital"].queryset = hospitals
        self.fields["partner"].queryset = active.exclude(type=OrganisationType.HOSPITAL)
        self.fields["ward"].queryset = Ward.objects.filter(organisation__in=hospitals)
        side = "hospital" if organisation.is_hospital else "partner"
        self.fields[side].initial = organisation.pk
        self.fields[side].disabled = True

    def clean(self):
        cleaned = super().clean()
        ward, hospital = cleaned.get("ward"), cleaned.get("hospital")
        if ward and hospital and ward.organisation_id != hospital.pk:
            self.add_error("ward", _("This ward belongs to another hospital."))
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("An agreement cannot end before it starts."))
        return cleaned
