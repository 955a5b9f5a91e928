"""Codings shared by the resources: relationships and roles in a network, telecoms,
languages, periods. Relais's own codes (a role, an organisation type, a function) go
under `urn:relais:…` systems, with the label in the caller's language; a standard code
is given beside them where one fits."""

from datetime import timedelta

from relais.network.models import PersonLanguage, Relation, Role, choice_label

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
NETWORK_ROLE = "urn:relais:network-role"
RELATION = {
    Relation.PARTNER: "SIGOTHR", Relation.CHILD: "CHILD", Relation.PARENT: "PRN",
    Relation.SIBLING: "SIB", Relation.OTHER_FAMILY: "FAMMEMB", Relation.FRIEND: "FRND",
    Relation.NEIGHBOUR: "NBOR", Relation.SELF: "ONESELF",
}
# Roles with a standard code: a mandated representative holds a healthcare power of
# attorney; a legal representative or a court-appointed administrator is a guardian.
ROLE = {Role.REPRESENTATIVE: "HPOWATT", Role.LEGAL_REPRESENTATIVE: "GUARD",
        Role.ADMINISTRATOR: "GUARD"}
LANGUAGES = {PersonLanguage.DUTCH, PersonLanguage.FRENCH, PersonLanguage.ENGLISH}
CONTACT_POINT = "contact-point"


def relationship(member) -> list[dict]:
    """How they are related, then each role they hold."""
    concepts = []
    if member.relation in RELATION:
        concepts.append(concept(ROLE_CODE, RELATION[member.relation],
                                choice_label(Relation, member.relation)))
    return concepts + [role(r.role) for r in member.roles.all()]


def role(code: str) -> dict:
    codings = [{"system": NETWORK_ROLE, "code": code, "display": choice_label(Role, code)}]
    if code in ROLE:
        codings.append({"system": ROLE_CODE, "code": ROLE[code]})
    return {"coding": codings, "text": choice_label(Role, code)}


def concept(system: str, code: str, text: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": str(text)}],
            "text": str(text)}


def telecom(*, phone: str = "", email: str = "", use: str = "work") -> list[dict]:
    points = []
    if phone:
        points.append({"system": "phone", "value": phone, "use": use})
    if email:
        points.append({"system": "email", "value": email, "use": use})
    return points


def language(code: str) -> dict:
    return {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": code}]}}


def period(start, ended_on) -> dict:
    """A period from its first day. Relais's `ended_on` is the first day without; FHIR's
    end is the last day within."""
    span = {"start": start.isoformat()}
    if ended_on is not None:
        span["end"] = max(start, ended_on - timedelta(days=1)).isoformat()
    return span
