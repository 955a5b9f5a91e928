"""The endpoints of the HSDS 3 OpenAPI, each a recipe: read the parameters, find the
rows the reader may see, answer them in the representation asked for."""

import uuid
from contextlib import nullcontext

from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from relais.access.policy import signature
from relais.core import kept
from relais.core.pagination import kept_ranking
from relais.core.text import fold
from relais.directory import search
from relais.directory.hsds.schema import HSDS_VERSION
from relais.directory.hsds.taxonomy import (
    TAXONOMIES,
    all_terms,
    taxonomy_by_id,
    taxonomy_record,
    term_by_id,
    term_record,
)
from relais.directory.models import Service
from relais.interop.hsds import params, queries, records
from relais.interop.hsds.errors import endpoint, not_found
from relais.interop.hsds.paging import page_of, ranked_page

OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
# Never shown by a record: kept in the database for the directory's own search.
SEARCH_COLUMNS = ("search_text", "name_search")
# What records.service_minimal reads.
MINIMAL_COLUMNS = ("hsds_id", "name_fr", "name_nl", "name_en", "status", "updated_at",
                   "organisation__updated_at")


@endpoint(open_to_all=True)
def about(request):
    params.read(request, params.NONE)
    return JsonResponse({"version": HSDS_VERSION, "openapi_url": OPENAPI_URL})


@endpoint
def services(request):
    values = params.read(request, params.SERVICES)
    if _plain(values):
        return _plain_services(request.user, values)
    rows = queries.services(request.user, values)
    with search.planned_for_its_words() if values["search"] else nullcontext():
        if values["minimal"]:
            rows = rows.select_related(None).select_related("organisation").only(
                *MINIMAL_COLUMNS)
            return page_of(rows, values, records.service_minimal)
        if values["full"]:
            return page_of(rows.prefetch_related(*queries.NESTED), values,
                           records.service_full)
        return page_of(rows.defer(*SEARCH_COLUMNS), values, records.service_list)


KEPT_PAGES = 5  # a harvester walks on: later pages are not worth a kept statement each


def _plain(values: dict) -> bool:
    """The list as most clients ask for it: no search, no filter, one of the first pages."""
    return (not values["search"] and values["format"] == "json" and not values["minimal"]
            and not values["full"]
            and not any(values[name] for name in params.SERVICE_FILTERS)
            and values["page"] <= KEPT_PAGES)


def _plain_services(user, values: dict):
    """The unfiltered list from statements kept across requests (core/kept.py): its
    ranking per reader and page, then the page's rows."""
    ranked = kept_ranking(("hsds.services.ranked", signature(user)),
                          lambda s: queries.visible_services(user).order_by("pk"))

    def fetch(pks):
        return kept.by_pks(("hsds.services.rows",), lambda ids: Service.objects.filter(
            pk__in=ids).select_related("organisation__municipality").defer(*SEARCH_COLUMNS),
            pks)

    return ranked_page(values, ranked, fetch, lambda: queries.visible_services(user).count(),
                       records.service_list)


@endpoint
def service(request, id):
    params.read(request, params.NONE)
    found = queries.visible_services(request.user).prefetch_related(*queries.NESTED)
    return JsonResponse(records.service_full(_one(found.filter(hsds_id=_uuid(id)))))


@endpoint
def service_at_locations(request):
    values = params.read(request, params.SERVICE_AT_LOCATIONS)
    rows = queries.services_at_locations(request.user, values)
    if values["full"]:
        return page_of(rows.prefetch_related(*queries.NESTED), values,
                       records.service_at_location_full)
    return page_of(rows.defer(*SEARCH_COLUMNS), values, records.service_at_location_list)


@endpoint
def service_at_location(request, id):
    params.read(request, params.NONE)
    found = queries.services_at_locations(request.user, {}).prefetch_related(*queries.NESTED)
    service = _one(found.filter(hsds_id=records.service_id_at(_uuid(id))))
    return JsonResponse(records.service_at_location_full(service))


@endpoint
def organizations(request):
    values = params.read(request, params.ORGANIZATIONS)
    rows = queries.organisations(request.user).order_by("name", "pk")
    if values["search"]:
        rows = rows.filter(name__icontains=values["search"])
    if not (values["full"] or values["full_service"]):
        return page_of(rows, values, records.organization_list)
    full_services = values["full_service"]
    rows = rows.prefetch_related(_services_of(request.user, full_services))
    return page_of(rows, values, lambda organisation: records.organization_full(
        organisation, organisation.hsds_services, full_services=full_services))


@endpoint
def organization(request, id):
    values = params.read(request, params.ORGANIZATION)
    candidates = queries.organisations(request.user)
    pk = queries.organisation_pk(str(_uuid(id)), among=candidates)
    full_services = values["full_service"]
    found = candidates.filter(pk=pk).prefetch_related(_services_of(request.user, full_services))
    organisation = _one(found)
    return JsonResponse(records.organization_full(
        organisation, organisation.hsds_services, full_services=full_services))


def _services_of(user, full: bool) -> Prefetch:
    shown = Service.objects.visible_to(user).order_by("pk")
    shown = shown.prefetch_related(*queries.NESTED) if full else shown.defer(*SEARCH_COLUMNS)
    return Prefetch("services", queryset=shown, to_attr="hsds_services")


@endpoint
def taxonomies(request):
    values = params.read(request, params.TAXONOMIES)
    found = [taxonomy_record(name) for name in TAXONOMIES]
    if values["search"]:
        found = [t for t in found if _matches(values["search"], t["name"], t["description"])]
    return page_of(found, values, lambda record: record)


@endpoint
def taxonomy(request, id):
    params.read(request, params.NONE)
    name = taxonomy_by_id(str(_uuid(id)))
    if name is None:
        raise Http404
    return JsonResponse(taxonomy_record(name))


@endpoint
def taxonomy_terms(request):
    values = params.read(request, params.TAXONOMY_TERMS)
    found = list(all_terms())
    if values["taxonomy_id"]:
        found = [t for t in found if taxonomy_by_id(values["taxonomy_id"]) == t.taxonomy]
    if values["parent_id"]:
        found = []  # Relais's taxonomies are flat: no term has a parent (so top_only is all)
    found = [term_with_taxonomy(t) for t in found]
    if values["search"]:
        found = [t for t in found if _matches(values["search"], t["code"], t["name"])]
    return page_of(found, values, lambda record: record)


@endpoint
def taxonomy_term(request, id):
    params.read(request, params.NONE)
    term = term_by_id(str(_uuid(id)))
    if term is None:
        raise Http404
    return JsonResponse(term_with_taxonomy(term))


def term_with_taxonomy(term) -> dict:
    return term_record(term) | {"taxonomy_detail": taxonomy_record(term.taxonomy)}


@csrf_exempt
def unknown(request, rest):
    """Any other address under /hsds/: a JSON 404 too, never the HTML page."""
    return not_found()


def _matches(query: str, *texts: str) -> bool:
    words = fold(query).split()
    haystack = fold(" ".join(texts))
    return all(word in haystack for word in words)


def _one(queryset):
    found = queryset.first()
    if found is None:
        raise Http404
    return found


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404 from None
