"""Patient (BePatient): the person whose network Relais keeps.

Served: the SSIN (national or BIS number), names, sex, birth date, phone, address,
preferred language, the organisation that keeps the record and the general practitioner
(the network's GP: a professional as Practitioner, a practice as Organization; not one
the person asked never to inform, nor one whose membership ended). Not served: living
situation, priority groups, the safeguarding flag (for the circle only, never in an
export) and the care zone.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from relais.access import persons
from relais.interop.fhir import history, identifiers, registry
from relais.interop.fhir.documents import digest
from relais.interop.fhir.identifiers import SSIN, SSIN_OLD, identifier
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.values import (
    ID_PARAM,
    LAST_UPDATED,
    any_of,
    date_param,
    invalid,
    is_row_id,
    reference_id,
    token,
)
from relais.network.models import (
    MemberKind,
    NetworkMember,
    Person,
    PersonLanguage,
    Role,
    Sex,
    name_key,
)
from relais.network.search import name_filter, prefix

GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "unknown"}
SEX = {gender: sex for sex, gender in GENDER.items()}


def candidates():
    return Person.objects.select_related("municipality").prefetch_related(
        Prefetch("members", queryset=_gp_memberships(), to_attr="gp_memberships"))


def _gp_memberships():
    """Every GP membership, ended and excluded ones too: when one ends or is excluded,
    the Patient's version and lastUpdated change (`version_detail`, `last_updated`)."""
    return (NetworkMember.objects
            .filter(roles__role=Role.GP,
                    kind__in=(MemberKind.PROFESSIONAL, MemberKind.ORGANISATION))
            .only("person_id", "kind", "user_id", "organisation_id", "never_inform",
                  "ended_on", "updated_at").order_by("pk"))


def _general_practitioners():
    """The GPs served (`general_practitioners`), as a query: the search's."""
    return NetworkMember.objects.active().filter(
        roles__role=Role.GP, never_inform=False,
        kind__in=(MemberKind.PROFESSIONAL, MemberKind.ORGANISATION))


def gp_memberships(person: Person) -> list:
    """The person's GP memberships (prefetched by `candidates`, else read)."""
    found = getattr(person, "gp_memberships", None)
    if found is None:
        found = list(_gp_memberships().filter(person=person))
    return found


def general_practitioners(person: Person) -> list:
    """The person's GPs in their network: not one they asked never to inform, nor one
    whose membership ended."""
    today = timezone.localdate()
    return [m for m in gp_memberships(person) if not m.never_inform
            and (m.ended_on is None or m.ended_on > today)]


def version_detail(person: Person) -> str:
    """The GPs served, in the version: a GP added, ended or excluded in the network makes
    a new version of the Patient (`3-…`); none, the row's version alone."""
    gps = sorted((m.kind, m.user_id or m.organisation_id)
                 for m in general_practitioners(person))
    return digest({"gps": gps})[:8] if gps else ""


def last_updated(person: Person):
    return max([person.updated_at, *(m.updated_at for m in gp_memberships(person))])


def _practitioner_ids(person: Person) -> list:
    return [m.user_id for m in general_practitioners(person) if m.kind == MemberKind.PROFESSIONAL]


def _practice_ids(person: Person) -> list:
    return [m.organisation_id for m in general_practitioners(person)
            if m.kind == MemberKind.ORGANISATION]


def visible(user):
    return candidates().visible_to(user)


def shown(user, pks: list) -> set:
    """The persons among `pks` the gate shows `user`: the person rule itself (one kept
    query), as `visible` asks it."""
    return persons.persons_among(user, "visible", Person.objects.all(), pks)


def render(person: Person) -> dict:
    body = {"active": True}
    if person.niss:
        body["identifier"] = [identifier(SSIN, person.niss)]
    body["name"] = [human_name(person.first_name, person.last_name)]
    if person.phone:
        body["telecom"] = [{"system": "phone", "value": person.phone, "use": "home"}]
    body["gender"] = GENDER.get(person.sex, "unknown")
    if person.birth_date:
        body["birthDate"] = person.birth_date.isoformat()
    address = _address(person)
    if address:
        body["address"] = [address]
    body["communication"] = [_language(person)]
    gps = [f"Practitioner/{pk}" for pk in _practitioner_ids(person)] + [
        f"Organization/{pk}" for pk in _practice_ids(person)]
    if gps:
        body["generalPractitioner"] = [{"reference": gp} for gp in gps]
    body["managingOrganization"] = {"reference": f"Organization/{person.owner_organisation_id}"}
    return body


def human_name(first: str, last: str) -> dict:
    name = {"use": "official", "text": f"{first} {last}".strip()}
    if last:
        name["family"] = last
    if first:
        name["given"] = [first]
    return name


