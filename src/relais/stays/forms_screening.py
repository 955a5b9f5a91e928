"""Forms of the screening pages: one radio group per question, built from the instrument."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.core.forms import DatePicker
from relais.core.validators import validate_past_date


class ScreeningForm(forms.Form):
    """The instrument's questions as radio groups (a fieldset and legend each).

    The form only checks that each answer is one of the question's options; scoring
    and the final validation belong to the service, so that every path scores alike.
    """

    def __init__(self, definition, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for question in definition.questions:
            self.fields[question.key] = forms.ChoiceField(
                label=question.label, help_text=question.help, widget=forms.RadioSelect,
                choices=[(option.value, option.label) for option in question.options])


class ExternalScoreForm(forms.Form):
    """A licensed instrument scored elsewhere: which one, the score, and when."""

    external_name = forms.CharField(
        label=_("Instrument"), max_length=80,
        help_text=_("For example BelRAI screener or ISAR. Relais does not hold these "
                    "instruments' questions: enter the result you obtained."))
    external_score = forms.CharField(label=_("Score"), max_length=40,
                                     help_text=_("As the instrument gives it, e.g. 3 or 3/6."))
    done_on = forms.DateField(label=_("Done on"), widget=DatePicker,
                              initial=timezone.localdate, validators=[validate_past_date])
