"""Consultation pages (R10). Loads go through relais.access (or the consultation loader,
which asks it); the rules live in relais.booklet.consultations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from relais.access import policy
from relais.access.policy import Action
from relais.audit import log as audit
from relais.booklet import consultations
from relais.booklet.forms_consultations import AnswerForm, ConsultationForm, DecisionForm
from relais.network import rules as network_rules
from relais.network.models import Person


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _not_saved(form, otherwise: str) -> str:
    """A text over its limit says so, with the limit; any other problem, `otherwise`."""
    too_long = [message for errors in form.errors.as_data().values() for error in errors
                if error.code == "max_length" for message in error.messages]
    if not too_long:
        return otherwise
    return _("%(problem)s Nothing was saved.") % {"problem": " ".join(too_long)}


@login_required
def consultation_list(request, pk):
    person = network_rules.person_for(request.user, pk)
    rows = consultations.visible_consultations(request.user, person.consultations.all())
    rows = rows.select_related("asked_by", "organisation").annotate(
        invited=Count("invitations"),
        answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False)))
    may_ask = request.user.is_professional and policy.policy_for(Person).allows(
        request.user, person, Action.CHANGE)
    return render(request, "booklet/consultation_list.html",
                  {"person": person, "consultations": rows, "may_ask": may_ask})


@login_required
def consultation_new(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    form = ConsultationForm(request.POST or None,
                            members=consultations.invitable_members(person))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consultation = consultations.ask(
                person, question=data["question"], choices=form.choice_list(),
                deadline=data["deadline"], members=data["members"], actor=request.user,
                organisation=getattr(request, "acting_organisation", None))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your question was sent to %(count)d members.")
                             % {"count": len(data["members"])})
            return redirect("booklet:consultation_detail", consultation.pk)
    return render(request, "booklet/consultation_form.html", {"person": person, "form": form})


@login_required
def consultation_detail(request, pk):
    consultation = consultations.consultation_for(request.user, pk)
    invitations = list(consultation.invitations.select_related(
        "member__user", "member__organisation").order_by("pk"))
    to_answer = [(invitation, AnswerForm(consultation=consultation,
                                         auto_id=f"id_{invitation.pk}_%s"))
                 for invitation in invitations
                 if consultations.stands_for(request.user, invitation)
                 and not consultations.why_closed(invitation)]
    may_decide = (consultation.decided_at is None
                  and consultations.may_decide(request.user, consultation))
    context = {
        "consultation": consultation,
        "person": consultation.person,
        "invitations": invitations,
        "answered": sum(1 for i in invitations if i.answered_at),
        "to_answer": to_answer,
        "decision_form": DecisionForm() if may_decide else None,
    }
    return render(request, "booklet/consultation_detail.html", context)


@login_required
@require_POST
def consultation_answer(request, pk, invitation_pk):
    """Answering in the app, from the consultation's page."""
    consultation = consultations.consultation_for(request.user, pk)
    invitation = consultation.invitations.select_related("member__organisation").filter(
        pk=invitation_pk).first()
    if invitation is None or not consultations.stands_for(request.user, invitation):
        raise Http404
    form = AnswerForm(request.POST, consultation=consultation)
    if not form.is_valid():
        messages.error(request, _not_saved(form, _("Choose or write your answer. Nothing was "
                                                   "saved.")))
        return redirect("booklet:consultation_detail", pk)
    try:
        consultations.answer(
            invitation, choice=form.cleaned_data.get("choice", ""),
            text=form.cleaned_data["text"], actor=request.user,
            answered_as=consultations.answered_as_for(request.user, invitation))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your answer was recorded."))
    return redirect("booklet:consultation_detail", pk)


@login_required
@require_POST
def consultation_decide(request, pk):
    consultation = consultations.consultation_for(request.user, pk)
    if not consultations.may_decide(request.user, consultation):
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _not_saved(form, _("Write the decision. Nothing was saved.")))
        return redirect("booklet:consultation_detail", pk)
    try:
        consultations.decide(consultation, decision=form.cleaned_data["decision"],
                             actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The decision was posted to the booklet and everyone "
                                    "asked was told."))
    return redirect("booklet:consultation_detail", pk)


# --- the link from the notification or the email -----------------------------------------


@never_cache  # the question is health data; a member without an account is not signed in
def consultation_reply(request, token):
    """The one-question page behind a link: 404 for a token that does not exist, 410 for
    one that was used or has expired; members with an account must be logged in as
    themselves, members without one give their name."""
    invitation = consultations.invitation_for_token(token)
    if invitation is None:
        raise Http404
    reason = consultations.why_closed(invitation, user=request.user)
    if reason:
        return _link_gone(request, reason)
    by_link = not consultations.needs_login(invitation)
    if not by_link and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not by_link and not consultations.stands_for(request.user, invitation):
        raise Http404
    consultation = invitation.consultation
    form = AnswerForm(request.POST or None, consultation=consultation, ask_name=by_link)
    if request.method == "POST" and form.is_valid():
        try:
            _answer_from_link(request, invitation, form, by_link)
        except ValidationError as error:
            if getattr(error, "code", None) == "closed":
                return _link_gone(request, error.messages[0])
            _add_errors(form, error)
        else:
            return _answered(request, invitation, by_link)
    if request.method == "GET":
        audit.record("consultation.read", actor=request.user, target=consultation,
                     person_id=consultation.person_id, detail={"by_link": by_link})
    return render(request, "booklet/consultation_reply.html",
                  {"consultation": consultation, "invitation": invitation, "form": form,
                   "by_link": by_link})


def _answer_from_link(request, invitation, form, by_link: bool) -> None:
    data = form.cleaned_data
    if by_link:
        answered_as, actor = data["answered_as"], None
    else:
        answered_as = consultations.answered_as_for(request.user, invitation)
        actor = request.user
    consultations.answer(invitation, choice=data.get("choice", ""), text=data["text"],
                         answered_as=answered_as, actor=actor)


def _answered(request, invitation, by_link: bool):
    if by_link:
        return render(request, "booklet/consultation_reply_done.html",
                      {"consultation": invitation.consultation})
    messages.success(request, _("Your answer was recorded."))
    return redirect("booklet:consultation_detail", invitation.consultation_id)


def _link_gone(request, reason: str):
    return render(request, "booklet/consultation_link_gone.html", {"reason": reason},
                  status=410)
