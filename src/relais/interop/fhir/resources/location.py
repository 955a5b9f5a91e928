"""Location: where the directory's services are. Relais keeps one place per organisation
(its address and municipality), as the HSDS API does (`organisation_location`): a
Location is that place, its id the organisation's, served when the organisation offers
a service the caller may read in the directory (`hsds.queries.organisations`) and has an
address. Public directory data: no person, nothing audited."""

from django.db.models import Q

from relais.accounts.models import Organisation
from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.resources.organization import postal_address
from relais.interop.fhir.values import ID_PARAM, LAST_UPDATED, any_of, reference_id
from relais.interop.hsds import queries

LOCATION_PROFILE = "http://hl7.org/fhir/StructureDefinition/Location"
# An organisation has a place when it has a municipality, a street or a postcode.
HAS_PLACE = Q(municipality__isnull=False) | ~Q(street="") | ~Q(postcode="")


def visible(user):
    return queries.organisations(user).filter(HAS_PLACE)


def render(organisation: Organisation) -> dict:
    body = {"status": "active" if organisation.is_active else "inactive",
            "name": organisation.name}
    telecom = codes.telecom(phone=organisation.phone, email=organisation.email)
    if telecom:
        body["telecom"] = telecom
    address = postal_address(organisation)
    if address:
        body["address"] = address
    body["managingOrganization"] = {"reference": f"Organization/{organisation.pk}"}
    return body


def _name(queryset, value, modifier):
    if modifier == "exact":
        return any_of(queryset, value, lambda v: Q(name=v))
    return any_of(queryset, value, lambda v: Q(name__icontains=v))


def _city(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(municipality__name_fr__icontains=v)
                  | Q(municipality__name_nl__icontains=v))


def _postcode(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(postcode=v.strip()))


def _organization(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(pk=reference_id("organization", v, "Organization")))


SEARCH = (
    ID_PARAM,
    LAST_UPDATED,
    SearchParam("name", "string", "Part of the name (the organisation's), case ignored; "
                ":exact for the whole name.", _name, ("exact",)),
    SearchParam("address-city", "string", "Part of the municipality's name, in French or "
                "Dutch (Ixelles, Elsene).", _city),
    SearchParam("address-postalcode", "string", "The postcode (1050).", _postcode),
    SearchParam("organization", "reference", "The organisation (Organization/<id>) whose "
                "place it is.", _organization, target="Organization",
                refs=lambda organisation: [organisation.pk]),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Location", profile=LOCATION_PROFILE, model=Organisation,
        visible=visible, render=render, search_params=SEARCH, order=("name", "pk"),
        documentation="Where the directory's services are: the place of each organisation "
                      "offering one (its id is the organisation's)."))
