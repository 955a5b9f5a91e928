from django import forms
from django.utils.translation import gettext_lazy as _

from relais.booklet.models import PORTAL_KINDS, Audience, EntryKind
from relais.booklet.services import may_use_audience
from relais.core.fields import TEXT
from relais.core.forms import DatePicker
from relais.network.models import NetworkMember


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EntryKind.choices)
    audience = forms.ChoiceField(label=_("Who may read it"), choices=Audience.choices)
    named_members = forms.ModelMultipleChoiceField(
        NetworkMember.objects.none(), label=_("Named members"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for “Named members only”."))
    body = forms.CharField(label=_("Text"), max_length=TEXT,
                           widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(label=_("Attachment (PDF, JPEG or PNG)"), required=False)

    def __init__(self, *args, user, person, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_professional:
            self.fields["kind"].choices = [(k, EntryKind(k).label) for k in PORTAL_KINDS]
        self.fields["audience"].choices = [(value, label) for value, label in Audience.choices
                                           if may_use_audience(user, value)]
        self.fields["named_members"].queryset = nameable_members(person.pk)

    def shape(self) -> tuple:
        """What the unbound form's HTML is made of, but the members: the choices offered."""
        return (self.prefix, tuple(self.fields["kind"].choices),
                tuple(self.fields["audience"].choices))


def nameable_members(person_id):
    """Members an entry may be addressed to. Each choice is labelled with the member's
    name: load the user and organisation it comes from in the same query."""
    return NetworkMember.objects.active().filter(
        person_id=person_id, never_inform=False).exclude(relation="self").select_related(
        "user", "organisation")


class CorrectionForm(forms.Form):
    body = forms.CharField(label=_("Corrected text"), max_length=TEXT,
                           widget=forms.Textarea(attrs={"rows": 4}))


class BookletFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *EntryKind.choices])
    author = forms.IntegerField(label=_("Author"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DatePicker())
    until = forms.DateField(label=_("Until"), required=False, widget=DatePicker())