def _address(person: Person) -> dict:
    address = {}
    if person.street:
        address["line"] = [person.street]
    if person.municipality_id:
        dutch = person.language == PersonLanguage.DUTCH
        municipality = person.municipality
        address["city"] = municipality.name_nl if dutch else municipality.name_fr
    if person.postcode:
        address["postalCode"] = person.postcode
    if address:
        address.update(use="home", country="BE")
    return address


def _language(person: Person) -> dict:
    if person.language == PersonLanguage.OTHER:
        return {"language": {"text": person.other_language or "other"}, "preferred": True}
    coding = {"system": "urn:ietf:bcp:47", "code": person.language}
    return {"language": {"coding": [coding]}, "preferred": True}


# --- search -----------------------------------------------------------------------------


def _identifier(queryset, value, modifier):
    return any_of(queryset, value, _one_identifier)


def _one_identifier(value: str) -> Q:
    system, code = token(value)
    if system not in (None, SSIN, SSIN_OLD):
        return Q(pk__in=[])  # a system Relais does not keep: nobody has it
    return Q(niss=identifiers.ssin(code))


def _name(queryset, value, modifier):
    if modifier == "exact":
        return any_of(queryset, value, lambda v: Q(first_name=v) | Q(last_name=v))
    return any_of(queryset, value, lambda v: name_filter(name_key(v).split()))


def _family(queryset, value, modifier):
    return any_of(queryset, value, lambda v: _starts("last_name_key", v)
                  | _starts("surname_tail_key", v))


def _given(queryset, value, modifier):
    return any_of(queryset, value, lambda v: _starts("first_name_key", v))


def _starts(field: str, value: str) -> Q:
    key = name_key(value)
    return prefix(field, key) if key else Q(pk__in=[])


def _general_practitioner(queryset, value, modifier):
    """`Practitioner/12`, `Organization/5`, `12` (either); `:Practitioner=12` names the
    type of a bare id."""
    return any_of(queryset, value, lambda v: _one_general_practitioner(
        f"{modifier}/{v}" if modifier and "/" not in v else v))


def _one_general_practitioner(value: str) -> Q:
    kind, _, local = value.rpartition("/")
    if kind not in ("", "Practitioner", "Organization") or not is_row_id(local):
        raise invalid("general-practitioner", value)
    pk = int(local)
    by_user = Q(kind=MemberKind.PROFESSIONAL, user_id=pk)
    by_practice = Q(kind=MemberKind.ORGANISATION, organisation_id=pk)
    wanted = {"Practitioner": by_user, "Organization": by_practice}.get(kind,
                                                                         by_user | by_practice)
    members = _general_practitioners().filter(wanted, person=OuterRef("pk"))
    return Q(Exists(members))


def _organization(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(
        owner_organisation_id=reference_id("organization", v, "Organization")))


def _gender(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(sex=SEX[v]) if v in SEX else Q(pk__in=[]))


SEARCH = (
    ID_PARAM,
    LAST_UPDATED,
    SearchParam("identifier", "token", "The SSIN: https://www.ehealth.fgov.be/standards/fhir/"
                "core/NamingSystem/ssin|<11 digits> (the form without /core/ is read too).",
                _identifier),
    SearchParam("name", "string", "Words starting the given name or the family name, "
                "accents and case ignored; :exact for the whole name.", _name, ("exact",),
                sort_by=("last_name", "first_name")),
    SearchParam("family", "string", "Start of the family name (or of its last word).",
                _family, sort_by=("last_name",)),
    SearchParam("given", "string", "Start of the given name.", _given,
                sort_by=("first_name",)),
    date_param("birthdate", "birth_date", "The birth date, with eq, ge, le, gt, lt prefixes."),
    SearchParam("gender", "token", "male | female | unknown.", _gender),
    SearchParam("general-practitioner", "reference",
                "The person's GP in their network: Practitioner/<id> (a professional) or "
                "Organization/<id> (a practice); :Practitioner or :Organization names "
                "the type of a bare id.", _general_practitioner,
                modifiers=("Practitioner", "Organization"),
                target="Practitioner", refs=_practitioner_ids,
                other_targets=(("Organization", _practice_ids),)),
    SearchParam("organization", "reference",
                "The organisation that keeps the record (Organization/<id>).", _organization,
                target="Organization", refs=lambda person: [person.owner_organisation_id]),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Patient", profile=f"{identifiers.PROFILE}be-patient", model=Person,
        visible=visible, render=render, search_params=SEARCH,
        order=("last_name", "first_name", "birth_date", "pk"),
        documentation="The persons whose network the caller may read (consent, exclusions "
                      "and the other rules of the gate).",
        person_of=lambda person: person.pk, read_action="person.read",
        search_action="person.search", operations=("everything",),
        candidates=candidates, shown=shown, past_versions=history.person_versions,
        version_detail=version_detail, last_updated=last_updated))
