"""Forms of the thematic consultations; the rules themselves are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import OrganisationType
from relais.followup.reviews import Theme
from relais.thematic import indicators, services
from relais.thematic.models import (
    ActionStatus,
    JointAction,
    Section,
    ThematicSession,
)

DATE = {"type": "date"}


def _date_widget():
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


class SessionForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    review_themes = forms.MultipleChoiceField(
        label=_("Themes of the case reviews to prepare with"), choices=Theme.choices,
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("The preparation pack gathers the zone's anonymised case reviews "
                    "tagged with these themes."))

    class Meta:
        model = ThematicSession
        fields = ["language", "theme_nl", "theme_fr", "review_themes", "held_on", "hours",
                  "place", "agenda_nl", "agenda_fr", "expectations_nl", "expectations_fr",
                  "previous", "next_on", "next_hours", "next_place"]
        widgets = {"held_on": _date_widget(), "next_on": _date_widget(),
                   **{name: forms.Textarea(attrs={"rows": 4}) for name in
                      ["agenda_nl", "agenda_fr", "expectations_nl", "expectations_fr"]}}
        help_texts = {"language": _("The report's own language; the other language's "
                                    "texts are its translation and may follow later."),
                      "previous": _("The next session opens with its joint actions.")}

    def __init__(self, *args, care_zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        zone = care_zone or getattr(self.instance, "care_zone", None)
        earlier = ThematicSession.objects.filter(care_zone=zone).select_related("care_zone")
        if self.instance.pk:
            earlier = earlier.exclude(pk=self.instance.pk)
        self.fields["previous"].queryset = earlier
        self.fields["previous"].required = False


class NewSessionForm(SessionForm):
    care_zone = forms.ModelChoiceField(label=_("Care zone"), queryset=None)

    def __init__(self, *args, zones=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_zone"].queryset = zones
        self.fields["previous"].widget = forms.HiddenInput()
        self.order_fields(["care_zone"])


class ParticipationForm(forms.Form):
    """Per sector: organisations present and participants (counts, never names)."""

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        current = {row.sector: row for row in session.sectors.all()}
        self.rows = []
        for sector, label in OrganisationType.choices:
            row = current.get(sector)
            for kind, verbose, value in (
                    ("orgs", _("organisations"), row.organisations if row else 0),
                    ("people", _("participants"), row.participants if row else 0)):
                self.fields[f"{kind}_{sector}"] = forms.IntegerField(
                    label=f"{label}: {verbose}", min_value=0, max_value=services.MAX_COUNT,
                    initial=value, required=False)
            self.rows.append((label, self[f"orgs_{sector}"], self[f"people_{sector}"]))

    def counts(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {sector: (data[f"orgs_{sector}"] or 0, data[f"people_{sector}"] or 0)
                for sector in OrganisationType.values}


class CodesField(forms.CharField):
    """Codes separated by commas or spaces ("R3, R15")."""

    def to_python(self, value):
        return [code for code in (super().to_python(value) or "").replace(",", " ").split()]


class FindingForm(forms.Form):
    section = forms.ChoiceField(label=_("Section"), choices=Section.choices)
    text_nl = forms.CharField(label=_("Text (Dutch)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    text_fr = forms.CharField(label=_("Text (French)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    indicators = forms.MultipleChoiceField(
        label=_("Indicators"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("The observatory's figures this finding is about."))
    requirements = CodesField(label=_("Requirements"), required=False, max_length=200,
                              help_text=_("From R1 to R22, separated by commas, e.g. "
                                          "“R3, R15”."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = indicator_choices()

    @classmethod
    def for_finding(cls, finding, data=None):
        return cls(data, initial={
            "section": finding.section, "text_nl": finding.text_nl,
            "text_fr": finding.text_fr, "indicators": finding.indicators,
            "requirements": ", ".join(finding.requirements)})


def indicator_choices() -> list[tuple[str, str]]:
    return sorted(indicators.catalogue().items(), key=lambda item: item[1])


class ActionForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    indicator = forms.ChoiceField(label=_("Indicator to watch"), required=False)
    partners = forms.ModelMultipleChoiceField(label=_("Partners"), queryset=None,
                                              required=False,
                                              widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = JointAction
        fields = ["title_nl", "title_fr", "owner", "partners", "due_on", "indicator"]
        widgets = {"title_nl": forms.Textarea(attrs={"rows": 2}),
                   "title_fr": forms.Textarea(attrs={"rows": 2}),
                   "due_on": _date_widget()}

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", "—"), *indicator_choices()]
        self.fields["indicator"].help_text = _("The observatory's figure that shows whether "
                                               "the action works.")
        self.fields["owner"].queryset = organisations
        self.fields["partners"].queryset = organisations


class ProgressForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label=_("Progress"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Unchanged")), *[
            (s, ActionStatus(s).label) for s in services.allowed_statuses(action)]]
        self.fields["version"].initial = action.version


class PresentationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    document = forms.FileField(label=_("File (PDF, JPEG or PNG)"), required=False)
    url = forms.URLField(label=_("Or its public address"), required=False, max_length=200,
                         assume_scheme="https")
