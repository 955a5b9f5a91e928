"""Merges: the hospital says two of its patient ids are one patient (A40 merge, A34 merge
of ids, A47 change of id). PID-3 is the id that stays, MRG-1 the one retired.

Relais links a hospital's patient ids to persons (`PatientLink`). A merge moves the
retired id's link to the person behind the surviving id, and closes it (`merged_into`):
late messages with the old id still find the person. Messages still waiting for a match
under the old id move to the new one. Every change is audited with what it was before,
so a person can undo it (`undo_merge`).

When the two ids are linked to two different persons in Relais, each with their own
record, no program decides they are one: the message waits on the pending page
(`PENDING_MERGE`) until a person confirms (`confirm_merge`) or declines it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.access import policy
from relais.access.policy import Action
from relais.audit import log as audit
from relais.audit.models import AuditEvent
from relais.interop.adt.apply import Outcome, ignored
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.event import AdtEvent, read_stored
from relais.stays.models import AdtMessage, AdtStatus, PatientLink

MERGES = frozenset({"A34", "A40", "A47"})


def apply_merge(hospital, event: AdtEvent, message: AdtMessage) -> Outcome:
    """The merge applied, or kept for a person to confirm; never acknowledged and dropped."""
    surviving, retired = event.patient_id, event.prior_patient_id
    if not retired:
        raise Refused("MRG-1 (the patient id to merge) is missing.", error=Err.REQUIRED_FIELD)
    if not surviving or surviving == retired:
        raise Refused("PID-3 must carry the surviving patient id, other than MRG-1.",
                      error=Err.REQUIRED_FIELD)
    moved = _move_waiting(hospital, retired, surviving)
    links = {link.patient_id: link for link in PatientLink.objects.select_for_update().filter(
        hospital=hospital, patient_id__in=[surviving, retired])}
    old, new = links.get(retired), links.get(surviving)
    if old is None:
        note = f"Relais has no record linked to {retired}: nothing to merge."
        if moved:
            note = f"{moved} waiting message(s) moved from {retired} to {surviving}."
        return ignored(note) if not moved else Outcome(AdtStatus.APPLIED, note)
    if old.merged_into == surviving and (new is None or new.person_id == old.person_id):
        return ignored(f"{retired} was already merged into {surviving}.")
    if new is not None and new.person_id != old.person_id:
        message.patient_id = surviving
        return Outcome(AdtStatus.PENDING_MERGE,
                       f"Kept: {retired} and {surviving} are two records in Relais; a person "
                       "must confirm the merge.")
    merge_links(hospital, old, surviving, old.person_id, actor=None, how="feed")
    return Outcome(AdtStatus.APPLIED, f"{retired} merged into {surviving}.")


def _move_waiting(hospital, retired: str, surviving: str) -> int:
    return AdtMessage.objects.filter(hospital=hospital, status=AdtStatus.PENDING_MATCH,
                                     patient_id=retired).update(patient_id=surviving)


def merge_links(hospital, old: PatientLink, surviving: str, person_id: int, *, actor,
                how: str) -> None:
    """The retired id's link now points to `person_id` and is closed; the surviving id is
    linked to the same person. Audited with the state before, for `undo_merge`."""
    before = {"person_id": old.person_id, "merged_into": old.merged_into}
    new, created = PatientLink.objects.get_or_create(
        hospital=hospital, patient_id=surviving, defaults={"person_id": person_id})
    if not created and new.person_id != person_id:
        before["surviving_person_id"] = new.person_id
        new.person_id = person_id
        new.save(update_fields=["person"])
    old.person_id, old.merged_into = person_id, surviving
    old.save(update_fields=["person", "merged_into"])
    audit.record("patient_link.merge", actor=actor, target=old, person_id=person_id,
                 organisation=hospital,
                 detail={"how": how, "retired": old.patient_id, "surviving": surviving,
                         "surviving_created": created, "before": before})


@transaction.atomic
def confirm_merge(message: AdtMessage, *, actor) -> None:
    """A person says the two records are one patient of this hospital: the retired id's
    link moves to the surviving id's person. The two Relais records themselves stay as
    they are (joining them is the network's work, not the feed's)."""
    message = _waiting_merge(message)
    event = read_stored(message.raw)
    links = {link.patient_id: link for link in PatientLink.objects.select_for_update().filter(
        hospital=message.hospital, patient_id__in=[event.patient_id, event.prior_patient_id])}
    old, new = links.get(event.prior_patient_id), links.get(event.patient_id)
    if old is not None and new is not None:
        merge_links(message.hospital, old, event.patient_id, new.person_id, actor=actor,
                    how="confirmed")
    _close(message, AdtStatus.APPLIED, actor, "Merge confirmed by a person.")


@transaction.atomic
def decline_merge(message: AdtMessage, *, actor) -> None:
    """A person says the two Relais records are not one patient: nothing changes."""
    _close(_waiting_merge(message), AdtStatus.IGNORED, actor,
           "Merge declined by a person: the two records stay apart.")


def _waiting_merge(message: AdtMessage) -> AdtMessage:
    message = AdtMessage.objects.select_for_update(of=("self",)).select_related("hospital").get(
        pk=message.pk)
    if message.status != AdtStatus.PENDING_MERGE:
        raise ValidationError(_("This message was already dealt with."), code="resolved")
    return message


def _close(message: AdtMessage, status: str, actor, note: str) -> None:
    message.status, message.resolved_by, message.resolved_at = status, actor, timezone.now()
    message.problem = " ".join(filter(None, [note, f"(When received: {message.problem})"]))
    message.save(update_fields=["status", "problem", "resolved_by", "resolved_at"])
    audit.record("adt.merge_" + ("confirm" if status == AdtStatus.APPLIED else "decline"),
                 actor=actor, target=message, organisation=message.hospital)


@transaction.atomic
def undo_merge(link: PatientLink, *, actor) -> None:
    """Reopen a link a merge closed, as it was before (read from the merge's audit event)."""
    link = PatientLink.objects.select_for_update().get(pk=link.pk)
    if not link.merged_into:
        raise ValidationError(_("This patient id was not merged, or its merge was already "
                                "undone."), code="not_merged")
    target_type, target_id = audit.target_of(link)
    merge = AuditEvent.objects.filter(action="patient_link.merge", target_type=target_type,
                                      target_id=target_id).order_by("-id").first()
    if merge is None:
        raise ValidationError(_("Relais has no record of how this merge was made: it cannot "
                                "undo it."), code="no_record")
    before = merge.detail["before"]
    link.person_id, link.merged_into = before["person_id"], before["merged_into"]
    link.save(update_fields=["person", "merged_into"])
    surviving = PatientLink.objects.filter(hospital=link.hospital,
                                           patient_id=merge.detail["surviving"])
    if merge.detail.get("surviving_created"):
        surviving.delete()
    elif "surviving_person_id" in merge.detail["before"]:
        surviving.update(person_id=before["surviving_person_id"])
    audit.record("patient_link.unmerge", actor=actor, target=link, person_id=link.person_id,
                 organisation=link.hospital, detail={"surviving": merge.detail["surviving"]})


# --- merges applied, for the hospital's liaison staff -----------------------------------


def _last_merge_event():
    return AuditEvent.objects.filter(
        action="patient_link.merge", target_type=PatientLink._meta.label_lower,
        target_id=Cast(OuterRef("pk"), output_field=CharField())).order_by("-id")


def applied_merges(user) -> QuerySet:
    """The merged (closed) patient-id links `user` may see, the latest merge first, with
    when and by whom (empty: the feed) from the merge's audit event."""
    return policy.visible(user, PatientLink.objects.exclude(merged_into="")).select_related(
        "hospital").annotate(
        merged_at=Subquery(_last_merge_event().values("occurred_at")[:1]),
        merged_by=Subquery(_last_merge_event().values("actor_label")[:1]),
    ).order_by("-merged_at", "-pk")


def merged_link_for(user, pk) -> PatientLink:
    """A merged link `user` may undo, or Http404 (missing and forbidden alike, audited)."""
    return policy.object_for(user, PatientLink, pk, Action.CHANGE,
                             queryset=applied_merges(user))
