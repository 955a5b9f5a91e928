"""Pages of refusals and the watch: record a refusal, start a watch, check in, end it,
and restart support in one click."""

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
from relais.followup import rules, watch
from relais.followup.forms_watch import CheckInForm, EndWatchForm, RefusalForm, WatchForm
from relais.network import rules as network_rules
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
    if not pk.isdigit():
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
