"""Messages kept waiting for their person (`pending`): once the person is known, they are
applied in the order they arrived, each with its own fate. Their ACKs were sent long ago
and stay as they were.
"""

from django.utils import timezone, translation

from relais.interop.adt.ack import build_ack
from relais.interop.adt.apply import apply_event
from relais.interop.adt.errors import Refused
from relais.interop.adt.event import read_stored
from relais.interop.adt.received import read_header
from relais.stays.models import AdtMessage, AdtStatus


def waiting_messages(hospital, *, patient_id: str, niss: str = ""):
    waiting = AdtMessage.objects.filter(hospital=hospital, status=AdtStatus.PENDING_MATCH)
    waiting = waiting.filter(patient_id=patient_id) if patient_id else waiting.filter(
        patient_id="", niss=niss)
    return waiting.order_by("received_at", "pk")


def apply_waiting(hospital, patient_id: str, person_id: int, *, actor, niss: str = "") -> int:
    """Apply the person's kept messages in the order they arrived; each gets its own fate
    (a refused one does not stop the others). Their ACKs were sent long ago and stay."""
    applied = 0
    for message in waiting_messages(hospital, patient_id=patient_id, niss=niss):
        apply_stored(message, person_id, actor=actor)
        applied += 1
    return applied


def apply_stored(message: AdtMessage, person_id: int, *, actor) -> None:
    code, error = "AA", None
    with translation.override("en"):
        try:
            outcome = apply_event(read_stored(message.raw, received_at=message.received_at),
                                  person_id, message.hospital, actor)
            message.status, message.stay, note = outcome.status, outcome.stay, outcome.note
        except Refused as refusal:
            message.status, note = AdtStatus.REJECTED, refusal.reason
            code, error = refusal.code, refusal.error
    earlier = f"(When received: {message.problem})" if message.problem else ""
    message.problem = " ".join(filter(None, [note, earlier]))
    # The application acknowledgement now says what it finally did.
    message.result = build_ack(read_header(message.raw), code, note, error)
    message.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    message.resolved_at = message.handled_at = timezone.now()
    message.save(update_fields=["status", "stay", "problem", "result", "resolved_by",
                                "resolved_at", "handled_at"])
