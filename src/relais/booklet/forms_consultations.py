"""Forms of asynchronous consultations (R10); the rules are checked by the services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.booklet.consultations import CHOICE_LENGTH, DEFAULT_DEADLINE, MAX_CHOICES
from relais.core.fields import LONG_NOTE, NOTE
from relais.core.validators import validate_planning_date


class DateTimePicker(forms.DateTimeInput):
    """The browser's own picker: it needs ISO values whatever the page's language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, member):
        roles = ", ".join(str(role.get_role_display()) for role in member.roles.all())
        label = f"{member.display_name} ({roles})" if roles else member.display_name
        if not (member.user_id or member.organisation_id):
            return _("%(member)s — by email, without an account") % {"member": label}
        return label


class ConsultationForm(forms.Form):
    members = MemberChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple,
                                label=_("Whom to ask"),
                                help_text=_("Members of the network with an account or an "
                                            "email address."))
    question = forms.CharField(label=_("Question"), max_length=NOTE,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("E.g. “Can someone visit on the day of "
                                           "discharge?”"))
    # Each choice is checked by the service; this only stops a flood (a line break each).
    choices = forms.CharField(label=_("Answer choices"), required=False,
                              max_length=MAX_CHOICES * (CHOICE_LENGTH + 2),
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Optional: one choice per line. Leave empty "
                                          "for a free answer."))
    deadline = forms.DateTimeField(label=_("Answer by"), widget=DateTimePicker(),
                                   validators=[validate_planning_date])

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members.prefetch_related("roles")
        self.fields["deadline"].initial = (timezone.localtime() + DEFAULT_DEADLINE).replace(
            second=0, microsecond=0)

    def choice_list(self) -> list[str]:
        return self.cleaned_data["choices"].splitlines()


class AnswerForm(forms.Form):
    """One question: its choices as radio buttons (if any) and a text box."""

    choice = forms.ChoiceField(label=_("Your answer"), required=False,
                               widget=forms.RadioSelect)
    text = forms.CharField(label=_("Comment"), required=False, max_length=LONG_NOTE,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, consultation, ask_name: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if consultation.choices:
            self.fields["choice"].choices = [(c, c) for c in consultation.choices]
            self.fields["choice"].required = True
        else:
            del self.fields["choice"]
            self.fields["text"].label = _("Your answer")
            self.fields["text"].required = True
        if ask_name:
            self.fields["answered_as"] = forms.CharField(
                label=_("Your name and function"), max_length=200,
                help_text=_("E.g. “Anne Dubois, physiotherapist”. Shown with your answer."))


class DecisionForm(forms.Form):
    decision = forms.CharField(label=_("Decision"), max_length=LONG_NOTE,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Posted to the booklet for the whole network; "
                                           "everyone asked is told."))
