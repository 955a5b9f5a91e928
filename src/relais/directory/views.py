"""The directory pages. Reading is for everyone signed in (and the public when switched
on); editing goes through relais.access.directory."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from relais.access.policy import Action, signature
from relais.accounts import rules as account_rules
from relais.core import kept
from relais.core.forms import kept_fields_html
from relais.core.http import safe_next
from relais.core.models import VersionConflict
from relais.core.pagination import CountingPaginator, kept_ranking
from relais.core.templatetags import memo
from relais.directory import rules as directory_rules
from relais.directory import search, services
from relais.directory.forms import AgreementForm, SearchForm, ServiceForm
from relais.directory.models import Capacity, Service, ServiceStatus, UrgentStart

PAGE_SIZE = 25


def _may_read(request) -> bool:
    return request.user.is_authenticated or directory_rules.public_directory()


def service_search(request):
    if not _may_read(request):
        return redirect_to_login(request.get_full_path())
    form = SearchForm(request.GET or None)
    with search.planned_for_its_words():
        page = CountingPaginator(lambda: _filtered(request.user, form), PAGE_SIZE,
                                 fetch=_page_rows, ranked=_ranked(request.user, form),
                                 ).get_page(request.GET.get("page"))
        count = page.paginator.count
    query = request.GET.copy()
    query.pop("page", None)
    results = {"page": page, "query": query.urlencode(), "cards": _cards(page),
               "count_label": ngettext("%(counter)s service", "%(counter)s services",
                                       count) % {"counter": count}}
    if request.htmx:
        return render(request, "directory/partials/service_rows.jinja", results,
                      using="jinja2")
    context = {"form": form, "filter_fields": kept_fields_html(form, FILTER_LAYOUT), **results}
    return render(request, "directory/service_search.jinja", context, using="jinja2")


def _cards(page) -> list[str]:
    around = memo.surroundings()  # once a page, not once a card
    return [_card(service, around) for service in page]


def _card(service, around: tuple) -> str:
    """A result's card, rendered once per set of what it shows and kept (the memo of
    core/templatetags/memo.py): the same for everyone who sees the service."""
    shown = (*(getattr(service, name) for name in CARD_SHOWN), service.organisation.name)
    return mark_safe(memo.kept("directory.card", shown, lambda: engines["jinja2"]  # noqa: S308 - Jinja2 escapes
                               .get_template(CARD_TEMPLATE).template.render(service=service),
                               around))


CARD_TEMPLATE = "directory/partials/service_card.jinja"
# What a card shows, besides its organisation's name (the card's key: a change of any of
# them is a new card). `name` is the reader's language's (the language is in the key too).
CARD_SHOWN = ("pk", "name", "category", "status", "capacity", "typical_wait_days",
              "urgent_start", "languages", "verified_on", "contact_phone", "contact_name")


FIELD = "<div>{label_tag}{widget}</div>"
FILTER_LAYOUT = (("category", FIELD), ("municipality", FIELD), ("zone", FIELD),
                 ("language", FIELD), ("urgent", FIELD),
                 ("accepting", "<div><label>{widget} {label}</label></div>"))


# What a result card reads (partials/service_card.jinja, CARD_SHOWN): the rest of a
# service (its long texts above all) stays in the database.
CARD_FIELDS = ("organisation_id", "name_nl", "name_fr", "name_en", "category", "status",
               "capacity", "typical_wait_days", "urgent_start", "languages", "verified_on",
               "contact_phone", "contact_name", "organisation__name")


def _page_rows(pks) -> dict:
    return kept.by_pks(("directory.page_rows",), lambda ids: Service.objects.filter(
        pk__in=ids).select_related("organisation").only(*CARD_FIELDS), pks)


def _ranked(user, form):
    """The ranking of a search by words alone, or of no search (what most visits ask),
    kept across requests per reader, number of words and page (core/kept.py); None when
    other filters shape the query (the paginator then ranks the usual way)."""
    words = search.words_of(form.cleaned_data["q"] or "") if form.is_valid() else []
    if form.is_valid() and (any(value for name, value in form.cleaned_data.items()
                                if name != "q") or form.cleaned_data["q"] and not words):
        return None
    values = {f"word{n}": word for n, word in enumerate(words)}
    if words and connection.vendor == "postgresql":
        values["tsquery"] = search.tsquery_of(words)

    def matching(s):
        return lambda services_, _q: search.matching_words(
            services_, [getattr(s, f"word{n}") for n in range(len(words))],
            getattr(s, "tsquery", None))

    return kept_ranking(("directory.ranked", signature(user), form.is_bound, len(words)),
                        lambda s: _filtered(user, form, matching(s)), **values)


def _filtered(user, form, matching=search.matching):
    """The matching services, best first: ranked on narrow rows, see _page_rows.
    `matching(services, q)` narrows them to the words of `q` (search.matching)."""
    services_ = Service.objects.visible_to(user)
    if not form.is_bound or not form.is_valid():
        return services_.active().order_by("category", "name_fr", "pk")
    data = form.cleaned_data
    if data["category"]:
        services_ = services_.filter(category=data["category"])
    if data["municipality"]:
        services_ = services_.serving(data["municipality"])
    if data["zone"]:
        services_ = services_.serving_zone(data["zone"])
    if data["language"]:
        services_ = services_.filter(languages__contains=f" {data['language']} ")
    if data["urgent"]:
        allowed = [UrgentStart.WITHIN_24H] if data["urgent"] == UrgentStart.WITHIN_24H else [
            UrgentStart.WITHIN_24H, UrgentStart.WITHIN_72H]
        services_ = services_.filter(urgent_start__in=allowed)
    if data["accepting"]:
        services_ = services_.filter(capacity=Capacity.ACCEPTING)
    services_ = services_.exclude(status__in=[ServiceStatus.INACTIVE, ServiceStatus.DEFUNCT])
    if data["q"]:
        return matching(services_, data["q"])
    return services_.order_by("category", "name_fr", "pk")


def service_detail(request, pk):
    if not _may_read(request):
        return redirect_to_login(request.get_full_path())
    service = directory_rules.service_for(request.user, pk)
    context = {
        "service": service,
        "municipalities": service.municipalities.all(),
        "care_zones": service.care_zones.all(),
        "may_change": request.user.is_authenticated
        and directory_rules.may_on_service(request.user, service, Action.CHANGE),
    }
    return render(request, "directory/service_detail.html", context)


def _edit_organisation(request, pk):
    organisation = account_rules.organisation_for(request.user, pk)
    if not directory_rules.may_edit_for(request.user, organisation):
        raise Http404
    return organisation


def service_create(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    organisation = _edit_organisation(request, pk)
    form = ServiceForm(request.POST or None, instance=Service(organisation=organisation))
    if request.method == "POST" and form.is_valid():
        service = services.create_service(organisation, form.cleaned_data, actor=request.user)
        messages.success(request, _("The service was added to the directory."))
        return redirect("directory:service_detail", pk=service.pk)
    return render(request, "directory/service_form.html",
                  {"form": form, "organisation": organisation})


def service_edit(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    service = directory_rules.service_for(request.user, pk, Action.CHANGE)
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_service(service, form.cleaned_data, actor=request.user,
                                    expected_version=form.cleaned_data["version"] or 0)
        except VersionConflict:
            retry = reverse("directory:service_edit", args=[service.pk])
            return render(request, "conflict.html", {"retry_url": retry}, status=409)
        messages.success(request, _("Saved. The listing is marked as verified today."))
        return redirect("directory:service_detail", pk=service.pk)
    return render(request, "directory/service_form.html",
                  {"form": form, "organisation": service.organisation, "service": service})


@require_POST
def service_confirm(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    service = directory_rules.service_for(request.user, pk, Action.CHANGE)
    services.confirm_still_accurate(service, actor=request.user)
    messages.success(request, _("Thank you: the listing is confirmed as accurate today."))
    return redirect("directory:service_detail", pk=service.pk)


def agreement_create(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    organisation = _edit_organisation(request, pk)
    form = AgreementForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        services.create_agreement(form.cleaned_data, actor=request.user)
        messages.success(request, _("The agreement was recorded."))
        return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "directory/agreement_form.html",
                  {"form": form, "organisation": organisation})


@require_POST
def agreement_end(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    agreement = directory_rules.agreement_for(request.user, pk, Action.CHANGE)
    services.end_agreement(agreement, actor=request.user)
    messages.success(request, _("The agreement was ended. It stays in the history."))
    return redirect(safe_next(request, "directory:service_search"))
