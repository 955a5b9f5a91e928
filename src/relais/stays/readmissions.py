"""Readmissions: an admission within RELAIS_READMISSION_DAYS of a discharge, in any
hospital, is linked to that stay and marked planned or unplanned.

A feature above stays (the follow-up at home) registers what it recorded between the
discharge and the readmission (`register_home_record`); the stay page, the hospital's
work list and the person page show it beside the readmission badge, for each viewer
only what the gate shows them.

Planned means the hospital said so (an elective admission, or a pre-admission); an
emergency, or an admission whose type is not known, counts as unplanned. Cancelled stays
(A11) never count, on either side: the queries and `Stay.readmission_after` leave them out.
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings

from relais.audit import log as audit
from relais.stays.models import AdmissionType, Stay

# HL7 table 0007 (admission type, PV1-4) as Belgian hospital systems send it.
HL7_ADMISSION_TYPES = {
    "A": AdmissionType.EMERGENCY,  # accident
    "E": AdmissionType.EMERGENCY,
    "U": AdmissionType.EMERGENCY,  # urgent
    "C": AdmissionType.ELECTIVE,
    "R": AdmissionType.ELECTIVE,  # routine
    "L": AdmissionType.MATERNITY,  # labour and delivery
    "N": AdmissionType.MATERNITY,  # newborn
}


def admission_type_from_hl7(code: str) -> str:
    """PV1-4's code as an admission type; an unknown code is "not known", not an error."""
    return HL7_ADMISSION_TYPES.get(code.strip().upper()[:1], AdmissionType.UNKNOWN) if code \
        else AdmissionType.UNKNOWN


def window() -> timedelta:
    return timedelta(days=settings.RELAIS_READMISSION_DAYS)


def previous_discharge(stay) -> Stay | None:
    """The person's latest stay discharged within the window before `stay`'s admission."""
    return (Stay.objects.filter(person=stay.person_id, cancelled_at__isnull=True,
                                discharged_at__isnull=False,
                                discharged_at__lte=stay.admitted_at,
                                discharged_at__gte=stay.admitted_at - window())
            .exclude(pk=stay.pk).order_by("-discharged_at").first())


def link_previous(stay, *, pre_admitted: bool = False) -> Stay | None:
    """Called by `open_stay` inside its transaction: link the readmission, if it is one."""
    previous = previous_discharge(stay)
    if previous is None:
        return None
    stay.previous_stay = previous
    stay.readmission_planned = pre_admitted or stay.admission_type == AdmissionType.ELECTIVE
    stay.save(update_fields=["previous_stay", "readmission_planned", "updated_at"])
    audit.record("stay.readmission", actor=None, target=stay, person_id=stay.person_id,
                 organisation=stay.hospital,
                 detail={"previous_stay": previous.pk, "planned": stay.readmission_planned})
    return previous


# --- what happened at home between the discharge and the readmission ---------------------

# Each: (user, readmissions: list[Stay]) -> {readmission pk: context for its template}.
HomeRecord = Callable[[object, list], dict]
_home_records: list[HomeRecord] = []


def register_home_record(record: HomeRecord) -> None:
    """A feature above stays tells what it recorded at home (called from its ready())."""
    if record not in _home_records:
        _home_records.append(record)


def home_records(user, stays) -> dict[int, list[dict]]:
    """For each readmission among `stays` (the previous stay's discharge and this
    admission, neither cancelled), what the registered features recorded at home, as
    `user` may see it: {stay pk: [context, ...]}. No query without a readmission."""
    readmissions = [stay for stay in stays if stay.readmission_after is not None]
    found: dict[int, list[dict]] = {}
    if not readmissions or not getattr(user, "is_authenticated", False):
        return found
    for record in _home_records:
        for stay_pk, context in record(user, readmissions).items():
            found.setdefault(stay_pk, []).append(context)
    return found
