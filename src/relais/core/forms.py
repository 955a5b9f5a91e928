from django import forms


class DatePicker(forms.DateInput):
    """The browser's own date picker: it needs ISO dates whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
