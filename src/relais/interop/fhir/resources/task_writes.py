"""Task update: the receiving organisation's system accepts, declines (with a reason),
starts or completes a referral, and the sending organisation's cancels it — through
`stays.referrals.transition`, which allows only the transitions declared once
(stays.models.TRANSITIONS), writes the timeline and the audit event (`referral.<status>`),
has the accepting organisation join the network and tells the other side.

What it reads of the Task sent back: `status` (requested, accepted, rejected,
in-progress, completed, cancelled: `task.TASK_STATUS_REFERRAL`), `statusReason` (why it
is declined: urn:relais:decline-reason, required for `rejected`) and `note[0].text` (the
explanation). The same status again changes nothing. What says which referral it is and
between whom (`for`, `focus`, `owner`, `requester`) does not change. A follow-up
contact's Task is recorded on its page, not here.
"""

import dataclasses

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relais.core.fields import REASON
from relais.interop.fhir import registry, writes
from relais.interop.fhir.outcome import FhirError

# The read side's module: it registers `update` from here, so its names are read at
# call time (the two modules import each other).
from relais.interop.fhir.resources import task as read_side
from relais.interop.fhir.values import invalid
from relais.stays import referrals
from relais.stays.models import DeclineReason, Referral, ReferralStatus
from relais.stays.rules import may_answer_referral, may_cancel_referral

ELEMENTS = frozenset({
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained",
    "extension", "modifierExtension", "identifier", "instantiatesCanonical",
    "instantiatesUri", "basedOn", "groupIdentifier", "partOf", "status", "statusReason",
    "businessStatus", "intent", "priority", "code", "description", "focus", "for",
    "encounter", "executionPeriod", "authoredOn", "lastModified", "requester",
    "performerType", "owner", "location", "reasonCode", "reasonReference", "insurance",
    "note", "relevantHistory", "restriction", "input", "output"})
FIXED = ("for", "focus", "owner", "requester")
STATUSES = {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
            "in-progress", "on-hold", "failed", "completed", "entered-in-error"}


def update(caller, row, body: dict):
    if not isinstance(row, Referral):
        raise _rule(_("A follow-up contact is recorded on its page; only a referral's Task "
                      "is updated here."))
    writes.check_elements(body, ELEMENTS, "Task")
    to = _status(body)
    _fixed(body, row)
    if to == row.status:
        return row  # sent again: nothing to do
    _may_move(caller, row, to)
    reason, note = _reason(body) if to == ReferralStatus.DECLINED else ("", "")
    try:
        return referrals.transition(row, to, actor=caller.user, reason=reason, note=note,
                                    expected_version=row.version)
    except ValidationError as error:
        illegal = getattr(error, "code", None) == "illegal_transition"
        raise FhirError(409 if illegal else 422, "conflict" if illegal else "business-rule",
                        " ".join(error.messages)) from error


def _rule(text: str) -> FhirError:
    return FhirError(422, "business-rule", text)


def _status(body: dict) -> str:
    status = body.get("status")
    if status in (None, ""):
        raise FhirError(400, "required", _("“%(path)s” is required.") % {"path": "status"})
    if not isinstance(status, str) or status not in STATUSES:
        raise invalid("status", str(status))
    if status not in read_side.TASK_STATUS_REFERRAL:
        raise _rule(_("A referral's Task is requested, accepted, rejected, in-progress, "
                      "completed or cancelled; “%(status)s” is not one of them.")
                    % {"status": status})
    return read_side.TASK_STATUS_REFERRAL[status]


def _fixed(body: dict, referral: Referral) -> None:
    """Which referral, for whom, between whom: as the Task says now."""
    current = read_side.render(referral)
    for path in FIXED:
        if path in body and body[path] != current.get(path):
            raise _rule(_("“%(path)s” cannot change on an existing Task.") % {"path": path})


def _may_move(caller, referral: Referral, to: str) -> None:
    """The receiver answers and carries out; the sender cancels (as on the pages)."""
    allowed = (may_cancel_referral(caller.user, referral) if to == ReferralStatus.CANCELLED
               else may_answer_referral(caller.user, referral))
    if not allowed:
        raise writes.forbidden(
            caller.user, registry.TYPES["Task"], read_side.TASK_ID(referral),
            "update", "rule", _("Only the receiving organisation answers a referral, and "
                                "only the sending one cancels it."))


def _reason(body: dict) -> tuple[str, str]:
    concept = body.get("statusReason") or {}
    codings = concept.get("coding", []) if isinstance(concept, dict) else None
    if not isinstance(codings, list):
        raise invalid("statusReason", str(concept)[:64])
    codes = [c.get("code") for c in codings
             if isinstance(c, dict) and c.get("system") == read_side.DECLINE_REASON]
    if codes and codes[0] not in DeclineReason.values:
        raise invalid("statusReason", str(codes[0])[:64])
    notes = body.get("note") or []
    if not isinstance(notes, list):
        raise invalid("note", str(notes)[:64])
    note = str(notes[0].get("text", "")) if notes and isinstance(notes[0], dict) else ""
    if len(note) > REASON:
        raise _rule(_("The explanation is longer than %(limit)s characters.")
                    % {"limit": REASON})
    return (codes[0] if codes else ""), note


def register_types() -> None:
    """Give the read side's type its update (after it is registered: resources/
    __init__.py lists the write modules last, so that neither side imports the other's
    registration and the read side imports nothing of the writes)."""
    registry.register(dataclasses.replace(registry.TYPES["Task"], update=update))
