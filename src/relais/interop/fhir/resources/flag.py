"""Flag: the safeguarding concern on a person's record (id = the person's), served only to
the safeguarding circle: a professional member of the network in the circle (the
caller, or an organisation it acts for), not excluded, who may read the record; never a
portal account. Everyone else gets
the same 404 as for what does not exist: the flag's existence is itself the secret."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.values import ID_PARAM, any_of, reference_id
from relais.network.models import NetworkMember, Person
from relais.network.rules import links_to

FLAG_PROFILE = "http://hl7.org/fhir/StructureDefinition/Flag"
SAFEGUARDING = "urn:relais:flag"
CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"


def visible(user):
    if not user.is_professional:  # portal users never see safeguarding (rule 2)
        return Person.objects.none()
    circle = NetworkMember.objects.active().filter(
        links_to(user), person=OuterRef("pk"), in_safeguarding_circle=True, never_inform=False)
    return candidates().visible_to(user).filter(Exists(circle))


def candidates():
    return Person.objects.filter(safeguarding=True)


def render(person: Person) -> dict:
    return {
        "status": "active",
        "category": [codes.concept(CATEGORY, "safety", "Safety")],
        "code": codes.concept(SAFEGUARDING, "safeguarding", _("Safeguarding concern")),
        "subject": {"reference": f"Patient/{person.pk}"},
    }


def _patient(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(pk=reference_id("patient", v, "Patient")))


SEARCH = (
    ID_PARAM,
    SearchParam("patient", "reference", "The person (Patient/<id>) it is about.", _patient,
                target="Patient", refs=lambda person: [person.pk]),
    SearchParam("subject", "reference", "The same as patient.", _patient,
                target="Patient", refs=lambda person: [person.pk]),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Flag", profile=FLAG_PROFILE, model=Person, visible=visible, render=render,
        search_params=SEARCH, order=("pk",),
        documentation="The safeguarding concern, for the safeguarding circle only.",
        person_of=lambda person: person.pk, read_action="fhir.flag.read",
        search_action="fhir.flag.search", version_of=lambda person: None,
        last_updated=lambda person: None, candidates=candidates))
