"""Forms of the protocol pages: what a protocol applies to, and its steps (a formset: one
fieldset per step, an empty one to add a step, "remove" to drop one). The service checks
the steps as a whole (protocols.check_steps); the fields say the same limits, so that a
phone shows a number keyboard and the browser refuses what the service would."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from relais.core.fields import NOTE
from relais.followup import protocols
from relais.followup.models import Channel, OwnerRole, ScreeningResult
from relais.network.models import PriorityGroup
from relais.stays.models import Destination


class ProtocolForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    destination = forms.ChoiceField(
        label=_("For discharges to"), required=False,
        choices=[("", _("Any destination")), *Destination.choices])
    priority_group = forms.ChoiceField(
        label=_("For persons in the priority group"), required=False,
        choices=[("", _("Any priority group or none")), *PriorityGroup.choices])
    screening_result = forms.ChoiceField(label=_("For a screening result"), required=False,
                                         choices=ScreeningResult.choices)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:  # adapting a protocol: whose it becomes
            self.fields["owner"] = forms.ChoiceField(label=_("Protocol of"), choices=owners)
            self.order_fields(["owner"])

    def clean_name(self) -> str:
        return protocols.as_stored(self.cleaned_data["name"].strip())

    def applies_to(self) -> dict:
        return {field: self.cleaned_data[field] for field in protocols.APPLIES_TO}


def _number(label, low, high, **options):
    return forms.IntegerField(label=label, min_value=low, max_value=high, **options)


class StepForm(forms.Form):
    day = _number(_("Day after discharge"), 1, protocols.MAX_DAY)
    business_days = forms.BooleanField(
        label=_("Count working days"), required=False,
        help_text=_("Skip weekends and Belgian public holidays."))
    owner_role = forms.ChoiceField(label=_("Owner"), choices=OwnerRole.choices,
                                   initial=OwnerRole.RELAY)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices,
                                initial=Channel.PHONE)
    what_to_check = forms.CharField(label=_("What to check"), required=False,
                                    max_length=NOTE,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    max_attempts = _number(_("Attempts"), 1, protocols.MAX_ATTEMPTS, initial=3)
    retry_after_days = _number(_("Not reached: try again after (days)"), 1,
                               protocols.MAX_RETRY_DAYS, initial=1)
    escalate_to_coordinators_after_days = _number(
        _("Overdue: tell the owner's coordinators after (days)"), 0,
        protocols.MAX_ESCALATION_DAYS, initial=1)
    escalate_to_care_zone_after_days = _number(
        _("Overdue: tell the care-zone team after (days)"), 1,
        protocols.MAX_ESCALATION_DAYS, initial=3)

    def clean_what_to_check(self) -> str:
        return protocols.as_stored(self.cleaned_data["what_to_check"].strip())


class BaseStepFormSet(forms.BaseFormSet):
    deletion_widget = forms.CheckboxInput

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = pgettext_lazy("a protocol step", "Remove this step")

    def steps(self) -> list[dict]:
        """The steps kept: filled in and not removed."""
        return [{field: form.cleaned_data[field] for field in protocols.STEP_FIELDS}
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=1,
                                    can_delete=True, max_num=protocols.MAX_STEPS,
                                    absolute_max=protocols.MAX_STEPS + 1, validate_max=True)


def step_initial(protocol) -> list[dict]:
    """The steps of `protocol` as the form's initial rows, the default's texts in the
    reader's language."""
    return [{**{field: getattr(step, field) for field in protocols.STEP_FIELDS},
             "what_to_check": protocols.shown(step.what_to_check)}
            for step in protocol.steps.all()]
