"""The screening pages of a stay. Permissions are asked of relais.access; views stay thin.

Everyone who sees the stay reads its screenings (restricted findings only for the
hospital's staff and the safeguarding circle); only the hospital's staff screen.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from relais.access.policy import Action
from relais.stays import rules as stay_rules
from relais.stays import screening
from relais.stays.forms_screening import ExternalScoreForm, ScreeningForm
from relais.stays.instruments import INSTRUMENTS
from relais.stays.rules import works_at_hospital


@login_required
def screening_list(request, pk):
    stay = stay_rules.stay_for(request.user, pk)
    show_restricted = screening.sees_restricted_findings(request.user, stay)
    summaries = [screening.summarise(item, show_restricted=show_restricted)
                 for item in stay.screenings.select_related("author")]
    return render(request, "stays/screening_list.html", {
        "stay": stay, "summaries": summaries, "instruments": INSTRUMENTS.values(),
        "may_screen": works_at_hospital(request.user, stay)})


@login_required
def screening_new(request, pk, instrument):
    stay = stay_rules.stay_for(request.user, pk, Action.CHANGE)
    definition = INSTRUMENTS.get(instrument)
    if definition is None:
        raise Http404
    initial = definition.prefill(stay)
    form = ScreeningForm(definition, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            screening.record_screening(stay, definition.key, form.cleaned_data,
                                       actor=request.user, organisation=stay.hospital)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The screening was recorded."))
            return redirect("stays:screening_list", pk=stay.pk)
    return render(request, "stays/screening_form.html",
                  {"stay": stay, "form": form, "definition": definition,
                   "prefilled": bool(initial)})


@login_required
def external_new(request, pk):
    stay = stay_rules.stay_for(request.user, pk, Action.CHANGE)
    form = ExternalScoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            screening.record_external(stay, data["external_name"], data["external_score"],
                                      data["done_on"], actor=request.user,
                                      organisation=stay.hospital)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The score was recorded."))
            return redirect("stays:screening_list", pk=stay.pk)
    return render(request, "stays/screening_external_form.html", {"stay": stay, "form": form})
