"""Communication create: a GP's (or any member's) software adds an entry to a person's
booklet, through the booklet's own service (`booklet.services.write`): the same checks
as the page's form (who may use which audience, whom an entry may name, the text's
limits), the same audit event (`booklet.write`) and the same news to its readers.

What it reads: `subject` (a Patient the client may read: whoever sees the person writes
in the booklet), `payload[0].contentString` (the text; attachments go through the
pages), `category` (the kind under urn:relais:booklet-kind, default note; the audience
under urn:relais:booklet-audience, default everyone in the network, or the named members
when `recipient` is sent), `recipient` (RelatedPerson/<member>, Practitioner/<user> or
Organization/<organisation> among the members an entry may name), `inResponseTo` (an
entry of the same booklet the client reads). The author is the client's account, for
the client's organisation: `sender`, when sent, must be that organisation.

`identifier` (the first one with a system and a value) is the sender's own for the entry,
kept with it, unique per client: with `If-None-Exist: identifier=<system>|<value>` a
retried POST finds the entry it wrote (200, nothing written twice); a plain POST of an
identifier the client used already is a 409 `duplicate`.
"""

import dataclasses

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relais.booklet import services as booklet
from relais.booklet.models import Audience, Entry, EntryKind
from relais.core.text import is_digits
from relais.interop.fhir import registry, writes
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.resources import communication as read_side
from relais.interop.fhir.values import invalid
from relais.network.models import NetworkMember, Person, Relation

ELEMENTS = frozenset({
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained",
    "extension", "modifierExtension", "identifier", "instantiatesCanonical",
    "instantiatesUri", "basedOn", "partOf", "inResponseTo", "status", "statusReason",
    "category", "priority", "medium", "subject", "topic", "about", "encounter", "sent",
    "received", "recipient", "sender", "reasonCode", "reasonReference", "payload", "note"})
REFERENCE = frozenset({"id", "extension", "reference", "type", "identifier", "display"})
IDENTIFIER = frozenset({"id", "extension", "use", "type", "system", "value", "period",
                        "assigner"})
PAYLOAD = frozenset({"id", "extension", "modifierExtension", "contentString",
                     "contentAttachment", "contentReference"})
STATUSES = {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
            "entered-in-error", "unknown"}
# How a recipient names a member of the network: the reference's type, and the field.
# `read_side` registers `create` from here, so its codes are read at call time (the two
# modules import each other).
RECIPIENTS = {"RelatedPerson": "pk", "Practitioner": "user_id",
              "Organization": "organisation_id"}


def create(caller, body: dict) -> Entry:
    writes.check_elements(body, ELEMENTS, "Communication")
    _status(body)
    person = _person(body, caller.user)
    _sender(body, caller)
    kind, audience = _category(body)
    members = _recipients(body, person)
    if audience is None:
        audience = Audience.NAMED if members else Audience.NETWORK
    if not booklet.may_use_audience(caller.user, audience):
        raise _rule(_("This client may not write for the audience “%(audience)s”.")
                    % {"audience": audience})
    text, reply_to = _text(body), _reply_to(body, caller.user, person)
    identifier = _identifier(body, caller)
    try:
        return booklet.write(person, author=caller.user, body=text, kind=kind,
                             audience=audience, named_members=members,
                             organisation=caller.client.organisation, reply_to=reply_to,
                             identifier=identifier)
    except ValidationError as error:
        raise _rule(" ".join(error.messages)) from error


def _rule(text: str) -> FhirError:
    return FhirError(422, "business-rule", text)


def _required(body: dict, name: str):
    if body.get(name) in (None, "", [], {}):
        raise FhirError(400, "required", _("“%(path)s” is required.") % {"path": name})
    return body[name]


def _status(body: dict) -> None:
    status = _required(body, "status")
    if not isinstance(status, str) or status not in STATUSES:
        raise invalid("status", str(status))
    if status != "completed":
        raise _rule(_("A booklet entry is written once, whole: its status is completed."))


def _reference(value, path: str) -> tuple[str, int]:
    if not isinstance(value, dict):
        raise invalid(path, str(value)[:64])
    writes.check_elements(value, REFERENCE, path)
    kind, _slash, local = str(value.get("reference", "")).partition("/")
    if not is_digits(local) or len(local) > 18:
        raise invalid(path, str(value.get("reference", ""))[:64])
    return kind, int(local)


def _person(body: dict, user) -> Person:
    kind, pk = _reference(_required(body, "subject"), "subject")
    person = Person.objects.visible_to(user).filter(pk=pk).first() if kind == "Patient" \
        else None
    if person is None:
        raise _rule(_("%(reference)s is not known to this server.")
                    % {"reference": f"{kind}/{pk}"[:80]})
    return person


