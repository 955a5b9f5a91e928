"""My work (the professional's to-do list, and the team view of coordinators), and the
calendar feed's settings and the feed itself."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from relais.core.text import is_digits
from relais.followup import calendar, work


def _professional(request):
    if not (request.user.is_professional and getattr(request, "memberships", ())):
        raise Http404


def _int_or_none(value):
    return int(value) if value and is_digits(str(value)) else None


def work_context(request, *, team: bool = False, per_page: int | None = None) -> dict:
    """A page of the list and its filters, read from the query string (shared with the
    home page, which shows the first `per_page` lines)."""
    team_ids = work.team_organisation_ids(request.memberships)
    kind = request.GET.get("kind", "")
    kinds = [kind] if kind in work.KINDS else None
    person = _int_or_none(request.GET.get("person"))
    result = work.items_for(request.user, organisation_ids=team_ids if team else None,
                            kinds=kinds, person=person,
                            page=_int_or_none(request.GET.get("page")) or 1,
                            per_page=per_page)
    shown = work.TEAM_KINDS if team else work.KINDS
    filters = {"team": "1" if team else "", "kind": kind if kinds else "",
               "person": person or ""}
    return {"work": result, "kind": filters["kind"], "person": person, "team": team,
            "has_team": bool(team_ids),
            "kind_options": [(key, work.KINDS[key], result.counts.get(key)) for key in shown],
            "previous_url": _page_url(filters, result.page - 1) if result.has_previous else "",
            "next_url": _page_url(filters, result.page + 1) if result.has_next else "",
            # Each line's person links to their items only: "?…person=" + the person's id.
            "person_link": _page_url({**filters, "person": "0"}, 1)[:-1]}


def _page_url(filters: dict, page: int) -> str:
    """The work page with the same filters, at `page` (the first page has no number)."""
    query = {key: value for key, value in filters.items() if value}
    if page > 1:
        query["page"] = page
    return reverse("followup:my_work") + ("?" + urlencode(query) if query else "")


@login_required
def my_work(request):
    """What is mine to do, by due date; `?team=1` for a coordinator: their organisations'."""
    _professional(request)
    team = request.GET.get("team") == "1"
    if team and not work.team_organisation_ids(request.memberships):
        raise Http404
    context = work_context(request, team=team)
    total, urgent = context["work"].total, context["work"].urgent
    # The plurals, said here: the page is Jinja2 (core/jinja.py).
    context["total_label"] = ngettext("%(total)s thing to do", "%(total)s things to do",
                                      total) % {"total": total}
    context["urgent_label"] = ngettext(
        "%(urgent)s overdue or due today", "%(urgent)s overdue or due today", urgent) % {
        "urgent": urgent}
    return render(request, "followup/my_work.jinja", context, using="jinja2")


@login_required
def reassign(request, kind, pk):
    """Give a contact or a watch of one's team to a colleague who may own it."""
    _professional(request)
    team_ids = work.team_organisation_ids(request.memberships)
    if not team_ids:
        raise Http404
    item, person = work.reassignable_for(request.user, kind, pk)
    candidates = list(work.colleagues(team_ids))
    if request.method == "POST":
        chosen = _int_or_none(request.POST.get("owner"))
        to_user = next((u for u in candidates if u.pk == chosen), None)
        try:
            version = _int_or_none(request.POST.get("version")) or 0
            work.reassign_in_team(item, to_user, actor=request.user, team_ids=team_ids,
                                  expected_version=version)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages) + " " + _("Nothing was changed."))
        else:
            messages.success(request, _("Given to %(name)s.") % {"name": to_user})
            return redirect(_team_url())
    return render(request, "followup/partials/work_reassign.html",
                  {"item": item, "person": person, "kind": kind, "candidates": candidates,
                   "back": _team_url()})


def _team_url() -> str:
    return reverse("followup:my_work") + "?team=1"


# --- the calendar feed ------------------------------------------------------------------


@login_required
def calendar_settings(request):
    """Create (or replace) and revoke the personal feed; a new secret is shown once."""
    _professional(request)
    context = {"feed": calendar.feed_of(request.user), "feed_url": ""}
    return render(request, "followup/calendar_settings.html", context)


@login_required
@require_POST
def calendar_create(request):
    _professional(request)
    secret = calendar.create_feed(request.user, actor=request.user)
    url = request.build_absolute_uri(calendar.feed_path(secret))
    messages.success(request, _("Your calendar address is ready. Copy it now: it is shown "
                                "only once."))
    return render(request, "followup/calendar_settings.html",
                  {"feed": calendar.feed_of(request.user), "feed_url": url})


@login_required
@require_POST
def calendar_revoke(request):
    _professional(request)
    calendar.revoke_feed(request.user, actor=request.user)
    messages.success(request, _("The calendar address no longer works."))
    return redirect("followup:calendar_settings")


def calendar_feed(request, secret):
    """The .ics: no session, the secret is the key (the hash finds its user)."""
    user = calendar.user_for_secret(secret)
    if user is None:
        raise Http404
    body = calendar.ics_for(user, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="relais.ics"'
    return response
