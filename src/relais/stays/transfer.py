"""The transfer note (issue 5 point 7) and the before-admission summary.

The note is built from the structured plan, the screenings and the referrals, in
sections; each reader sees the sections their role may see (relais.access.stays).
A saved version is a snapshot: what was handed over stays readable as it was.
"""

from django.db import transaction
from django.db.models import Max

from relais.audit import log as audit
from relais.stays.models import AdmissionBrief, Domain, TransferNote
from relais.stays.screening import latest_screenings, summarise

PLAN_SECTIONS = {Domain.MEDICAL: "medical", Domain.PSYCHOLOGICAL: "psychological",
                 Domain.SOCIAL: "social", Domain.PRACTICAL: "practical",
                 Domain.FAMILY: "family"}


def build(stay) -> dict:
    sections = {"summary": _summary(stay), "screening": _screenings(stay),
                "referrals": _referrals(stay)}
    for name in PLAN_SECTIONS.values():
        sections[name] = []
    for item in stay.plan_items.select_related("owner"):
        sections[PLAN_SECTIONS[item.domain]].append({
            "text": {"nl": item.text_nl, "fr": item.text_fr, "en": item.text_en},
            "status": item.status, "note": item.note,
            "owner": item.owner.get_full_name() if item.owner else ""})
    return sections


def _summary(stay) -> dict:
    person = stay.person
    return {
        "person": person.full_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "language": person.language, "interpreter": person.needs_interpreter,
        "living_situation": person.living_situation,
        "hospital": stay.hospital.name, "ward": stay.ward.name if stay.ward else "",
        "admitted_at": stay.admitted_at.isoformat(),
        "expected_discharge_on": (stay.expected_discharge_on.isoformat()
                                  if stay.expected_discharge_on else ""),
        "discharged_at": stay.discharged_at.isoformat() if stay.discharged_at else "",
        "destination": stay.destination, "followup_needs": stay.followup_needs,
    }


def _screenings(stay) -> list[dict]:
    """Results without restricted findings: a domestic-violence concern never travels in
    the transfer note (R14, DOMAIN.md §6), whoever reads it."""
    rows = []
    for screening in latest_screenings(stay):
        summary = summarise(screening, show_restricted=False)
        rows.append({"instrument": str(summary.name), "score": summary.score,
                     "band": str(summary.band),
                     "flagged": [str(label) for label in summary.flagged],
                     "done_on": screening.done_on.isoformat()})
    return rows


def _referrals(stay) -> list[dict]:
    return [{"service": r.service.name, "organisation": r.organisation.name,
             "status": r.status, "start_on": r.start_on.isoformat(),
             "frequency": r.frequency, "help_needed": r.help_needed}
            for r in stay.referrals.select_related("service", "organisation")]


@transaction.atomic
def save_version(stay, *, actor) -> TransferNote:
    number = (stay.transfer_notes.aggregate(n=Max("number"))["n"] or 0) + 1
    note = TransferNote.objects.create(stay=stay, number=number, sections=build(stay),
                                       created_by=actor)
    audit.record("transfer_note.save", actor=actor, target=note, person_id=stay.person_id,
                 detail={"version": number})
    return note


@transaction.atomic
def save_brief(person, text: str, *, actor) -> AdmissionBrief:
    brief, _ = AdmissionBrief.objects.update_or_create(
        person=person, defaults={"text": text, "updated_by": actor})
    audit.record("admission_brief.save", actor=actor, target=brief, person_id=person.pk)
    return brief
