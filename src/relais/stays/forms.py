from django import forms
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Organisation, Ward
from relais.core.fields import NOTE, REASON
from relais.core.forms import DatePicker
from relais.core.validators import validate_planning_date
from relais.directory.models import Category
from relais.stays.models import (
    AdmissionBrief,
    DeclineReason,
    Destination,
    Domain,
    ItemStatus,
    Referral,
    Stay,
    Urgency,
)


class DateTimePicker(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class StayForm(forms.Form):
    hospital = forms.ModelChoiceField(Organisation.objects.none(), label=_("Hospital"))
    ward = forms.ModelChoiceField(Ward.objects.none(), label=_("Ward"), required=False)
    admitted_at = forms.DateTimeField(label=_("Admitted at"), widget=DateTimePicker(),
                                      validators=[validate_planning_date])
    expected_discharge_on = forms.DateField(label=_("Expected discharge date"), required=False,
                                            widget=DatePicker(),
                                            validators=[validate_planning_date])

    def __init__(self, *args, hospitals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hospital"].queryset = hospitals
        self.fields["ward"].queryset = Ward.objects.filter(organisation__in=hospitals)
        if len(hospitals) == 1:
            self.fields["hospital"].initial = hospitals[0]

    def clean(self):
        data = super().clean()
        ward, hospital = data.get("ward"), data.get("hospital")
        if ward and hospital and ward.organisation_id != hospital.pk:
            self.add_error("ward", _("This ward belongs to another hospital."))
        return data


class GoingHomeForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Stay
        fields = ["watch_for", "appointments", "explained_by"]
        widgets = {"watch_for": forms.Textarea(attrs={"rows": 4}),
                   "appointments": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "watch_for": _("Plain words, e.g. “Call the GP if the leg swells or you have "
                           "a fever.”"),
            "appointments": _("E.g. “Mon 12/1 10:00 Dr Peeters, cardiology, route 42.”"),
            "explained_by": _("E.g. “Nurse Anne explained the medicines to Luc.”"),
        }


class ExpectedDateForm(forms.Form):
    expected_discharge_on = forms.DateField(label=_("Expected discharge date"), required=False,
                                            widget=DatePicker(),
                                            validators=[validate_planning_date])
    version = forms.IntegerField(widget=forms.HiddenInput)


class ItemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices)
    owner = forms.IntegerField(required=False)  # checked against the hospital's staff
    version = forms.IntegerField(widget=forms.HiddenInput)


class DischargeForm(forms.Form):
    discharged_at = forms.DateTimeField(label=_("Discharged at"), widget=DateTimePicker(),
                                        validators=[validate_planning_date])
    destination = forms.ChoiceField(label=_("Destination"), choices=Destination.choices)
    reason = forms.CharField(label=_("Why the person leaves with open items"), required=False,
                             max_length=REASON, widget=forms.Textarea(attrs={"rows": 3}))
    followup_within_days = forms.IntegerField(
        label=_("First contact at home within (days)"), required=False, min_value=0,
        max_value=90, help_text=_("The follow-up will schedule a call or visit from this."))
    followup_needs = forms.CharField(label=_("What follow-up needs"), required=False,
                                     max_length=NOTE, widget=forms.Textarea(attrs={"rows": 3}))


class NeedForm(forms.Form):
    """Step 1 of a referral: what kind of help, how urgent."""

    category = forms.ChoiceField(label=_("Kind of help"), choices=Category.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices,
                                initial=Urgency.ROUTINE)


class ReferralForm(forms.ModelForm):
    """Step 2: the needs analysis, mandatory in every field."""

    class Meta:
        model = Referral
        fields = ["help_needed", "frequency", "start_on", "reason", "person_wishes", "urgency",
                  "person_agrees"]
        widgets = {"start_on": DatePicker(),
                   "help_needed": forms.Textarea(attrs={"rows": 3}),
                   "reason": forms.Textarea(attrs={"rows": 3}),
                   "person_wishes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "help_needed": _("E.g. help with washing and dressing, wound care."),
            "frequency": _("E.g. every morning; twice a week."),
            "person_wishes": _("In the person's words: what they want, and what they refuse."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person_agrees"].required = True


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=DeclineReason.choices)
    note = forms.CharField(label=_("Explanation"), required=False, max_length=REASON,
                           widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class AdmissionBriefForm(forms.ModelForm):
    class Meta:
        model = AdmissionBrief
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"text": _(
            "For the hospital at an admission: habits, what helps, who comes when, what the "
            "person fears. No need to repeat the network: the hospital sees it.")}


class PlanItemForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=Domain.choices)
    text = forms.CharField(label=_("What needs doing"), max_length=200)
    blocking = forms.BooleanField(label=_("Blocks discharge"), required=False, initial=True)


class TemplateItemForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=Domain.choices)
    text_nl = forms.CharField(label=_("Text (Dutch)"), max_length=200)
    text_fr = forms.CharField(label=_("Text (French)"), max_length=200)
    text_en = forms.CharField(label=_("Text (English)"), max_length=200)
    blocking = forms.BooleanField(label=_("Blocks discharge"), required=False, initial=True)
