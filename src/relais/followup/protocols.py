"""Follow-up protocols (R18): the default one, choosing one for a discharge, new versions,
copies adapted by an organisation or a care zone, and the due dates of their steps.

A protocol is versioned: editing one makes a new version and retires the old, so a running
follow-up keeps reading the steps it started with.

The built-in default's name and texts are stored in English and are message ids: they are
shown in the reader's language (`shown`). Texts someone wrote are shown as written.
"""

import uuid
from datetime import date, timedelta

import holidays
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from relais.audit import log as audit
from relais.core.transactions import service_transaction
from relais.followup.models import Channel, OwnerRole, Protocol, ProtocolStep, ScreeningResult
from relais.network.models import PriorityGroup, Role
from relais.stays.models import Destination

DEFAULT_FAMILY = "default"
DEFAULT_NAME = gettext_noop("After discharge (default)")
DEFAULT_STEPS = (
    {"day": 2, "business_days": True, "owner_role": OwnerRole.RELAY,
     "channel": Channel.PHONE,
     "what_to_check": gettext_noop("Medication understood and taken; pain; eating and "
                                   "drinking; help at home in place; appointments known.")},
    {"day": 7, "business_days": False, "owner_role": OwnerRole.HOME_NURSE,
     "channel": Channel.VISIT,
     "what_to_check": gettext_noop("Wounds and care; falls; how the person and their "
                                   "caregivers cope.")},
    {"day": 30, "business_days": False, "owner_role": OwnerRole.RELAY,
     "channel": Channel.PHONE,
     "what_to_check": gettext_noop("Is the help enough? New needs? Readmission avoided?")},
)
DEFAULT_TEXTS = frozenset({DEFAULT_NAME, *(step["what_to_check"] for step in DEFAULT_STEPS)})

# What a step may say (the edit page's fields say the same, for the phone's keyboard).
MAX_STEPS = 20
MAX_DAY = 365
MAX_ATTEMPTS = 10
MAX_RETRY_DAYS = 30
MAX_ESCALATION_DAYS = 90
STEP_FIELDS = ("day", "business_days", "owner_role", "channel", "what_to_check",
               "max_attempts", "retry_after_days", "escalate_to_coordinators_after_days",
               "escalate_to_care_zone_after_days")
APPLIES_TO = ("destination", "priority_group", "screening_result")
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


def shown(text: str) -> str:
    """A text of the built-in default protocol in the reader's language; others as written."""
    return _(text) if text in DEFAULT_TEXTS else text


def as_stored(text: str) -> str:
    """The inverse of `shown` in the active language: a default text left as it was shown
    is stored as its message id, so that it keeps following the reader's language."""
    return next((msgid for msgid in DEFAULT_TEXTS if _(msgid) == text), text)


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


# --- new versions and copies ------------------------------------------------------------


@service_transaction
def new_version(protocol, *, steps, actor, name: str = "",
                applies_to: dict | None = None) -> Protocol:
    """Edit a protocol: a new version with `steps` (dicts of ProtocolStep fields), and
    `applies_to` (destination, priority group, screening result; unchanged when None),
    replaces the current one; running follow-ups keep the version they started with.
    Editing a version already replaced (someone saved meanwhile) is refused."""
    check_steps(steps)
    applies_to = _checked_applies_to(applies_to) if applies_to is not None else None
    current = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if current.retired_at is not None:
        raise _stale()
    current.retired_at = timezone.now()
    current.save(update_fields=["retired_at", "updated_at"])
    successor = Protocol.objects.create(
        family=current.family, version=current.version + 1, name=name or current.name,
        care_zone=current.care_zone, organisation=current.organisation, created_by=actor,
        **(applies_to if applies_to is not None else _applies_to(current)))
    _create_steps(successor, _ordered(steps))
    audit.record("followup.protocol_version", actor=actor, target=successor,
                 organisation=current.organisation,
                 detail={"family": current.family, "version": successor.version,
                         "replaces": current.pk, "before": _summary(current),
                         "after": _summary(successor)})
    return successor


