"""Practitioner (BePractitioner) and PractitionerRole (BePractitionerRole).

A professional's account is served to whoever works with them: their colleagues (the
memberships the gate shows) and whoever sees a network they are a member of (not one
that asked never to inform them). PractitionerRole is a membership: who works for which
organisation, in which function, as colleagues see it on the pages.
"""

from django.db.models import Exists, OuterRef, Q

from relais.access import persons, policy
from relais.accounts.models import Function, Membership, Profession, User, UserKind
from relais.interop.fhir import identifiers, registry
from relais.interop.fhir.identifiers import NIHDI_PROFESSIONAL, identifier
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.resources.patient import human_name
from relais.interop.fhir.values import ID_PARAM, any_of, reference_id, token
from relais.network.models import MemberKind, NetworkMember, choice_label

PROFESSION = "urn:relais:profession"
FUNCTION = "urn:relais:function"


def visible_practitioners(user):
    """Asked about each professional (EXISTS, correlated): a read or an `_include` of a
    few ids finds their memberships by index and asks the gate about those members'
    persons only, where `pk IN (every visible member)` made PostgreSQL gather the
    memberships of every person the caller may read (3.4 s at 100,000 persons)."""
    colleagues = Membership.objects.visible_to(user).active().filter(user_id=OuterRef("pk"))
    with persons.asking_per_row():
        in_networks = policy.visible(user, _their_memberships())
    return _professionals().filter(Exists(colleagues) | Exists(in_networks))


def vouched_practitioners(pks: list, person_ids: list):
    """The professionals among `pks` in the network of one of `person_ids` (persons the
    caller may read: visible_practitioners' second way, asked without the gate)."""
    members = _their_memberships().filter(person_id__in=person_ids)
    return _professionals().filter(Exists(members), pk__in=pks)


def _their_memberships():
    """Each professional's memberships of networks that may name them (the same for the
    gate and for what a page of patients vouches for)."""
    return NetworkMember.objects.active().filter(
        kind=MemberKind.PROFESSIONAL, never_inform=False, user_id=OuterRef("pk"))


def _professionals():
    return User.objects.filter(kind=UserKind.PROFESSIONAL, is_active=True)


def render_practitioner(user: User) -> dict:
    body = {"active": user.is_active}
    if user.riziv_number:
        body["identifier"] = [identifier(NIHDI_PROFESSIONAL, user.riziv_number)]
    body["name"] = [human_name(user.first_name, user.last_name)]
    telecom = codes.telecom(phone=user.phone, email=user.email)
    if telecom:
        body["telecom"] = telecom
    if user.profession:
        label = choice_label(Profession, user.profession)
        body["qualification"] = [{"code": codes.concept(PROFESSION, user.profession, label)}]
    body["communication"] = [codes.language(user.language)["language"]]
    return body


def visible_roles(user):
    return (Membership.objects.visible_to(user).filter(user__kind=UserKind.PROFESSIONAL)
            .select_related("user"))


def render_role(membership: Membership) -> dict:
    label = choice_label(Function, membership.function)
    return {
        "active": membership.is_active,
        "period": codes.period(membership.started_on, membership.ended_on),
        "practitioner": {"reference": f"Practitioner/{membership.user_id}"},
        "organization": {"reference": f"Organization/{membership.organisation_id}"},
        "code": [codes.concept(FUNCTION, membership.function, label)],
    }


def _identifier(queryset, value, modifier):
    return any_of(queryset, value, _one_identifier)


def _one_identifier(value: str) -> Q:
    system, code = token(value)
    if system not in (None, NIHDI_PROFESSIONAL) or not code:
        return Q(pk__in=[])
    return Q(riziv_number=identifiers.nihdi(code))


def _name(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(first_name__istartswith=v)
                  | Q(last_name__istartswith=v))


def _reference(field: str, target: str):
    def apply(queryset, value, modifier):
        return any_of(queryset, value,
                      lambda v: Q(**{field: reference_id(target.lower(), v, target)}))

    return apply


PRACTITIONER_SEARCH = (
    ID_PARAM,
    SearchParam("identifier", "token", "The NIHDI/RIZIV number: https://www.ehealth.fgov.be/"
                "standards/fhir/core/NamingSystem/nihdi-professional|<11 digits>.",
                _identifier),
    SearchParam("name", "string", "Start of the given or family name.", _name),
)
ROLE_SEARCH = (
    ID_PARAM,
    SearchParam("practitioner", "reference", "Practitioner/<id>.",
                _reference("user_id", "Practitioner"), target="Practitioner",
                refs=lambda membership: [membership.user_id]),
    SearchParam("organization", "reference", "Organization/<id>.",
                _reference("organisation_id", "Organization"), target="Organization",
                refs=lambda membership: [membership.organisation_id]),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Practitioner", profile=f"{identifiers.PROFILE}be-practitioner", model=User,
        visible=visible_practitioners, render=render_practitioner,
        vouched=vouched_practitioners,
        search_params=PRACTITIONER_SEARCH, order=("last_name", "first_name", "pk"),
        documentation="Professionals the caller works with: colleagues, and members of "
                      "the networks the caller may read.",
        version_of=lambda user: None))
    registry.register(ResourceType(
        name="PractitionerRole", profile=f"{identifiers.PROFILE}be-practitionerrole",
        model=Membership, visible=visible_roles, render=render_role,
        search_params=ROLE_SEARCH, order=("organisation_id", "user_id", "pk"),
        documentation="Memberships (who works for which organisation, in which function), "
                      "as colleagues see them."))
