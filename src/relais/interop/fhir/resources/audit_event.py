"""AuditEvent: Relais's audit log, read-only, as IHE Basic Audit Log Patterns (BALP) shape
events: a DICOM type (patient record, query, user authentication, audit log used,
application activity), Relais's action code as the subtype, the action (R C U D E), when,
the outcome, the agent who did it (requestor) and the organisation it acted for, the
person (entity, role patient) and the object.

Who reads which events is what the pages show, no more:
* the audit log's page (`access.policy.visible_audit_events`): one's own events, a
  manager's organisations' events, everything for a platform administrator;
* "who looked at this record" (`network.rules.access_log_persons`, the list form of the
  page's `may_see_access_log`): every event about a person whose page the caller may
  open — the contact point, and professionals who may change the record.
A system client's account is no manager and no platform administrator: it reads its own
events and the log of the persons whose record its organisation may change, as a
professional of that organisation would on the pages.

Served as the "who looked" page names people: by name, never by e-mail address; no IP
address, request id or detail. Reading events about a person is itself audited with the
person's id (`fhir.auditevent.read`, `fhir.auditevent.search`), as the page's read is.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from relais.access import policy
from relais.audit.models import AuditEvent, Outcome
from relais.core.text import is_digits
from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.values import (
    ID_PARAM,
    any_of,
    date_condition,
    date_range,
    reference_id,
    token,
)
from relais.network.rules import access_log_persons

AUDIT_EVENT_PROFILE = "http://hl7.org/fhir/StructureDefinition/AuditEvent"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACTION_CODE = "urn:relais:audit-action"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
AGENT = "urn:relais:audit-agent"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
# A system client's account (clients.ACCOUNT_DOMAIN; clients imports this package): no
# Practitioner, the client's name.
CLIENT_ACCOUNTS = "@clients.relais.invalid"
OUTCOMES = {Outcome.SUCCESS: "0", Outcome.DENIED: "4", Outcome.FAILED: "8"}
# Relais's objects that the API serves, as the FHIR type of the same id.
SERVED = {"network.person": "Patient", "stays.stay": "Encounter",
          "booklet.entry": "Communication", "accounts.organisation": "Organization",
          "directory.service": "HealthcareService"}
READS = ("read", "list", "viewed", "print", "everything", "exported")
CREATES = ("create", "add", "open", "write", "give", "ask", "send", "invite", "start",
           "import", "accept", "record")
DELETES = ("delete", "deleted", "remove", "finding_deleted")
UPDATES = ("change", "save", "status", "revoke", "end", "cancel", "exclude", "include",
           "discharge", "transfer", "acknowledge", "confirm", "updated", "answer", "decide")


def visible(user):
    events = AuditEvent.objects.select_related("actor", "organisation")
    on_the_log_page = policy.visible(user, events)
    on_who_looked = events.filter(person_id__in=access_log_persons(user))
    return on_the_log_page | on_who_looked


def render(event: AuditEvent) -> dict:
    body = {"type": _type(event),
            "subtype": [{"system": ACTION_CODE, "code": event.action}],
            "action": action_of(event.action),
            "recorded": event.occurred_at.isoformat(timespec="milliseconds"),
            "outcome": OUTCOMES.get(event.outcome, "8"),
            "agent": _agents(event),
            "source": {"observer": {"display": "Relais"},
                       "type": [{"system": SOURCE_TYPE, "code": "4",
                                 "display": "Application Server"}]}}
    if event.break_glass or event.purpose:
        body["purposeOfEvent"] = [_purpose(event)]
    entities = _entities(event)
    if entities:
        body["entity"] = entities
    return body


def _purpose(event: AuditEvent) -> dict:
    """Breaking the glass is for an emergency; its reason is the text, as "who looked"
    shows it."""
    purpose = {"text": event.purpose} if event.purpose else {}
    if event.break_glass:
        purpose["coding"] = [{"system": ACT_REASON, "code": "ETREAT",
                              "display": "Emergency Treatment"}]
    return purpose


def verb(action: str) -> str:
    """"person.read" → "read"; "followup.watch.check_in" → "check_in"."""
    return action.rsplit(".", 1)[-1]


def action_of(action: str) -> str:
    """R, C, U, D or E from the verb of Relais's code (a search is an E, as in BALP)."""
    word = verb(action)
    if word == "search":
        return "E"
    for letter, words in (("R", READS), ("C", CREATES), ("D", DELETES), ("U", UPDATES)):
        if word in words or any(word.endswith(f"_{w}") for w in words):
            return letter
    return "E"


def _type(event: AuditEvent) -> dict:
    if event.action.startswith("auth."):
        return {"system": DCM, "code": "110114", "display": "User Authentication"}
    if event.action.startswith("fhir.auditevent."):
        return {"system": DCM, "code": "110101", "display": "Audit Log Used"}
    if verb(event.action) in ("search", "list") or verb(event.action).endswith("_list_read"):
        return {"system": DCM, "code": "110112", "display": "Query"}
    if event.person_id or event.detail.get("persons"):
        return {"system": DCM, "code": "110110", "display": "Patient Record"}
    return {"system": DCM, "code": "110100", "display": "Application Activity"}


