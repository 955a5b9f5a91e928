"""Organization (BeOrganization): the organisations on Relais, with their KBO/BCE number.
Everyone signed in reads the active ones (how the two worlds meet, R21), as on the pages.
NIHDI/RIZIV numbers of organisations are not kept by Relais yet."""

from django.db.models import Q

from relais.accounts.models import Organisation, OrganisationType
from relais.interop.fhir import identifiers, registry
from relais.interop.fhir.identifiers import CBE, identifier
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.values import ID_PARAM, LAST_UPDATED, any_of, token
from relais.network.models import choice_label

ORGANISATION_TYPE = "urn:relais:organisation-type"


def visible(user):
    return Organisation.objects.visible_to(user).select_related("municipality")


def render(organisation: Organisation) -> dict:
    body = {"active": organisation.is_active}
    if organisation.kbo_number:
        body["identifier"] = [identifier(CBE, organisation.kbo_number)]
    label = choice_label(OrganisationType, organisation.type)
    body["type"] = [codes.concept(ORGANISATION_TYPE, organisation.type, label)]
    body["name"] = organisation.name
    telecom = codes.telecom(phone=organisation.phone, email=organisation.email)
    if organisation.website:
        telecom.append({"system": "url", "value": organisation.website, "use": "work"})
    if telecom:
        body["telecom"] = telecom
    address = postal_address(organisation)
    if address:
        body["address"] = [address]
    return body


def postal_address(organisation: Organisation) -> dict:
    """The organisation's address (also its Location's), or {} when it has none."""
    address = {}
    if organisation.street:
        address["line"] = [organisation.street]
    if organisation.municipality_id:
        address["city"] = organisation.municipality.name_fr
    if organisation.postcode:
        address["postalCode"] = organisation.postcode
    if address:
        address.update(use="work", country="BE")
    return address


def _identifier(queryset, value, modifier):
    return any_of(queryset, value, _one_identifier)


def _one_identifier(value: str) -> Q:
    system, code = token(value)
    if system not in (None, CBE):
        return Q(pk__in=[])
    return Q(kbo_number=identifiers.kbo(code))


def _name(queryset, value, modifier):
    if modifier == "exact":
        return any_of(queryset, value, lambda v: Q(name=v))
    return any_of(queryset, value, lambda v: Q(name__icontains=v))


def _type(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(type=token(v)[1]))


SEARCH = (
    ID_PARAM,
    LAST_UPDATED,
    SearchParam("identifier", "token", "The KBO/BCE number: https://www.ehealth.fgov.be/"
                "standards/fhir/core/NamingSystem/cbe|<10 digits>.", _identifier),
    SearchParam("name", "string", "Part of the name, case ignored; :exact for the whole name.",
                _name, ("exact",)),
    SearchParam("type", "token", "Relais's organisation type (urn:relais:organisation-type), "
                "e.g. hospital, gp_practice, home_nursing.", _type),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Organization", profile=f"{identifiers.PROFILE}be-organization",
        model=Organisation, visible=visible, render=render, search_params=SEARCH,
        order=("name", "pk"),
        documentation="The organisations on Relais (active ones; the caller's own even "
                      "when inactive)."))
