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
        self.fields["kind"].choices = kinds_for(user)
        self.fields["audience"].choices = audiences_for(user)
        self.fields["named_members"].queryset = nameable_members(person.pk)

    @staticmethod
    def shape_for(user, prefix=None) -> tuple:
        """What the unbound form's HTML is made of, but the members: the choices offered
        (worked out without making the form: the booklet keeps its HTML by this)."""
        return prefix, tuple(kinds_for(user)), tuple(audiences_for(user))


def kinds_for(user) -> list:
    if user.is_professional:
        return EntryKind.choices
    return [(k, EntryKind(k).label) for k in PORTAL_KINDS]


def audiences_for(user) -> list:
    return [(value, label) for value, label in Audience.choices if may_use_audience(user, value)]


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
