"""Forms of case reviews (R12); the anonymity checks are the service's (reviews.py)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.followup.models import CaseReview, ReviewKind
from relais.followup.reviews import Theme


class MonthInput(forms.DateInput):
    """The browser's month picker where it has one; elsewhere "2026-03" or "03/2026"."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class ReviewForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("About"), choices=ReviewKind.choices,
                             widget=forms.RadioSelect)
    themes = forms.MultipleChoiceField(label=_("Themes"), choices=Theme.choices,
                                       widget=forms.CheckboxSelectMultiple)
    month = forms.DateField(label=_("Month"), widget=MonthInput,
                            input_formats=["%Y-%m", "%m/%Y", "%m-%Y"],
                            help_text=_("The month only, never the day."))

    class Meta:
        model = CaseReview
        fields = ["kind", "themes", "month", "situation", "tried", "blocked", "lessons",
                  "proposals"]
        widgets = {name: forms.Textarea(attrs={"rows": 4})
                   for name in ["situation", "tried", "blocked", "lessons", "proposals"]}
        help_texts = {"situation": _("Without names, numbers, addresses or exact dates: "
                                     "write roles (“the daughter”, “the GP”) and the "
                                     "month.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].initial = timezone.localdate().replace(day=1)


class DiscussedForm(forms.Form):
    discussed_on = forms.DateField(label=_("Discussed in a team session on"),
                                   widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"))


class ReviewFilter(forms.Form):
    theme = forms.ChoiceField(label=_("Theme"), required=False,
                              choices=[("", _("All themes")), *Theme.choices])
    kind = forms.ChoiceField(label=_("About"), required=False,
                             choices=[("", _("All")), *ReviewKind.choices])
