"""RelatedPerson (BeRelatedPerson): a relative, friend or neighbour in the person's
network, with how they are related and the roles they hold (caregiver, trusted person,
representative…). A member the person asked never to inform is never served, whoever
asks: a receiving system might write to them."""

from django.db.models import Q

from relais.access import policy
from relais.interop.fhir import identifiers, registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes, patient
from relais.interop.fhir.values import ID_PARAM, LAST_UPDATED, any_of, reference_id
from relais.network.models import MemberKind, NetworkMember, Relation


def candidates():
    return (NetworkMember.objects.filter(kind=MemberKind.INFORMAL, never_inform=False)
            .exclude(relation=Relation.SELF).prefetch_related("roles"))


def visible(user):
    return policy.visible(user, candidates())


def shown(user, pks: list) -> set:
    """The members among `pks` the gate shows `user`: those of the persons it shows
    (the members' rule, `network.rules.visible_members`; the candidates already leave out
    those never to inform), decided by the person rule itself, one kept query."""
    rows = list(NetworkMember.objects.filter(pk__in=pks).values_list("pk", "person_id"))
    persons = patient.shown(user, sorted({person for _pk, person in rows}))
    return {pk for pk, person in rows if person in persons}


def render(member: NetworkMember) -> dict:
    body = {"active": member.is_active,
            "patient": {"reference": f"Patient/{member.person_id}"}}
    relationship = codes.relationship(member)
    if relationship:
        body["relationship"] = relationship
    if member.name:
        body["name"] = [{"text": member.name}]
    telecom = codes.telecom(phone=member.phone, email=member.email, use="home")
    if telecom:
        body["telecom"] = telecom
    if member.language in codes.LANGUAGES:
        body["communication"] = [codes.language(member.language)]
    body["period"] = codes.period(member.started_on, member.ended_on)
    return body


def _patient(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(person_id=reference_id("patient", v, "Patient")))


SEARCH = (
    ID_PARAM,
    LAST_UPDATED,
    SearchParam("patient", "reference", "The person (Patient/<id>) they are related to.",
                _patient, target="Patient", refs=lambda member: [member.person_id]),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="RelatedPerson", profile=f"{identifiers.PROFILE}be-relatedperson",
        model=NetworkMember, visible=visible, render=render, search_params=SEARCH,
        order=("person_id", "name", "pk"),
        documentation="Relatives, friends and neighbours in the networks the caller may "
                      "read; never a member the person asked never to inform.",
        person_of=lambda member: member.person_id,
        read_action="fhir.relatedperson.read", search_action="fhir.relatedperson.search",
        candidates=candidates, person_field="person_id", shown=shown))
