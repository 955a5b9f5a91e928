"""Pages of refusals and the watch: record a refusal, start a watch, check in, end it,
and restart support in one click (a referral pre-filled from the last needs analysis,
sent by the watch's owner or the person's network)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relais.access import policy
from relais.accounts.middleware import acting_organisation
from relais.core.text import is_digits
from relais.directory import rules as directory_rules
from relais.directory.matching import match_services
from relais.directory.models import Service
from relais.followup import rules, watch
from relais.followup.forms_watch import CheckInForm, EndWatchForm, RefusalForm, WatchForm
from relais.network import rules as network_rules
from relais.stays import referrals
from relais.stays.forms import NeedForm, ReferralForm
from relais.stays.models import Referral


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _person_to_work_on(request, pk):
    """The person, for a professional who may work on them; else 404 (as if missing)."""
    person = network_rules.person_for(request.user, pk)
    if not rules.may_work_on(request.user, person):
        raise Http404
    return person


def _watch_to_work_on(request, pk):
    found = rules.watch_for(request.user, pk)
    if not rules.may_work_on(request.user, found.person):
        raise Http404
    return found


def _declined_referral(request, person):
    """The referral the person declined, named in ?referral= (through the gate)."""
    pk = request.GET.get("referral", "")
    if not is_digits(pk):
        return None
    return policy.visible(request.user, Referral.objects.filter(person=person, pk=pk)
                          ).select_related("service").first()


@login_required
def refusal_new(request, pk):
    person = _person_to_work_on(request, pk)
    referral = _declined_referral(request, person)
    initial = {"offered": str(referral.service.name) if referral else ""}
    form = RefusalForm(request.POST or None, initial=initial,
                       owners=watch.owner_candidates(person, request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            watch.record_refusal(
                person, offered=data["offered"], reasons=data["reasons"],
                reason_text=data["reason_text"], own_words=data["own_words"],
                capacity=data["capacity"], actor=request.user,
                organisation=acting_organisation(request), referral=referral,
                service=referral.service if referral else None,
                start_watch=data["start_watch"], no_watch_reason=data["no_watch_reason"],
                owner=data["owner"], rhythm=data["rhythm"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The refusal is recorded."))
            return redirect("network:person_detail", person.pk)
    return render(request, "followup/refusal_form.html",
                  {"form": form, "person": person, "referral": referral})


@login_required
def watch_new(request, pk):
    person = _person_to_work_on(request, pk)
    form = WatchForm(request.POST or None, initial={"owner": request.user.pk},
                     owners=watch.owner_candidates(person, request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            started = watch.begin_watch(person, owner=data["owner"], actor=request.user,
                                        rhythm=data["rhythm"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The watch has started."))
            return redirect("followup:watch_detail", started.pk)
    return render(request, "followup/watch_form.html", {"form": form, "person": person})


@login_required
def watch_detail(request, pk):
    if not request.user.is_professional:  # the watch is the professionals' own work
        raise Http404
    found = rules.watch_for(request.user, pk)
    return render(request, "followup/watch_detail.html", _detail_context(request, found))


def _detail_context(request, found, **forms) -> dict:
    may_work = rules.may_work_on(request.user, found.person)
    return {"watch": found, "person": found.person, "may_work": may_work,
            "check_ins": found.check_ins.select_related("by"),
            "signals": found.signals.all(), "today": timezone.localdate(),
            "check_in_form": CheckInForm(), "end_form": EndWatchForm(),
            "restart_url": watch.restart_url(request.user, found) if may_work else None,
            **forms}


@login_required
@require_POST
def watch_check_in(request, pk):
    found = _watch_to_work_on(request, pk)
    form = CheckInForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            watch.check_in(found, status=data["status"], note=data["note"], at=data["at"],
                           actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The check-in is recorded."))
            return redirect("followup:watch_detail", found.pk)
    return _detail_with(request, found, check_in_form=form)


@login_required
@require_POST
def watch_end(request, pk):
    found = _watch_to_work_on(request, pk)
    form = EndWatchForm(request.POST)
    if form.is_valid():
        try:
            watch.end_watch(found, reason=form.cleaned_data["end_reason"], actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The watch has ended."))
            return redirect("followup:watch_detail", found.pk)
    return _detail_with(request, found, end_form=form)


def _detail_with(request, found, **forms):
    return render(request, "followup/watch_detail.html",
                  _detail_context(request, found, **forms), status=400)


# --- one click restarts support ---------------------------------------------------------


def _watch_to_restart(request, pk):
    """The watch, for its owner or a professional of the person's network who may
    restart support; 404 for anyone else (as if missing)."""
    found = _watch_to_work_on(request, pk)
    if not watch.may_restart(request.user, found):
        raise Http404
    return found


@login_required
def watch_restart(request, pk):
    """Step 1, when no service was offered before (or another is wanted): the kind of
    help → services that fit; step 2: the needs analysis, pre-filled, sent when the
    person agrees."""
    found = _watch_to_restart(request, pk)
    service_pk = request.GET.get("service", "")
    if not service_pk and "choose" not in request.GET:
        service_pk = str(watch.offered_service_id(request.user, found) or "")
    if service_pk:
        service = directory_rules.service_for(request.user, service_pk)
        return _restart_form(request, found, service)
    need = NeedForm(request.GET if "category" in request.GET else None)
    matches = []
    if need.is_valid():
        data = need.cleaned_data
        matches = match_services(
            Service.objects.visible_to(request.user), category=data["category"],
            municipality=found.person.municipality, language=found.person.language,
            urgency=data["urgency"] if data["urgency"] != "routine" else "")[:20]
        referred = {r.service_id: r for r in policy.visible(
            request.user, Referral.objects.open().filter(person=found.person))}
        for match in matches:
            match.open_referral = referred.get(match.service.pk)
    return render(request, "followup/watch_restart_match.html",
                  {"watch": found, "person": found.person, "need": need, "matches": matches})


def _restart_form(request, found, service):
    initial = {"urgency": request.GET.get("urgency", "routine"),
               **watch.restart_needs(request.user, found)}
    form = ReferralForm(request.POST or None, initial=initial)
    organisation = acting_organisation(request)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = watch.restart_support(
                found, actor=request.user, service=service, urgency=data["urgency"],
                person_agrees=data["person_agrees"], organisation=organisation,
                needs={name: data[name] for name in referrals.NEEDS_FIELDS})
        except referrals.DuplicateReferral as error:
            duplicate = error.existing
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The referral was sent to %(organisation)s.")
                             % {"organisation": service.organisation.name})
            return redirect("stays:referral_detail", referral.pk)
    existing = duplicate or referrals.open_referral_to(found.person, service)
    return render(request, "followup/watch_restart.html", {
        "form": form, "watch": found, "person": found.person, "service": service,
        "organisation": organisation, "refused": duplicate is not None, "existing": existing,
        "existing_visible": existing is not None and policy.visible(
            request.user, Referral.objects.filter(pk=existing.pk)).exists()},
        status=400 if request.method == "POST" else 200)