def _agents(event: AuditEvent) -> list[dict]:
    """Who did it (the requestor), then the organisation it acted for."""
    writes = action_of(event.action) in ("C", "U", "D")
    role = ("AUT", "author (originator)") if writes else ("IRCP", "information recipient")
    agent = {"type": {"coding": [{"system": PARTICIPATION, "code": role[0],
                                  "display": role[1]}]},
             "who": _who(event), "requestor": True}
    agents = [agent]
    if event.organisation_id:
        agents.append({"type": {"coding": [{"system": AGENT, "code": "organisation",
                                            "display": "acting for"}]},
                       "who": {"reference": f"Organization/{event.organisation_id}",
                               "display": event.organisation.name},
                       "requestor": False})
    return agents


def _who(event: AuditEvent) -> dict:
    """A professional as a Practitioner; anyone else by name; an automatic task or the
    hospital's feed as Relais. Never the e-mail address."""
    user = event.actor
    if user is None:
        return {"display": "Relais"}
    who = {"identifier": {"system": "urn:relais:user", "value": str(user.pk)}}
    if user.is_professional and not user.email.endswith(CLIENT_ACCOUNTS):
        who["reference"] = f"Practitioner/{user.pk}"
    name = user.get_full_name()
    if name:
        who["display"] = name
    return who


def _entities(event: AuditEvent) -> list[dict]:
    persons = [event.person_id] if event.person_id else []
    persons += [pk for pk in event.detail.get("persons", []) if pk not in persons]
    entities = [{"what": {"reference": f"Patient/{pk}"},
                 "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                 "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"}}
                for pk in persons]
    if event.target_id and event.target_type not in ("", "network.person"):
        entities.append({"what": _object(event),
                         "type": {"system": ENTITY_TYPE, "code": "2",
                                  "display": "System Object"}})
    return entities


def _object(event: AuditEvent) -> dict:
    served = SERVED.get(event.target_type)
    if served and is_digits(event.target_id):
        return {"reference": f"{served}/{event.target_id}"}
    return {"identifier": {"system": f"urn:relais:{event.target_type}",
                           "value": event.target_id}}


def _patient(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(person_id=reference_id("patient", v, "Patient")))


def _agent(queryset, value, modifier):
    """A Practitioner (or any account by its id) did it, or an Organization acted."""
    def one(v: str) -> Q:
        if v.startswith("Organization/"):
            return Q(organisation_id=reference_id("agent", v, "Organization"))
        return Q(actor_id=reference_id("agent", v, "Practitioner"))

    return any_of(queryset, value, one)


def _date(queryset, value, modifier):
    prefix, start, end = date_range("date", value)
    zone = ZoneInfo(settings.TIME_ZONE)
    moments = (datetime.combine(start, time(), zone), datetime.combine(end, time(), zone))
    return queryset.filter(date_condition("occurred_at", prefix, *moments))


def _subtype(queryset, value, modifier):
    return any_of(queryset, value, lambda v: Q(action=token(v)[1])
                  if token(v)[0] in (None, ACTION_CODE) else Q(pk__in=[]))


def _outcome(queryset, value, modifier):
    outcomes = {code: outcome for outcome, code in OUTCOMES.items()}
    return any_of(queryset, value, lambda v: Q(outcome=outcomes[token(v)[1]])
                  if token(v)[1] in outcomes else Q(pk__in=[]))


SEARCH = (
    ID_PARAM,
    SearchParam("patient", "reference", "The person (Patient/<id>) the event is about.",
                _patient),
    SearchParam("date", "date", "When it happened (Europe/Brussels days), with eq, ge, le, "
                "gt, lt prefixes.", _date),
    SearchParam("agent", "reference", "Who did it (Practitioner/<id>, or an account's id "
                "as in agent.who.identifier), or the organisation it acted for "
                "(Organization/<id>).", _agent),
    SearchParam("subtype", "token", "Relais's action code (urn:relais:audit-action), e.g. "
                "person.read.", _subtype),
    SearchParam("outcome", "token", "0 success, 4 refused, 8 failed.", _outcome),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="AuditEvent", profile=AUDIT_EVENT_PROFILE, model=AuditEvent, visible=visible,
        render=render, search_params=SEARCH, order=("-id",),
        documentation="The audit log, as the pages show it: the caller's own events, its "
                      "organisations' for a manager, and every event about a person "
                      "whose \"who looked at this record\" the caller may open.",
        person_of=lambda event: event.person_id, read_action="fhir.auditevent.read",
        search_action="fhir.auditevent.search", version_of=lambda event: None,
        last_updated=lambda event: event.occurred_at))
