"""Patient create and update (`update`, below: the details a system may complete, through
`update_person`, as the page's edit form). Create: a system opens the record of a person
Relais does not know yet — a hospital's, so that it can then admit them with Encounter
create — through the persons' own service (`network.services.create_person`): the record
kept by the client's
organisation (which joins the network; the person is their own contact point), the
`person.create` audit event, as the page's "new person" form does.

What it reads (BePatient): the SSIN (`identifier`, system .../core/NamingSystem/ssin or
the older one without /core/; required: without it, a duplicate cannot be told apart, and
the page's form asks a person to check), the official name (`family`, `given`),
`birthDate`, `gender`, `telecom` (the first phone), `address` (the first: its lines, the
postcode, the city as one of the 19 municipalities), `communication` (the preferred
language). The SSIN's check digits, and the birth date and sex it encodes, must agree.

One record per SSIN (as the ADT feed matches a person by it). An SSIN Relais already
holds creates nothing:
- a person the client reads: with `If-None-Exist: identifier=<system>|<SSIN>` the
  existing Patient is the answer (200), else a 409 `duplicate`;
- a person it may not read (no grant, a withdrawn consent, or "never inform" on its
  organisation — one answer for all): nothing of the record is shown nor changed, the
  answer is a 200 information OperationOutcome without Location (`writes.Unshown`),
  the refusal audited. Like the feed, which matches the national number whoever keeps
  the record, the hospital admits such a person with Encounter create naming the SSIN
  (`subject.identifier`); a transaction Bundle does it for the client (bundles.py).
"""

import dataclasses
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from relais.core.models import Municipality, Postcode
from relais.core.text import fold, is_digits
from relais.interop.fhir import identifiers, registry, writes
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.resources.patient import SEX
from relais.interop.fhir.values import invalid
from relais.network.models import Person, PersonLanguage
from relais.network.services import create_person, update_person
from relais.network.validators import check_niss_matches

# FHIR R4's elements of Patient: anything else is a 400. Those Relais does not keep
# (maritalStatus, contact, photo…) are accepted and not kept: the answer shows what was.
ELEMENTS = frozenset({
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained",
    "extension", "modifierExtension", "identifier", "active", "name", "telecom", "gender",
    "birthDate", "deceasedBoolean", "deceasedDateTime", "address", "maritalStatus",
    "multipleBirthBoolean", "multipleBirthInteger", "photo", "contact", "communication",
    "generalPractitioner", "managingOrganization", "link"})
IDENTIFIER = frozenset({"id", "extension", "use", "type", "system", "value", "period",
                        "assigner"})
NAME = frozenset({"id", "extension", "use", "text", "family", "given", "prefix", "suffix",
                  "period"})
ADDRESS = frozenset({"id", "extension", "use", "type", "text", "line", "city", "district",
                     "state", "postalCode", "country", "period"})
GENDERS = {"male", "female", "other", "unknown"}
LANGUAGES = {"nl": PersonLanguage.DUTCH, "fr": PersonLanguage.FRENCH,
             "en": PersonLanguage.ENGLISH}


def create(caller, body: dict) -> Person:
    writes.check_elements(body, ELEMENTS, "Patient")
    data = read_patient(body, caller)
    _not_held(caller, data["niss"])
    try:
        return create_person(data, actor=caller.user, organisation=caller.client.organisation)
    except ValidationError as error:
        raise _rule(" ".join(error.messages)) from error


def update(caller, person: Person, body: dict) -> Person:
    """PUT: the details Relais keeps, as sent, through the persons' service (the page's
    "edit" form's): `person.change` naming the fields changed, the row's version + 1.
    What the API does not serve (living situation, priority groups, safeguarding…) is
    left as it is; so is the SSIN when none is sent, and the language."""
    writes.check_elements(body, ELEMENTS, "Patient")
    data = read_changes(body, person)
    try:
        update_person(person, data, actor=caller.user, expected_version=person.version)
    except ValidationError as error:
        raise _rule(" ".join(error.messages)) from error
    return person


