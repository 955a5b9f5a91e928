from django import forms
from django.utils.translation import gettext_lazy as _

from relais.audit.models import Outcome
from relais.core.forms import DatePicker


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who (email)"), required=False)
    action = forms.CharField(label=_("Action"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("Any"))] + Outcome.choices
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=DatePicker()
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=DatePicker()
    )

    def filter(self, events):
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["actor"]:
            events = events.filter(actor_label__icontains=data["actor"])
        if data["action"]:
            events = events.filter(action__startswith=data["action"])
        if data["outcome"]:
            events = events.filter(outcome=data["outcome"])
        if data["since"]:
            events = events.filter(occurred_at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(occurred_at__date__lte=data["until"])
        return events
