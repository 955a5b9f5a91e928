"""Forms of the follow-up contacts: recording one in a minute, reassigning its owner."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import User
from relais.core.fields import NOTE
from relais.followup.contacts import OUTCOMES
from relais.followup.models import ContactStatus

NEXT_STEPS = [("", _("Nothing more")),
              ("referral", _("Ask for help: a new referral")),
              ("watch", _("Keep an eye: start a watch"))]


class RecordContactForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did it go?"), widget=forms.RadioSelect,
        choices=[(value, ContactStatus(value).label) for value in OUTCOMES])
    note = forms.CharField(label=_("Short note"), required=False, max_length=NOTE,
                           widget=forms.Textarea(attrs={"rows": 3}))
    happened_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                    format="%Y-%m-%dT%H:%M"))
    alert = forms.CharField(
        label=_("Alert in the booklet (for health professionals)"), required=False,
        max_length=NOTE, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty when there is nothing to alert about."))
    next_step = forms.ChoiceField(label=_("What follows"), choices=NEXT_STEPS, required=False,
                                  widget=forms.RadioSelect)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["happened_at"].initial = timezone.localtime().replace(second=0,
                                                                          microsecond=0)


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=None)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(pk__in=[u.pk for u in candidates])