def read_changes(body: dict, person: Person) -> dict:
    """What an update sends of the details Relais keeps, checked as the page's form
    checks them (the SSIN's check digits, what it encodes, one record per SSIN)."""
    if body.get("active", True) is not True or body.get("deceasedBoolean") or body.get(
            "deceasedDateTime"):
        raise _rule(_("A death or the end of a record is recorded on the person's page in "
                      "Relais, not through this API."))
    sent = body.get("managingOrganization")
    if sent is not None and (not isinstance(sent, dict) or sent.get("reference")
                             != f"Organization/{person.owner_organisation_id}"):
        raise _rule(_("“%(path)s” cannot change on an existing record.")
                    % {"path": "managingOrganization"})
    first, last = _name(body)
    born, sex = _birth_date(body), _sex(body)
    niss = _ssin(body, required=False) or person.niss
    _not_taken(niss, person)
    errors = check_niss_matches(niss, born, sex) if niss else []
    if errors:
        raise _rule(" ".join(message for error in errors for message in error.messages))
    data = {"first_name": first, "last_name": last, "birth_date": born, "sex": sex,
            "niss": niss, "phone": _phone(body), **_address(body)}
    if data.get("postcode") == person.postcode and not _city_sent(body):
        # Served without a city when Relais holds none: sent back so, it stays none.
        data["municipality"] = person.municipality
    if body.get("communication"):
        data["language"], data["other_language"] = _language(body)
    return data


def _city_sent(body: dict) -> bool:
    return any(a.get("city") for a in _list(body, "address") if a.get("use") != "old")


def _not_taken(niss: str, person: Person) -> None:
    """One record per SSIN, as the page's form says it."""
    if niss and Person.objects.filter(niss=niss).exclude(pk=person.pk).exists():
        raise FhirError(409, "duplicate", _(
            "A record with this number already exists in Relais. Ask its care network to "
            "add you, or search for it."))


def _not_held(caller, niss: str) -> None:
    """One record per SSIN: one the client reads is a duplicate; one it may not read is
    not shown (see the module's docstring)."""
    held = Person.objects.filter(niss=niss).values_list("pk", flat=True).first()
    if held is None:
        return
    if Person.objects.visible_to(caller.user).filter(pk=held).exists():
        raise FhirError(409, "duplicate", _(
            "A Patient with this SSIN is already known to this client: search it by "
            "identifier, or create with If-None-Exist."))
    raise writes.Unshown(
        _("No Patient was created. To admit this person, send an Encounter naming the "
          "SSIN (subject.identifier)."),
        reference={"identifier": identifiers.identifier(identifiers.SSIN, niss)},
        refused=(caller.user, registry.TYPES["Patient"], str(held), "create", "held"))


def read_patient(body: dict, caller) -> dict:
    """What Relais keeps of the Patient sent, checked: the persons' service's data."""
    _active(body)
    _managing(body, caller)
    first, last = _name(body)
    born, sex = _birth_date(body), _sex(body)
    niss = _ssin(body)
    errors = check_niss_matches(niss, born, sex)
    if errors:
        raise _rule(" ".join(message for error in errors for message in error.messages))
    language, other = _language(body)
    return {"first_name": first, "last_name": last, "birth_date": born, "sex": sex,
            "niss": niss, "phone": _phone(body), "language": language,
            "other_language": other, **_address(body)}


def _rule(text: str) -> FhirError:
    return FhirError(422, "business-rule", text)


def _list(body: dict, name: str) -> list:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid(name, str(value)[:64])
    return value


def _active(body: dict) -> None:
    if body.get("active", True) is not True:
        raise _rule(_("Relais opens records of persons it follows: “active” is true or left "
                      "out."))
    if body.get("deceasedBoolean") or body.get("deceasedDateTime"):
        raise _rule(_("Relais does not open a record for a deceased person."))


def _managing(body: dict, caller) -> None:
    """The record is kept by the client's organisation: name it or leave it out."""
    sent = body.get("managingOrganization")
    if sent is None:
        return
    expected = f"Organization/{caller.client.organisation_id}"
    if not isinstance(sent, dict) or sent.get("reference") != expected:
        raise _rule(_("The record is kept by this client's organisation: leave "
                      "managingOrganization out or name that organisation."))


def _ssin(body: dict, *, required: bool = True) -> str:
    found = set()
    for item in _list(body, "identifier"):
        writes.check_elements(item, IDENTIFIER, "identifier")
        if item.get("system") in (identifiers.SSIN, identifiers.SSIN_OLD):
            found.add(identifiers.ssin(str(item.get("value", ""))))
    if not found and not required:
        return ""
    if not found:
        raise FhirError(400, "required", _("“%(path)s” is required.")
                        % {"path": f"identifier ({identifiers.SSIN})"})
    if len(found) > 1:
        raise invalid("identifier", ", ".join(sorted(found)))
    return found.pop()


