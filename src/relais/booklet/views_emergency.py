"""The emergency sheet (R6): read by everyone who sees the person, written by the
professionals who may change the record. Thin views: load through relais.access, call
relais.booklet.emergency."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relais.access import policy
from relais.access.policy import Action
from relais.audit import log as audit
from relais.booklet import emergency
from relais.booklet.forms_emergency import EmergencySheetForm
from relais.booklet.qr import qr_svg, summary_text
from relais.core.models import VersionConflict
from relais.core.uploads import open_stored
from relais.network import rules as network_rules
from relais.network.models import Person


@login_required
def emergency_sheet(request, pk):
    """The current sheet, with the contacts as they are now in the network."""
    person = network_rules.person_for(request.user, pk)
    sheet = emergency.current_sheet(person)
    context = _sheet_context(request.user, person, sheet, emergency.contacts_snapshot(person))
    last_print = emergency.SheetPrint.objects.filter(person=person).order_by(
        "-printed_at", "-pk").first()
    context |= {"is_current": True, "printing": request.GET.get("print") == "1",
                "print_outdated": bool(last_print and last_print.outdated_at)}
    return render(request, "booklet/emergency_sheet.html", context)


@login_required
def emergency_version(request, pk, number):
    """An earlier version, with the contacts it was saved with, less those whom the reader
    must not see named (for the person's side, the members excluded since: R14)."""
    person = network_rules.person_for(request.user, pk)
    sheet = person.emergency_sheets.select_related("created_by").filter(number=number).first()
    if sheet is None:
        raise Http404
    contacts = emergency.without_members(
        sheet.contacts, network_rules.members_hidden_from(request.user, person))
    context = _sheet_context(request.user, person, sheet, contacts)
    context["is_current"] = sheet.number == emergency.current_sheet(person).number
    return render(request, "booklet/emergency_sheet.html", context)


def _sheet_context(user, person, sheet, contacts: dict) -> dict:
    context = {"person": person, "sheet": sheet, "contacts": emergency.labelled(contacts),
               "may_change": policy.policy_for(Person).allows(user, person, Action.CHANGE)}
    if sheet is not None:
        text = summary_text(person, sheet, contacts)
        context |= {"qr_text": text, "qr_svg": qr_svg(text, title=_(
            "QR code: the sheet's summary as text"))}
    return context


@login_required
@require_POST
def emergency_print(request, pk):
    """Record that the current sheet goes into the box, then show the print button."""
    person = network_rules.person_for(request.user, pk)
    try:
        emergency.record_print(person, actor=request.user)
    except emergency.NothingToPrint:
        raise Http404 from None
    return redirect(reverse("booklet:emergency_sheet", args=[person.pk]) + "?print=1")


@login_required
def emergency_edit(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    previous = emergency.current_sheet(person)
    form = EmergencySheetForm(request.POST or None, request.FILES or None, previous=previous,
                              user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            sheet = emergency.save_sheet(person, form.sheet_data(), actor=request.user,
                                         expected_number=form.cleaned_data["number"] or 0)
        except VersionConflict:
            retry = reverse("booklet:emergency_edit", args=[person.pk])
            return render(request, "conflict.html", {"retry_url": retry}, status=409)
        messages.success(request, _("Version %(number)s of the emergency sheet is saved.")
                         % {"number": sheet.number})
        return redirect("booklet:emergency_sheet", pk=person.pk)
    return render(request, "booklet/emergency_edit.html",
                  {"form": form, "person": person,
                   "next_number": (previous.number if previous else 0) + 1})


@login_required
def emergency_history(request, pk):
    person = network_rules.person_for(request.user, pk)
    sheets = person.emergency_sheets.select_related("created_by").order_by("-number")
    prints = emergency.SheetPrint.objects.filter(person=person).select_related(
        "sheet", "printed_by").order_by("-printed_at", "-pk")
    return render(request, "booklet/emergency_history.html",
                  {"person": person, "sheets": sheets, "prints": prints})


@login_required
def emergency_photo(request, pk, number):
    """The photo, only through the gate: never from a public URL."""
    person = network_rules.person_for(request.user, pk)
    sheet = person.emergency_sheets.filter(number=number).exclude(photo="").first()
    if sheet is None:
        raise Http404
    photo = open_stored(sheet.photo)
    audit.record("emergency_sheet.photo_read", actor=request.user, target=sheet,
                 person_id=person.pk)
    response = FileResponse(photo, content_type=sheet.photo_type)
    response["Cache-Control"] = "private, no-store"
    return response
