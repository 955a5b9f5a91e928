"""Follow-up protocols (R18): the default one, choosing one for a discharge, new versions,
and the due dates of their steps.

A protocol is versioned: editing one makes a new version and retires the old, so a running
follow-up keeps reading the steps it started with.
"""

from datetime import date, timedelta

import holidays
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.audit import log as audit
from relais.core.transactions import service_transaction
from relais.followup.models import Channel, OwnerRole, Protocol, ProtocolStep, ScreeningResult
from relais.network.models import Role

DEFAULT_FAMILY = "default"
DEFAULT_NAME = "After discharge (default)"
DEFAULT_STEPS = (
    {"day": 2, "business_days": True, "owner_role": OwnerRole.RELAY,
     "channel": Channel.PHONE,
     "what_to_check": "Medication understood and taken; pain; eating and drinking; "
                      "help at home in place; appointments known."},
    {"day": 7, "business_days": False, "owner_role": OwnerRole.HOME_NURSE,
     "channel": Channel.VISIT,
     "what_to_check": "Wounds and care; falls; how the person and their caregivers cope."},
    {"day": 30, "business_days": False, "owner_role": OwnerRole.RELAY,
     "channel": Channel.PHONE,
     "what_to_check": "Is the help enough? New needs? Readmission avoided?"},
)
# Bands of a screening that mean "at risk" (stays/instruments.py names them so).
AT_RISK_BANDS = {"high", "medium", "moderate"}


# --- due dates ---------------------------------------------------------------------------


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays.Belgium(years=day.year)


def add_days(start: date, days: int, *, business_days: bool) -> date:
    """`start` + `days`: calendar days, or working days skipping weekends and Belgian
    public holidays (the `holidays` library keeps the list, not us)."""
    if not business_days:
        return start + timedelta(days=days)
    day = start
    for _counted in range(days):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day


def discharge_day(stay) -> date:
    """The Brussels calendar day of the discharge (settings' time zone)."""
    return timezone.localdate(stay.discharged_at)


# --- the default protocol ----------------------------------------------------------------


def ensure_default_protocol() -> Protocol:
    """The current default protocol, created the first time it is asked for. Idempotent;
    two discharges racing to create it end with one (the unique current version)."""
    current = _current(DEFAULT_FAMILY)
    if current is not None:
        return current
    try:
        with transaction.atomic():
            protocol = Protocol.objects.create(family=DEFAULT_FAMILY, name=DEFAULT_NAME)
            _create_steps(protocol, DEFAULT_STEPS)
            return protocol
    except IntegrityError:  # someone else created it meanwhile
        return _current(DEFAULT_FAMILY)


def _current(family: str) -> Protocol | None:
    return Protocol.objects.filter(family=family, retired_at__isnull=True).first()


def _create_steps(protocol, steps) -> None:
    ProtocolStep.objects.bulk_create(
        ProtocolStep(protocol=protocol, position=position, **step)
        for position, step in enumerate(steps))


# --- choosing a protocol for a discharge -------------------------------------------------


def choose_protocol(stay) -> Protocol:
    """The most specific current protocol for this stay: the hospital's or the person's
    coordination centre's > the person's care zone's > the default; among them, those whose
    destination, priority group and screening result (where set) match the stay."""
    candidates = [p for p in _current_protocols(stay) if _matches(p, stay)]
    if not candidates:
        return ensure_default_protocol()
    return max(candidates, key=_specificity)


def _current_protocols(stay):
    person = stay.person
    zone = person.care_zone
    organisations = [stay.hospital_id, *_coordination_centres(person)]
    return (Protocol.objects.filter(retired_at__isnull=True)
            .filter(Q(organisation_id__in=organisations)
                    | Q(organisation__isnull=True, care_zone=zone)
                    | Q(organisation__isnull=True, care_zone__isnull=True))
            .exclude(family=DEFAULT_FAMILY))


def _coordination_centres(person) -> list[int]:
    return list(person.members.active().filter(
        never_inform=False, organisation__isnull=False,
        roles__role=Role.COORDINATION_CENTRE).values_list("organisation_id", flat=True))


def _matches(protocol, stay) -> bool:
    if protocol.destination and protocol.destination != stay.destination:
        return False
    if protocol.priority_group and protocol.priority_group not in stay.person.priority_groups:
        return False
    return not protocol.screening_result or protocol.screening_result == screening_result(stay)


def _specificity(protocol) -> tuple:
    level = 2 if protocol.organisation_id else 1 if protocol.care_zone_id else 0
    criteria = sum(bool(v) for v in (protocol.destination, protocol.priority_group,
                                     protocol.screening_result))
    return (level, criteria, protocol.pk)


def screening_result(stay) -> str:
    """At risk when the stay's latest screening has a worrying band or flagged domains;
    blank without a screening (then only protocols for any result apply)."""
    latest = stay.screenings.order_by("-done_on", "-created_at").first()
    if latest is None:
        return ""
    at_risk = latest.band in AT_RISK_BANDS or bool(latest.flagged)
    return ScreeningResult.AT_RISK if at_risk else ScreeningResult.NOT_AT_RISK


# --- new versions ------------------------------------------------------------------------


@service_transaction
def new_version(protocol, *, steps, actor, name: str = "") -> Protocol:
    """Edit a protocol: a new version with `steps` (dicts of ProtocolStep fields) replaces
    the current one; running follow-ups keep the version they started with."""
    if not steps:
        raise _no_steps()
    current = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if current.retired_at is not None:
        raise _stale()
    current.retired_at = timezone.now()
    current.save(update_fields=["retired_at", "updated_at"])
    successor = Protocol.objects.create(
        family=current.family, version=current.version + 1, name=name or current.name,
        care_zone=current.care_zone, organisation=current.organisation,
        destination=current.destination, priority_group=current.priority_group,
        screening_result=current.screening_result, created_by=actor)
    _create_steps(successor, steps)
    audit.record("followup.protocol_version", actor=actor, target=successor,
                 detail={"family": current.family, "version": successor.version})
    return successor


def _no_steps():
    return ValidationError(_("A protocol needs at least one step."))


def _stale():
    return ValidationError(_("This version was already replaced: edit the newest one."))