def _name(body: dict) -> tuple[str, str]:
    """The official name (else the first one): given names joined, the family name."""
    names = _list(body, "name")
    for name in names:
        writes.check_elements(name, NAME, "name")
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = chosen.get("given") or []
    if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
        raise invalid("name.given", str(given)[:64])
    family = chosen.get("family")
    if not isinstance(family, str | None):
        raise invalid("name.family", str(family)[:64])
    first, last = " ".join(given).strip(), (family or "").strip()
    for path, value in (("name.family", last), ("name.given", first)):
        if not value:
            raise FhirError(400, "required", _("“%(path)s” is required.") % {"path": path})
    return first, last


def _birth_date(body: dict) -> date | None:
    sent = body.get("birthDate")
    if sent is None:
        return None
    text = str(sent)
    day = parse_date(text) if len(text) == 10 else None
    if day is None and len(text) in (4, 7) and is_digits(text[:4]):
        raise _rule(_("Relais keeps a birth date as a whole day (YYYY-MM-DD): leave "
                      "birthDate out when only its year or month is known."))
    if day is None:
        raise invalid("birthDate", text)
    return day


def _sex(body: dict) -> str:
    gender = body.get("gender", "unknown")
    if not isinstance(gender, str) or gender not in GENDERS:
        raise invalid("gender", str(gender))
    return SEX.get(gender, "X")


def _phone(body: dict) -> str:
    phones = [t for t in _list(body, "telecom")
              if t.get("system") == "phone" and t.get("use") != "old" and t.get("value")]
    return str(phones[0]["value"]).strip() if phones else ""


def _address(body: dict) -> dict:
    addresses = [a for a in _list(body, "address") if a.get("use") != "old"]
    if not addresses:
        return {}
    address = addresses[0]
    writes.check_elements(address, ADDRESS, "address")
    lines = address.get("line") or []
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise invalid("address.line", str(lines)[:64])
    postcode = str(address.get("postalCode") or "").strip()
    return {"street": ", ".join(line.strip() for line in lines if line.strip()),
            "postcode": postcode,
            "municipality": _municipality(str(address.get("city") or ""), postcode)}


def _municipality(city: str, postcode: str) -> Municipality | None:
    """One of the 19 by its French or Dutch name, else the one its postcode lies in;
    None outside Brussels (the postcode and street are kept)."""
    wanted = fold(city)
    if wanted:
        for municipality in Municipality.objects.all():
            if wanted in (fold(municipality.name_fr), fold(municipality.name_nl)):
                return municipality
    if not postcode:
        return None
    ids = set(Postcode.objects.filter(code=postcode).values_list("municipality_id", flat=True))
    return Municipality.objects.get(pk=ids.pop()) if len(ids) == 1 else None


def _language(body: dict) -> tuple[str, str]:
    """The preferred language (BCP 47: nl, fr, en, with a region or not); another is kept
    as 'other' with its code; none sent: Relais's default."""
    spoken = _list(body, "communication")
    chosen = next((c for c in spoken if c.get("preferred")), spoken[0] if spoken else None)
    if chosen is None:
        return PersonLanguage.FRENCH, ""
    concept = chosen.get("language")
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if codings is None and isinstance(concept, dict) and isinstance(concept.get("text"), str):
        return PersonLanguage.OTHER, concept["text"][:60]  # as served for "other"
    if not isinstance(codings, list) or not codings or not isinstance(codings[0], dict):
        raise invalid("communication.language", str(concept)[:64])
    code = str(codings[0].get("code", ""))
    base = code.split("-")[0].lower()
    if base in LANGUAGES:
        return LANGUAGES[base], ""
    return PersonLanguage.OTHER, str(concept.get("text") or codings[0].get("display")
                                     or code)[:60]


def register_types() -> None:
    """Give the read side's type its create, its update and its conditional match: a Patient the
    client reads (it does not change a record it was not given, but a retried create
    must find the one it made, or one it sees)."""
    registry.register(dataclasses.replace(
        registry.TYPES["Patient"], create=create, update=update,
        matchable=lambda user, rows: rows))
