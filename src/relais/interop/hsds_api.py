"""The read-only Open Referral HSDS 3 API over the directory (schema/openapi.json).

Implemented: GET /hsds/ (about), /hsds/services, /hsds/services/{id},
/hsds/organizations, /hsds/organizations/{id}. Lists are pages in the HSDS "Page" shape
({total_items, total_pages, page_number, size, first_page, last_page, empty, contents}),
with `page`, `per_page` (at most 100), `search` and, on services, `organization_id`.
Who may read follows relais.access.directory: signed-in users, or everyone when the
deployment has a public directory.
"""

import uuid

from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from relais.accounts.models import Organisation
from relais.directory import rules as directory_rules
from relais.directory import search
from relais.directory.hsds.export import export_organisation, export_service
from relais.directory.hsds.ids import organisation_hsds_id
from relais.directory.hsds.schema import HSDS_VERSION
from relais.directory.models import Service

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25


def _readable(request) -> bool:
    return request.user.is_authenticated or directory_rules.public_directory()


def _denied():
    return JsonResponse({"detail": "Authentication required."}, status=401)


def _services(request):
    return Service.objects.visible_to(request.user).select_related(
        "organisation__municipality").prefetch_related("municipalities", "care_zones",
                                                       "opening_hours")


def _page(request, queryset, serialise) -> JsonResponse:
    per_page = _int(request.GET.get("per_page"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    paginator = Paginator(queryset, per_page)
    number = _int(request.GET.get("page"), 1, 1, max(paginator.num_pages, 1))
    page = paginator.page(number)
    contents = [serialise(item) for item in page.object_list]
    return JsonResponse({
        "total_items": paginator.count, "total_pages": paginator.num_pages,
        "page_number": number, "size": len(contents), "first_page": number == 1,
        "last_page": number >= paginator.num_pages, "empty": paginator.count == 0,
        "contents": contents,
    })


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


@require_GET
def about(request):
    return JsonResponse({"version": HSDS_VERSION,
                         "openapi_url": "https://openreferral.org/hsds/openapi.json"})


@require_GET
def services(request):
    if not _readable(request):
        return _denied()
    found = _services(request)
    if request.GET.get("search"):
        found = search.matching(found, request.GET["search"])
    else:
        found = found.order_by("pk")
    organisation = request.GET.get("organization_id")
    if organisation:
        found = [s for s in found if organisation_hsds_id(s.organisation) == organisation]
    return _page(request, found, export_service)


@require_GET
def service(request, id):
    if not _readable(request):
        return _denied()
    match = _services(request).filter(hsds_id=_uuid(id)).first()
    if match is None:
        raise Http404
    document = export_service(match)
    document["organization"] = export_organisation(match.organisation)
    return JsonResponse(document)


def _organisations(request):
    offering = _services(request).values("organisation_id")
    return Organisation.objects.filter(pk__in=offering).select_related("municipality")


@require_GET
def organizations(request):
    if not _readable(request):
        return _denied()
    found = _organisations(request).order_by("name", "pk")
    if request.GET.get("search"):
        found = found.filter(name__icontains=request.GET["search"])
    return _page(request, found, export_organisation)


@require_GET
def organization(request, id):
    if not _readable(request):
        return _denied()
    match = next((o for o in _organisations(request)
                  if organisation_hsds_id(o) == str(_uuid(id))), None)
    if match is None:
        raise Http404
    document = export_organisation(match)
    document["services"] = [export_service(s) for s in _services(request).filter(
        organisation=match)]
    return JsonResponse(document)


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
