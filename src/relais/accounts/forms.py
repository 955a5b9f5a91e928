from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from relais.accounts import lockout
from relais.accounts.models import Function, Membership, Organisation, User, Ward
from relais.accounts.validators import compact_kbo, compact_riziv
from relais.core.forms import ReferenceChoiceField
from relais.core.models import Municipality


class LoginForm(AuthenticationForm):
    """Email and password; one message for every failure, so nobody learns who has an account."""

    error_messages = {
        "invalid_login": _(
            "The email address or the password is not correct. Capital letters matter in "
            "the password, not in the email address."
        ),
        "inactive": _(
            "The email address or the password is not correct. Capital letters matter in "
            "the password, not in the email address."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email address")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "inputmode": "email", "autofocus": True}
        )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        lockout.slow_down(self.cleaned_data.get("username", ""))
        return super().clean()


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "").strip()


class MunicipalityChoiceField(ReferenceChoiceField):
    def label_from_instance(self, obj):
        return obj.bilingual_name


class OrganisationForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    municipality = MunicipalityChoiceField(
        queryset=Municipality.objects.all(), required=False, label=_("Municipality")
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name", "type", "kbo_number", "street", "postcode", "municipality", "phone",
            "email", "website", "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        if self.instance.pk:
            self.fields["type"].disabled = True  # a hospital stays a hospital

    def clean_kbo_number(self):
        value = self.cleaned_data["kbo_number"]
        return compact_kbo(value) if value else ""


class WardForm(forms.ModelForm):
    class Meta:
        model = Ward
        fields = ["name", "has_liaison", "phone", "liaison_contact", "visiting_hours", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class AddMemberForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    function = forms.ChoiceField(label=_("Function"), choices=Function.choices)
    is_manager = forms.BooleanField(
        label=_("Manages the organisation"), required=False,
        help_text=_("Managers keep the organisation's details, wards and members up to date."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean(self):
        cleaned = super().clean()
        email, function = cleaned.get("email", "").lower(), cleaned.get("function")
        already = Membership.objects.active().filter(
            organisation=self.organisation, user__email=email, function=function
        )
        if email and function and already.exists():
            raise forms.ValidationError(
                _("This person already works here in this function."), code="duplicate"
            )
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "language", "profession", "riziv_number"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("riziv_number"):
            cleaned["riziv_number"] = compact_riziv(cleaned["riziv_number"])
        return cleaned