def _sender(body: dict, caller) -> None:
    if body.get("sender") is None:
        return
    if _reference(body["sender"], "sender") != ("Organization", caller.client.organisation_id):
        raise _rule(_("The author is this client, for its organisation: leave sender out or "
                      "name that organisation."))


def _category(body: dict) -> tuple[str, str | None]:
    kind, audience = EntryKind.NOTE, None
    categories = body.get("category") or []
    if not isinstance(categories, list):
        raise invalid("category", str(categories)[:64])
    for concept in categories:
        codings = concept.get("coding", []) if isinstance(concept, dict) else None
        if not isinstance(codings, list):
            raise invalid("category", str(concept)[:64])
        for coding in codings:
            system, code = (coding.get("system"), coding.get("code")) if isinstance(
                coding, dict) else (None, None)
            if system == read_side.KIND and code in EntryKind.values:
                kind = code
            elif system == read_side.AUDIENCE and code in Audience.values:
                audience = code
            elif system in (read_side.KIND, read_side.AUDIENCE):
                raise invalid("category", str(code)[:64])
    return kind, audience


def _recipients(body: dict, person: Person) -> list[NetworkMember]:
    sent = body.get("recipient") or []
    if not isinstance(sent, list):
        raise invalid("recipient", str(sent)[:64])
    nameable = NetworkMember.objects.active().filter(person=person, never_inform=False)
    members = []
    for value in sent:
        kind, pk = _reference(value, "recipient")
        found = nameable.filter(**{RECIPIENTS[kind]: pk}).exclude(
            relation=Relation.SELF).first() if kind in RECIPIENTS else None
        if found is None:
            raise _rule(_("%(reference)s is not a member of this person's network that an "
                          "entry may name.") % {"reference": f"{kind}/{pk}"[:80]})
        members.append(found)
    return members


def _identifier(body: dict, caller) -> tuple[str, str]:
    """The sender's identifier for the entry, ("", "") when none; one it used already
    for another entry is a 409 (If-None-Exist finds that entry instead)."""
    sent = body.get("identifier") or []
    if not isinstance(sent, list) or not all(isinstance(i, dict) for i in sent):
        raise invalid("identifier", str(sent)[:64])
    for item in sent:
        writes.check_elements(item, IDENTIFIER, "identifier")
    found = [(i.get("system"), i.get("value")) for i in sent
             if i.get("system") and i.get("value")]
    if not found:
        return "", ""
    system, value = found[0]
    if not isinstance(system, str) or not isinstance(value, str) or len(system) > 255 or (
            len(value) > 200):
        raise invalid("identifier", f"{system}|{value}"[:64])
    if Entry.objects.filter(author=caller.user, identifier_system=system,
                            identifier_value=value).exists():
        raise FhirError(409, "duplicate", _(
            "This client already wrote an entry with the identifier “%(value)s”: create "
            "with If-None-Exist to have it answered.") % {"value": value[:64]})
    return system, value


def _text(body: dict) -> str:
    payload = _required(body, "payload")
    if not isinstance(payload, list) or len(payload) != 1 or not isinstance(payload[0], dict):
        raise _rule(_("A booklet entry is one text: send one payload with contentString."))
    writes.check_elements(payload[0], PAYLOAD, "payload")
    text = payload[0].get("contentString")
    if not isinstance(text, str):
        raise _rule(_("A booklet entry is one text: send one payload with contentString."))
    return text


def _reply_to(body: dict, user, person: Person) -> Entry | None:
    answered = body.get("inResponseTo") or []
    if not isinstance(answered, list) or len(answered) > 1:
        raise invalid("inResponseTo", str(answered)[:64])
    if not answered:
        return None
    kind, pk = _reference(answered[0], "inResponseTo")
    entry = Entry.objects.visible_to(user).filter(pk=pk, person=person).first() if (
        kind == "Communication") else None
    if entry is None:
        raise _rule(_("%(reference)s is not known to this server.")
                    % {"reference": f"{kind}/{pk}"[:80]})
    return entry


def register_types() -> None:
    """Give the read side's type its create (after it is registered: resources/
    __init__.py lists the write modules last, so that neither side imports the other's
    registration and the read side imports nothing of the writes)."""
    registry.register(dataclasses.replace(
        registry.TYPES["Communication"], create=create,
        # A conditional create answers an entry this client wrote (none is ever changed).
        matchable=lambda user, rows: rows.filter(author=user)))
