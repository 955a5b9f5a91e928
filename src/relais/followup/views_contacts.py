"""Pages of the follow-up after discharge: a follow-up, recording a contact (one minute,
from a phone), reassigning its owner. The protocols have their own (views_protocols.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.access.policy import Action
from relais.followup import contacts, rules
from relais.followup.forms_contacts import NEXT_STEPS, ReassignForm, RecordContactForm
from relais.stays.rules import hospital_ids


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
def followup_detail(request, pk):
    if not request.user.is_professional:  # professionals' notes on how the person is doing
        raise Http404
    followup = rules.followup_for(request.user, pk)
    return render(request, "followup/followup_detail.html", {
        "followup": followup, "person": followup.person,
        "contacts": followup.contacts.select_related("owner", "owner_organisation", "step"),
        "may_record": rules.may_work_on(request.user, followup.person),
        "today": timezone.localdate()})


@login_required
def contact_record(request, pk):
    contact = rules.contact_for(request.user, pk, Action.CHANGE)
    followup = contact.followup
    form = RecordContactForm(request.POST or None, initial={"version": contact.version})
    form.fields["next_step"].choices = _next_steps(request.user, followup)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contacts.record_contact(
                contact, actor=request.user, outcome=data["outcome"], note=data["note"],
                happened_at=data["happened_at"], expected_version=data["version"],
                alert=data["alert"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The contact is recorded."))
            return redirect(_after_record(data["next_step"], followup))
    return render(request, "followup/contact_record.html", {
        "form": form, "contact": contact, "followup": followup, "person": followup.person})


def _next_steps(user, followup) -> list:
    # A referral is asked from the hospital's stay page: offered to its staff only.
    may_refer = followup.stay_id and followup.stay.hospital_id in hospital_ids(user)
    return [(value, label) for value, label in NEXT_STEPS if value != "referral" or may_refer]


def _after_record(next_step: str, followup) -> str:
    if next_step == "referral":
        return reverse("stays:referral_new", args=[followup.stay_id])
    if next_step == "watch":
        return _watch_url(followup.person_id)
    return reverse("followup:followup_detail", args=[followup.pk])


def _watch_url(person_pk) -> str:
    # The watch's pages are another part of the app (urls_watch.py); its path, should
    # that part not be there.
    try:
        return reverse("followup:watch_new", args=[person_pk])
    except NoReverseMatch:
        return f"/persons/{person_pk}/watch/new/"


@login_required
def contact_reassign(request, pk):
    contact = rules.contact_for(request.user, pk, Action.CHANGE)
    person = contact.followup.person
    form = ReassignForm(request.POST or None, initial={"version": contact.version},
                        candidates=contacts.owner_candidates(person))
    if request.method == "POST" and form.is_valid():
        try:
            contacts.reassign(contact, actor=request.user, owner=form.cleaned_data["owner"],
                              expected_version=form.cleaned_data["version"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The contact has a new owner."))
            return redirect("followup:followup_detail", contact.followup_id)
    return render(request, "followup/contact_reassign.html", {
        "form": form, "contact": contact, "person": person})
