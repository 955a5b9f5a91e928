"""HealthcareService: the directory's listings (the social map, R21). Which ones a caller
reads is what the HSDS API publishes to it (`hsds.queries.visible_services`, the
directory's rule): every listing of an active organisation, and its own organisation's.
Public directory data: no person, nothing audited.

Served: the organisation (providedBy), the category, the name and description in the
caller's language, how to refer, the contact's phone and e-mail, where it is (its
organisation's Location), the area it serves, languages, opening hours, who may use it;
the HSDS id as an identifier, so a system can match both APIs."""

from django.db.models import Q

from relais.core.models import Postcode
from relais.core.text import fold
from relais.directory.hsds.mapping import BRUSSELS_REGION_NAME
from relais.directory.models import Category, Service, ServiceStatus
from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.values import (
    ID_PARAM,
    LAST_UPDATED,
    any_of,
    invalid,
    reference_id,
    token,
)
from relais.interop.hsds import queries
from relais.network.models import choice_label

SERVICE_PROFILE = "http://hl7.org/fhir/StructureDefinition/HealthcareService"
CATEGORY = "urn:relais:service-category"
URI = "urn:ietf:rfc:3986"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Relais's weekdays: 0 is Monday


def visible(user):
    return queries.visible_services(user).prefetch_related(
        "municipalities", "care_zones", "opening_hours")


def render(service: Service) -> dict:
    body = {
        "identifier": [{"system": URI, "value": f"urn:uuid:{service.hsds_id}"}],
        "active": service.status == ServiceStatus.ACTIVE,
        "providedBy": {"reference": f"Organization/{service.organisation_id}"},
        "category": [codes.concept(CATEGORY, service.category,
                                   choice_label(Category, service.category))],
        "name": service.name,
    }
    _texts(body, service)
    telecom = codes.telecom(phone=service.contact_phone, email=service.contact_email)
    if telecom:
        body["telecom"] = telecom
    if _has_place(service.organisation):
        body["location"] = [{"reference": f"Location/{service.organisation_id}"}]
    _served(body, service)
    return body


def _texts(body: dict, service: Service) -> None:
    texts = {"comment": service.description, "extraDetails": service.how_to_refer,
             "availabilityExceptions": service.schedule}
    body.update({key: text for key, text in texts.items() if text})
    if service.eligibility:
        body["eligibility"] = [{"comment": service.eligibility}]


def _served(body: dict, service: Service) -> None:
    """Where, in which languages and when it serves."""
    areas = _areas(service)
    if areas:
        body["coverageArea"] = areas
    languages = [codes.language(code)["language"] for code in service.languages.split()]
    if languages:
        body["communication"] = languages
    hours = [{"daysOfWeek": [DAYS[row.weekday]],
              "availableStartTime": row.opens_at.strftime("%H:%M:%S"),
              "availableEndTime": row.closes_at.strftime("%H:%M:%S")}
             for row in service.opening_hours.all()]
    if hours:
        body["availableTime"] = hours


def _areas(service: Service) -> list[dict]:
    """The areas as names (Relais's areas are municipalities and care zones, no
    Location of their own)."""
    areas = [BRUSSELS_REGION_NAME] if service.serves_all_brussels else []
    areas += [m.bilingual_name for m in service.municipalities.all()]
    areas += [f"{z.name_fr} / {z.name_nl}" for z in service.care_zones.all()]
    return [{"display": name} for name in areas]


def _has_place(organisation) -> bool:
    return bool(organisation.municipality_id or organisation.street or organisation.postcode)


def _name(queryset, value, modifier):
    if modifier == "exact":
        return any_of(queryset, value, lambda v: Q(name_nl=v) | Q(name_fr=v) | Q(name_en=v))
    return any_of(queryset, value, _name_words)


def _name_words(value: str) -> Q:
    words = fold(value).split()
    condition = Q(pk__in=[]) if not words else Q()
    for word in words:
        condition &= Q(name_search__contains=word)
    return condition


def _category(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(category=token(v)[1])
                  if token(v)[0] in (None, "", CATEGORY) else Q(pk__in=[]))


def _active(queryset, value, modifier):
    if value not in ("true", "false"):
        raise invalid("active", value)
    active = Q(status=ServiceStatus.ACTIVE)
    return queryset.filter(active if value == "true" else ~active)


def _organization(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(
        organisation_id=reference_id("organization", v, "Organization")))


def _location(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(
        organisation_id=reference_id("location", v, "Location")) & queries.HAS_LOCATION)


def _city(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(
        organisation__municipality__name_fr__icontains=v)
        | Q(organisation__municipality__name_nl__icontains=v))


def _postcode(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(organisation__postcode=v.strip()))


def _serving(queryset, value, modifier):
    """Services whose area covers the postcode, as the HSDS API's `postcode` answers."""
    return any_of(queryset, value, _serving_postcode)


def _serving_postcode(code: str) -> Q:
    condition = Q(pk__in=[])
    for place in Postcode.objects.filter(code=code.strip()).select_related("municipality"):
        condition |= Q(pk__in=Service.objects.serving(place.municipality).values("pk"))
    return condition


SEARCH = (
    ID_PARAM,
    LAST_UPDATED,
    SearchParam("name", "string", "Words of the name, in any language, accents and case "
                "ignored; :exact for a whole name.", _name, ("exact",)),
    SearchParam("service-category", "token", "The directory's category "
                "(urn:relais:service-category), e.g. home_nursing, meals, pharmacy.",
                _category),
    SearchParam("active", "token", "true: listed as active; false: closed for now or "
                "for good.", _active),
    SearchParam("organization", "reference", "The organisation (Organization/<id>) "
                "offering it.", _organization, target="Organization",
                refs=lambda service: [service.organisation_id]),
    SearchParam("location", "reference", "Where it is (Location/<id>, the id of its "
                "organisation).", _location),
    SearchParam("location.address-city", "string", "Where it is: part of the "
                "municipality's name, in French or Dutch.", _city),
    SearchParam("location.address-postalcode", "string", "Where it is: the postcode.",
                _postcode),
    SearchParam("coverage-area.address-postalcode", "string", "Whom it serves: services "
                "whose area covers the postcode (as the HSDS API's postcode).", _serving),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="HealthcareService", profile=SERVICE_PROFILE, model=Service, visible=visible,
        render=render, search_params=SEARCH, order=("pk",),
        documentation="The directory's listings, as the HSDS API publishes them to the "
                      "caller (every listing of an active organisation, and its own)."))
