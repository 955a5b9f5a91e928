"""Communication: the entries of a person's booklet, read-only here (Communication
create is the write path's). Which entries a caller reads is the booklet's own rule
(`Entry.objects.visible_to`, booklet/rules.py): the person's record must be readable and
the caller in the entry's audience — everyone in the network, health professionals only
(a system client's account has no health profession, so never those), named members
(the caller, or the organisation it acts for), the safeguarding circle.

Served: the person (subject), who wrote it (sender), when (sent), its kind (category),
the text and the attachment's name and type (payload; the file itself is not served),
the audience (not whom a "named members" entry names: the booklet's page does not show
them either), the entry it answers (inResponseTo). Reading it is "opened the booklet" in
the person's "who looked at my record"; no read receipt is written (a receipt says a
person saw it). `entry_resource` maps an entry on its own, for the write path to reuse.
"""

from django.db.models import Q

from relais.booklet.models import Audience, Entry, EntryKind
from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.values import (
    ID_PARAM,
    any_of,
    date_condition,
    date_range,
    reference_id,
    token,
)
from relais.network.models import choice_label

COMMUNICATION_PROFILE = "http://hl7.org/fhir/StructureDefinition/Communication"
KIND = "urn:relais:booklet-kind"
AUDIENCE = "urn:relais:booklet-audience"
PRIORITY = {EntryKind.ALERT: "urgent"}  # an alert asks to be acknowledged


def candidates():
    return Entry.objects.select_related("author")


def visible(user):
    return candidates().visible_to(user)


def entry_resource(entry: Entry) -> dict:
    """The entry as a Communication's content (without id and meta)."""
    body = {
        "status": "completed",
        "category": [codes.concept(KIND, entry.kind, choice_label(EntryKind, entry.kind)),
                     codes.concept(AUDIENCE, entry.audience,
                                   choice_label(Audience, entry.audience))],
        "priority": PRIORITY.get(entry.kind, "routine"),
        "subject": {"reference": f"Patient/{entry.person_id}"},
        "sent": entry.created_at.isoformat(timespec="seconds"),
        "sender": _sender(entry),
        "payload": _payload(entry),
    }
    if entry.reply_to_id:
        body["inResponseTo"] = [{"reference": f"Communication/{entry.reply_to_id}"}]
    if entry.identifier_value:
        body = {"identifier": [{"system": entry.identifier_system,
                                "value": entry.identifier_value}], **body}
    return body


def _sender(entry: Entry) -> dict:
    """A professional is a Practitioner; a relative or the person themselves is named."""
    sender = {"display": entry.author_label or entry.author.get_full_name()}
    if entry.author.is_professional:
        sender["reference"] = f"Practitioner/{entry.author_id}"
    return sender


def _payload(entry: Entry) -> list[dict]:
    payload = [{"contentString": entry.body}]
    if entry.attachment:
        payload.append({"contentAttachment": {"contentType": entry.attachment_type,
                                              "title": entry.attachment_name}})
    return payload


def _patient(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(person_id=reference_id("patient", v, "Patient")))


def _identifier(queryset, value, modifier):
    return any_of(queryset, value, _one_identifier)


def _one_identifier(value: str) -> Q:
    """The identifier its sender gave the entry: system|value, or the value alone."""
    system, code = token(value)
    if system is None:
        return Q(identifier_value=code) & ~Q(identifier_value="")
    return Q(identifier_system=system, identifier_value=code) & ~Q(identifier_value="")


def _sent(queryset, value, modifier):
    prefix, start, end = date_range("sent", value)
    return queryset.filter(date_condition("created_at__date", prefix, start, end))


def _category(queryset, value, modifier):
    return any_of(queryset, value, _one_category)


def _one_category(value: str) -> Q:
    system, code = token(value)
    if system == AUDIENCE:
        return Q(audience=code)
    return Q(kind=code) if system in (None, "", KIND) else Q(pk__in=[])


SEARCH = (
    ID_PARAM,
    SearchParam("identifier", "token", "The identifier the sending system gave the entry "
                "(system|value), kept when it wrote it through this API.", _identifier),
    SearchParam("patient", "reference", "The person (Patient/<id>) whose booklet it is in.",
                _patient, target="Patient", refs=lambda entry: [entry.person_id]),
    SearchParam("subject", "reference", "The same as patient.", _patient,
                target="Patient", refs=lambda entry: [entry.person_id]),
    SearchParam("sent", "date", "The day it was written (Europe/Brussels), with eq, ge, le, "
                "gt, lt prefixes.", _sent),
    SearchParam("category", "token", "The entry's kind (urn:relais:booklet-kind: note, "
                "observation, alert, handover, question, answer), or with the system "
                "urn:relais:booklet-audience its audience (network, health, named, "
                "safeguarding).", _category),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Communication", profile=COMMUNICATION_PROFILE, model=Entry, visible=visible,
        render=entry_resource, search_params=SEARCH, order=("-created_at", "-pk"),
        documentation="Booklet entries the caller may read: of the persons it may read, "
                      "addressed to an audience it belongs to.",
        person_of=lambda entry: entry.person_id, read_action="booklet.read",
        search_action="fhir.communication.search",
        last_updated=lambda entry: entry.created_at, candidates=candidates,
        person_field="person_id"))