@service_transaction
def adapt_protocol(source, *, steps, actor, name: str, applies_to: dict,
                   organisation=None, care_zone=None) -> Protocol:
    """A new protocol of an organisation or a care zone (exactly one), adapted from
    `source` (usually the default): version 1 of a family of its own."""
    if (organisation is None) == (care_zone is None):
        raise ValueError("a protocol belongs to an organisation or to a care zone")
    check_steps(steps)
    if not name.strip():
        raise ValidationError({"name": _("Give the protocol a name.")})
    owner = f"org-{organisation.pk}" if organisation else f"zone-{care_zone.pk}"
    protocol = Protocol.objects.create(
        family=f"{owner}-{uuid.uuid4().hex[:12]}", name=name.strip(),
        organisation=organisation, care_zone=care_zone, created_by=actor,
        **_checked_applies_to(applies_to))
    _create_steps(protocol, _ordered(steps))
    audit.record("followup.protocol_adapted", actor=actor, target=protocol,
                 organisation=organisation,
                 detail={"family": protocol.family, "copied_from": source.pk,
                         "after": _summary(protocol)})
    return protocol


def check_steps(steps) -> None:
    """Refuse steps a follow-up could not run: none, too many, a day twice, a number out
    of its range, the care-zone team told before the coordinators."""
    if not steps:
        raise _no_steps()
    if len(steps) > MAX_STEPS:
        raise ValidationError(_("A protocol has %(max)s steps at most.") % {"max": MAX_STEPS})
    errors = []
    seen = set()
    for number, step in enumerate(steps, start=1):
        errors += _step_errors(number, step, seen)
    if errors:
        raise ValidationError(errors)


def _step_errors(number: int, step: dict, seen: set) -> list[str]:
    values = {"number": number, **{k: step.get(k) for k in STEP_FIELDS}}
    errors = []
    day = step.get("day")
    if day is None or not 1 <= day <= MAX_DAY:
        errors.append(_("Step %(number)s: the day must be between 1 and %(max)s days after "
                        "discharge.") % {**values, "max": MAX_DAY})
    elif day in seen:
        errors.append(_("Step %(number)s: another step is already on day %(day)s.") % values)
    seen.add(day)
    errors += [_(message) % {**values, "max": limit} for field, low, limit, message in _RANGES
               if not low <= step.get(field, low) <= limit]
    coordinators = step.get("escalate_to_coordinators_after_days", 1)
    if step.get("escalate_to_care_zone_after_days", 3) <= coordinators:
        errors.append(_("Step %(number)s: tell the care-zone team later than the "
                        "coordinators.") % values)
    return errors


_RANGES = (
    ("max_attempts", 1, MAX_ATTEMPTS,
     gettext_noop("Step %(number)s: between 1 and %(max)s attempts.")),
    ("retry_after_days", 1, MAX_RETRY_DAYS,
     gettext_noop("Step %(number)s: try again after 1 to %(max)s days.")),
    ("escalate_to_coordinators_after_days", 0, MAX_ESCALATION_DAYS,
     gettext_noop("Step %(number)s: tell the coordinators after 0 to %(max)s days.")),
    ("escalate_to_care_zone_after_days", 1, MAX_ESCALATION_DAYS,
     gettext_noop("Step %(number)s: tell the care-zone team after 1 to %(max)s days.")),
)


def _checked_applies_to(applies_to: dict) -> dict:
    allowed = {"destination": Destination.values, "priority_group": PriorityGroup.values,
               "screening_result": ScreeningResult.values}
    values = {field: applies_to.get(field) or "" for field in APPLIES_TO}
    wrong = {field: _("Choose one of the options.") for field, value in values.items()
             if value and value not in allowed[field]}
    if wrong:
        raise ValidationError(wrong)
    return values


def _applies_to(protocol) -> dict:
    return {field: getattr(protocol, field) for field in APPLIES_TO}


def _ordered(steps) -> list[dict]:
    return [{field: step[field] for field in STEP_FIELDS if field in step}
            for step in sorted(steps, key=lambda step: step["day"])]


def _summary(protocol) -> dict:
    """What the audit keeps of a version: its name, what it applies to, its steps."""
    steps = protocol.steps.values_list("day", "channel", "owner_role")
    return {"name": protocol.name, **_applies_to(protocol),
            "steps": [list(step) for step in steps]}


def _no_steps():
    return ValidationError(_("A protocol needs at least one step."))


def _stale():
    return ValidationError(_("This version was already replaced: edit the newest one."))
