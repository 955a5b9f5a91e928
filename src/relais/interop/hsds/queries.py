"""The rows behind each endpoint: always from what the reader may see (the directory's
policy through `visible_to`), then the OpenAPI's filters, cumulative (AND) as the HSDS API
reference requires. Each filter is a condition in SQL, so a page costs the same few
queries whatever the filters.
"""

import operator
from functools import reduce

from django.db.models import Q, QuerySet

from relais.accounts.models import Organisation
from relais.core.models import Postcode
from relais.directory import search
from relais.directory.hsds.ids import derived_organisation_id
from relais.directory.hsds.taxonomy import (
    services_in_taxonomy,
    services_with_term,
    taxonomy_by_id,
    term_by_id,
)
from relais.directory.models import Service

NESTED = ("municipalities", "care_zones", "opening_hours")  # what a full service shows
# A service is at a location when its organisation has one (export.organisation_location).
HAS_LOCATION = (Q(organisation__municipality__isnull=False) | ~Q(organisation__street="")
                | ~Q(organisation__postcode=""))


def visible_services(user) -> QuerySet:
    return Service.objects.visible_to(user).select_related("organisation__municipality")


def services(user, values: dict) -> QuerySet:
    """The services the reader sees that pass every filter given, ordered for paging."""
    found = visible_services(user)
    for condition in _conditions(values):
        found = found.filter(condition)
    if values.get("search") and search.words_of(values["search"]):
        return search.matching(found, values["search"])
    return found.order_by("pk")


def _conditions(values: dict):
    if values.get("taxonomy_term_id"):
        term = term_by_id(values["taxonomy_term_id"])
        yield services_with_term(term) if term else Q(pk__in=[])
    if values.get("taxonomy_id"):
        taxonomy = taxonomy_by_id(values["taxonomy_id"])
        yield services_in_taxonomy(taxonomy) if taxonomy else Q(pk__in=[])
    if values.get("organization_id"):
        pk = organisation_pk(values["organization_id"])
        yield Q(organisation_id=pk) if pk is not None else Q(pk__in=[])
    if values.get("modified_after"):
        after = values["modified_after"]
        yield Q(updated_at__gte=after) | Q(organisation__updated_at__gte=after)
    if values.get("postcode"):
        yield _serving_postcode(values["postcode"])


def _serving_postcode(code: str) -> Q:
    """Services whose area covers the postcode's municipality (as the directory's
    municipality filter answers: the whole region, the municipality or its care zone)."""
    places = Postcode.objects.filter(code=code).select_related("municipality")
    serving = [Q(pk__in=Service.objects.serving(p.municipality).values("pk")) for p in places]
    return reduce(operator.or_, serving, Q(pk__in=[]))


def organisation_pk(hsds_id: str, among=None) -> int | None:
    """The organisation with this HSDS id: a stored id, else one derived from its KBO
    number or primary key (directory/hsds/ids.py), which only a pass over the narrow
    (pk, KBO) rows of organisations without a stored id can find."""
    among = Organisation.objects.all() if among is None else among
    stored = among.filter(hsds_id=hsds_id).values_list("pk", flat=True).first()
    if stored is not None:
        return stored
    rows = among.filter(hsds_id__isnull=True).values_list("pk", "kbo_number")
    return next((pk for pk, kbo in rows if derived_organisation_id(pk, kbo) == hsds_id), None)


def organisations(user) -> QuerySet:
    """Organisations offering at least one service the reader sees."""
    offering = Service.objects.visible_to(user).values("organisation_id")
    return Organisation.objects.filter(pk__in=offering).select_related("municipality")


def services_at_locations(user, values: dict) -> QuerySet:
    return services(user, values).filter(HAS_LOCATION)
