"""Case review pages (R12). Reviews are loaded through the gate (rules.review_for,
CaseReview.objects.visible_to); a person is read through it only to know what the text
must not say, and nothing on the review's pages leads back to them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relais.access.policy import Action, member_organisation_ids
from relais.audit import log as audit
from relais.followup import reviews, rules
from relais.followup.forms_reviews import DiscussedForm, ReviewFilter, ReviewForm
from relais.followup.models import CaseReview
from relais.network import rules as network_rules


def _require_team_member(user) -> None:
    """Reviews are a professional team's: anyone else gets the same 404 as for nothing."""
    if not (user.is_professional and member_organisation_ids(user)):
        raise Http404


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
def review_list(request):
    _require_team_member(request.user)
    filters = ReviewFilter(request.GET or None)
    rows = CaseReview.objects.visible_to(request.user).select_related("organisation",
                                                                      "care_zone")
    if filters.is_valid():
        if filters.cleaned_data["theme"]:
            # themes is a JSON list of codes; no code holds another in quotes, and a text
            # match works on SQLite, which has no JSON "contains".
            rows = rows.filter(themes__icontains=f'"{filters.cleaned_data["theme"]}"')
        if filters.cleaned_data["kind"]:
            rows = rows.filter(kind=filters.cleaned_data["kind"])
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for review in page:
        review.theme_labels = reviews.theme_labels(review)
    audit.record("followup.review_list_read", actor=request.user,
                 detail={"count": len(page.object_list)})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "followup/review_list.html",
                  {"page": page, "filters": filters, "query": query.urlencode()})


def _write(request, form, person=None):
    data = form.cleaned_data
    try:
        review = reviews.write_review(
            person=person, kind=data["kind"], themes=data["themes"],
            situation=data["situation"], tried=data["tried"], blocked=data["blocked"],
            lessons=data["lessons"], proposals=data["proposals"], month=data["month"],
            actor=request.user, organisation=getattr(request, "acting_organisation", None))
    except ValidationError as error:
        _add_errors(form, error)
        return None
    messages.success(request, _("The review was saved without anything that names the "
                                "person."))
    return redirect("followup:review_detail", review.pk)


@login_required
def review_new(request):
    _require_team_member(request.user)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _write(request, form)
        if done:
            return done
    return render(request, "followup/review_form.html", {"form": form, "from_person": False})


@login_required
def review_new_for_person(request, pk):
    """Started from a person's page: the person is read (audited, as any read) to know
    which names and numbers to look for; the review keeps nothing of them."""
    _require_team_member(request.user)
    person = network_rules.person_for(request.user, pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _write(request, form, person)
        if done:
            return done
    return render(request, "followup/review_form.html",
                  {"form": form, "from_person": True, "person_pk": person.pk})


@login_required
def review_detail(request, pk):
    _require_team_member(request.user)
    review = rules.review_for(request.user, pk)
    may_mark = rules.may_on_review(request.user, review, Action.CHANGE)
    audit.record("followup.review_read", actor=request.user, target=review)
    return render(request, "followup/review_detail.html", {
        "review": review, "themes": reviews.theme_labels(review),
        "discussed_form": DiscussedForm() if may_mark else None})


@login_required
@require_POST
def review_discussed(request, pk):
    _require_team_member(request.user)
    review = rules.review_for(request.user, pk, Action.CHANGE)
    form = DiscussedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day of the team session. Nothing was saved."))
        return redirect("followup:review_detail", pk)
    try:
        reviews.mark_discussed(review, on=form.cleaned_data["discussed_on"],
                               actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The review is marked discussed."))
    return redirect("followup:review_detail", pk)
