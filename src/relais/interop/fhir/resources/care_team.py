"""CareTeam (BeCareTeam): a person's care network, one team per person (its id is the
person's). Each current member is a participant with the roles they hold; the contact
point carries the role `contact-point`; legal roles (trusted person, representative,
legal representative, administrator) are roles like the others, with a standard code
where one fits. Members the person asked never to inform are left out for everyone:
a receiving system might write to them."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from relais.interop.fhir import identifiers, registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes, patient
from relais.interop.fhir.values import ID_PARAM, any_of, reference_id
from relais.network.models import MemberKind, NetworkMember, Person, Relation

CATEGORY = "http://loinc.org"
LONGITUDINAL = "LA28865-6"  # Longitudinal care-coordination focused care team


def candidates():
    members = (NetworkMember.objects.active().filter(never_inform=False)
               .prefetch_related("roles").order_by("-is_contact_point", "started_on", "pk"))
    return Person.objects.prefetch_related(
        Prefetch("members", queryset=members, to_attr="current_members"))


def visible(user):
    return candidates().visible_to(user)


def shown(user, pks: list) -> set:
    """The teams among `pks` the gate shows `user`: a team is its person, so the
    person rule itself (one kept query, as the Patient's), not a query built each time —
    a hospital's `Patient?…&_revinclude=CareTeam:patient` asks it at every admission."""
    return patient.shown(user, pks)


def render(person: Person) -> dict:
    return {
        "status": "active",
        "category": [codes.concept(CATEGORY, LONGITUDINAL,
                                   "Longitudinal care-coordination focused care team")],
        "name": _("Care network of %(name)s") % {"name": person.full_name},
        "subject": {"reference": f"Patient/{person.pk}"},
        "participant": [_participant(member) for member in person.current_members],
    }


def last_updated(person: Person):
    """The latest change to the person or to a current member of the network."""
    return max([person.updated_at, *(m.updated_at for m in person.current_members)])


def _participant(member: NetworkMember) -> dict:
    roles = [codes.role(r.role) for r in member.roles.all()]
    if member.is_contact_point:
        roles.insert(0, codes.concept(codes.NETWORK_ROLE, codes.CONTACT_POINT,
                                      _("Contact point")))
    participant = {"member": {"reference": _reference(member)},
                   "period": codes.period(member.started_on, member.ended_on)}
    if roles:
        participant["role"] = roles
    return participant


def _reference(member: NetworkMember) -> str:
    if member.kind == MemberKind.PROFESSIONAL:
        return f"Practitioner/{member.user_id}"
    if member.kind == MemberKind.ORGANISATION:
        return f"Organization/{member.organisation_id}"
    if member.relation == Relation.SELF:
        return f"Patient/{member.person_id}"
    return f"RelatedPerson/{member.pk}"


def _patient(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(pk=reference_id("patient", v, "Patient")))


SEARCH = (
    ID_PARAM,
    SearchParam("patient", "reference", "The person (Patient/<id>) whose network it is.",
                _patient, target="Patient", refs=lambda person: [person.pk]),
    SearchParam("subject", "reference", "The same as patient.", _patient,
                target="Patient", refs=lambda person: [person.pk]),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="CareTeam", profile=f"{identifiers.PATIENT_CARE_PROFILE}be-careteam",
        model=Person, visible=visible, render=render, search_params=SEARCH,
        order=("last_name", "first_name", "pk"),
        documentation="The care network of each person the caller may read: current "
                      "members, their roles, the contact point.",
        person_of=lambda person: person.pk, read_action="person.read",
        search_action="fhir.careteam.search", version_of=lambda person: None,
        last_updated=last_updated, candidates=candidates, shown=shown))
