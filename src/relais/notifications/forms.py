from django import forms

from relais.notifications.kinds import SWITCHABLE_GROUPS, EmailMode


class EmailModesForm(forms.Form):
    """One choice per group of notifications; alerts are not in it (always immediate)."""

    def __init__(self, *args, chosen: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for group in SWITCHABLE_GROUPS:
            self.fields[group.key] = forms.ChoiceField(
                label=group.label, choices=EmailMode.choices, widget=forms.RadioSelect,
                initial=chosen.get(group.key, EmailMode.IMMEDIATE))
