"""Forms of refusals and the watch. The services check again (owner, dates, reasons):
these forms only shape the input."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import User
from relais.core.fields import NOTE, REASON
from relais.followup.models import Capacity, CheckInStatus, RefusalReason, Rhythm


def _owner_field(candidates, *, required: bool):
    field = forms.ModelChoiceField(
        label=_("Who keeps an eye"), queryset=User.objects.filter(
            pk__in=[user.pk for user in candidates]).order_by("first_name", "last_name"),
        required=required, empty_label=_("Choose someone"))
    field.label_from_instance = lambda user: user.get_full_name() or user.email
    return field


class RefusalForm(forms.Form):
    offered = forms.CharField(label=_("What was offered"), max_length=300)
    reasons = forms.MultipleChoiceField(label=_("Reasons"), choices=RefusalReason.choices,
                                        required=False, widget=forms.CheckboxSelectMultiple)
    reason_text = forms.CharField(label=_("Reasons, in words"), required=False,
                                  max_length=REASON, widget=forms.Textarea(attrs={"rows": 2}))
    own_words = forms.CharField(
        label=_("In the person's own words (if they want)"), required=False,
        max_length=NOTE, widget=forms.Textarea(attrs={"rows": 2}))
    capacity = forms.ChoiceField(label=_("Is the person able to decide?"),
                                 choices=Capacity.choices, widget=forms.RadioSelect)
    start_watch = forms.BooleanField(label=_("Keep an eye on the situation (a watch)"),
                                     required=False, initial=True)
    no_watch_reason = forms.CharField(
        label=_("Without a watch: why"), required=False, max_length=REASON,
        widget=forms.Textarea(attrs={"rows": 2}))
    rhythm = forms.ChoiceField(label=_("Check in"), choices=Rhythm.choices,
                               initial=Rhythm.FORTNIGHTLY)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = _owner_field(owners, required=False)
        self.fields["owner"].help_text = _("Yourself when nobody is chosen.")


class WatchForm(forms.Form):
    rhythm = forms.ChoiceField(label=_("Check in"), choices=Rhythm.choices,
                               initial=Rhythm.FORTNIGHTLY)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Not required here: the service refuses a watch without owner in words.
        self.fields["owner"] = _owner_field(owners, required=False)


class CheckInForm(forms.Form):
    status = forms.ChoiceField(label=_("How does it go?"), choices=CheckInStatus.choices,
                               widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE,
                           widget=forms.Textarea(attrs={"rows": 3}))
    at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                    format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class EndWatchForm(forms.Form):
    end_reason = forms.CharField(label=_("Why the watch ends"), max_length=REASON,
                                 widget=forms.Textarea(attrs={"rows": 2}))
