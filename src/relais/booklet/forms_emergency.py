from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.booklet.emergency import SHEET_FIELDS, validate_photo
from relais.booklet.models import EmergencySheet
from relais.core.forms import DatePicker


class EmergencySheetForm(forms.ModelForm):
    """A new version of the sheet, opened from the current one (or empty)."""

    number = forms.IntegerField(widget=forms.HiddenInput, required=False)
    photo = forms.FileField(
        label=_("Photo (JPEG or PNG)"), required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("Helps emergency services recognise the person. 5 MB at most."))
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)

    class Meta:
        model = EmergencySheet
        fields = SHEET_FIELDS
        widgets = {"medication_updated_on": DatePicker(),
                   "conditions": forms.Textarea(attrs={"rows": 3}),
                   "allergies": forms.Textarea(attrs={"rows": 2}),
                   "medication": forms.Textarea(attrs={"rows": 6}),
                   "care_planning": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, previous=None, user=None, **kwargs):
        super().__init__(*args, instance=previous, **kwargs)
        self.fields["number"].initial = previous.number if previous else 0
        if previous is None or not previous.medication:
            self.initial.setdefault("medication_updated_on", timezone.localdate())
            self.initial.setdefault("medication_author", str(user or ""))
        self.fields["medication_author"].help_text = _(
            "When the list changes, today's date and your name are filled in unless you "
            "give others.")
        if previous is None or not previous.photo:
            del self.fields["remove_photo"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            validate_photo(photo)
        return photo

    def sheet_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in SHEET_FIELDS}
        data["photo"] = self.cleaned_data.get("photo")
        data["remove_photo"] = self.cleaned_data.get("remove_photo", False)
        return data
