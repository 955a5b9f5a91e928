"""The stay's rules: opening (by hand or ADT), transfer, discharge, cancellation, the
admission alert and the discharge checklist.

Each function runs in one transaction, writes its audit event with the person's id and
tells the right people. An ADT message calls the same functions as a liaison nurse's
form (actor None: the feed), so both paths keep the same rules.
"""

from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.access.models import Consent, ConsentScope
from relais.accounts.models import User
from relais.audit import log as audit
from relais.core.sql import insert_rows
from relais.core.transactions import service_transaction
from relais.core.validators import validate_planning_date
from relais.network.models import NetworkMember, Role
from relais.network.services import users_behind
from relais.notifications.services import notify
from relais.stays import readmissions, signals
from relais.stays.checklist import template_rows
from relais.stays.models import FINISHED_ITEM_STATUSES, PlanItem, Stay, StaySource

ALERT_ROLES = {Role.GP, Role.COORDINATION_CENTRE}


def _record(action: str, stay, *, actor, **detail):
    audit.record(action, actor=actor, target=stay, person_id=stay.person_id,
                 organisation=stay.hospital, detail=detail or None)


def check_dates(*, admitted_at, expected_discharge_on=None, discharged_at=None) -> None:
    """Each date plausible (from 2000 to a year ahead), then in order; the forms and the
    ADT feed both come through here."""
    dates = {"admitted_at": admitted_at, "expected_discharge_on": expected_discharge_on,
             "discharged_at": discharged_at}
    errors = {name: implausible for name, value in dates.items()
              if (implausible := _implausible(value))}
    if errors:
        raise ValidationError(errors)
    if expected_discharge_on and expected_discharge_on < timezone.localdate(admitted_at):
        errors["expected_discharge_on"] = _(
            "The expected discharge date cannot be before the admission.")
    if discharged_at and discharged_at < admitted_at:
        errors["discharged_at"] = _("The discharge cannot be before the admission.")
    if errors:
        raise ValidationError(errors)


def _implausible(value) -> list:
    try:
        validate_planning_date(value)
    except ValidationError as error:
        return error.error_list
    return []


@service_transaction
def open_stay(person, *, hospital, actor=None, ward=None, admitted_at=None,
              expected_discharge_on=None, visit_number: str = "",
              source: str = StaySource.MANUAL, admission_type: str = "",
              pre_admitted: bool = False) -> Stay:
    """A person is admitted: the stay, its checklist, the link to a discharge it readmits
    after, and the admission alert (R5, R18)."""
    admitted_at = admitted_at or timezone.now()
    check_dates(admitted_at=admitted_at, expected_discharge_on=expected_discharge_on)
    if Stay.objects.open().filter(person=person, hospital=hospital).exists():
        raise ValidationError(_("This person already has an open stay in this hospital."),
                              code="stay_open")
    stay = Stay.objects.create(
        person=person, hospital=hospital, ward=ward, admitted_at=admitted_at,
        expected_discharge_on=expected_discharge_on, visit_number=visit_number,
        source=source, admission_type=admission_type,
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    make_plan(stay)
    _record("stay.open", stay, actor=actor, source=source)
    readmissions.link_previous(stay, pre_admitted=pre_admitted)
    admission_alert(stay)
    signals.stay_admitted.send(sender=Stay, stay=stay, actor=actor)
    return stay


def make_plan(stay) -> None:
    # insert_rows: a plan is 16 rows or so, made at every admission; building them as
    # model instances cost more than the admission's other work (bench/adt_feed.py).
    insert_rows(PlanItem, [{"stay_id": stay.pk, "position": n, **row}
                           for n, row in enumerate(template_rows(stay.hospital))])


def alert_recipients(stay) -> list:
    """Users told of an admission: the contact point, the GP and the coordination centre
    (their accounts, or the active members of their organisation); none without the
    person's consent to share with the network, never an excluded member."""
    if not Consent.objects.in_force().filter(person=stay.person_id,
                                             scope=ConsentScope.NETWORK).exists():
        return []
    members = NetworkMember.objects.active().filter(person=stay.person_id, never_inform=False)
    chosen = members.filter(Q(is_contact_point=True) | Q(roles__role__in=ALERT_ROLES))
    return list(users_behind(chosen))


def admission_alert(stay) -> None:
    for user in alert_recipients(stay):
        notify(user, kind="stay.admitted", person=stay.person, target=stay,
               params={"hospital": stay.hospital.name})
        # notify() also queues the email (no name, no hospital: only that there is
        # something new), as the recipient chose; the worker sends it.


@service_transaction
def transfer(stay, *, ward, actor=None) -> None:
    """A02: the person moved to another ward."""
    before = stay.ward_id
    stay.ward = ward
    stay.save(update_fields=["ward", "updated_at"])
    _record("stay.transfer", stay, actor=actor, ward={"before": before, "after": ward and
                                                       ward.pk})


@service_transaction
def update_stay(stay, *, actor=None, expected_version=None, **fields) -> list[str]:
    allowed = {"ward", "expected_discharge_on", "admitted_at"}
    changed = [name for name, value in fields.items()
               if name in allowed and getattr(stay, name) != value]
    for name in changed:
        setattr(stay, name, fields[name])
    check_dates(admitted_at=stay.admitted_at, expected_discharge_on=stay.expected_discharge_on,
                discharged_at=stay.discharged_at)
    if changed:
        if expected_version is None:
            stay.save(update_fields=[*changed, "updated_at"])
        else:
            stay.save_if_version(expected_version, changed)
        _record("stay.change", stay, actor=actor, fields=changed)
    return changed


@service_transaction
def give_visit_number(stay, visit_number: str, *, actor=None) -> Stay:
    """The hospital's number for a stay opened on the pages without one: its system links
    its encounter to the stay. Given once (the caller checks that no other stay of the
    hospital has it; the database refuses a duplicate all the same)."""
    if stay.visit_number or not visit_number:
        raise ValueError("a visit number is given once, to a stay without one")
    stay.visit_number = visit_number
    stay.save(update_fields=["visit_number", "updated_at"])
    _record("stay.change", stay, actor=actor, fields=["visit_number"])
    return stay


def open_blocking_items(stay):
    return stay.plan_items.filter(blocking=True).exclude(status__in=["done", "not_applicable"])


@service_transaction
def discharge(stay, *, actor=None, discharged_at=None, destination: str = "",
              reason: str = "", followup_within_days=None, followup_needs: str = "",
              from_feed: bool = False) -> Stay:
    """Close the stay (A03 or by hand) and tell the network; blocking items need a reason.

    The feed reports a discharge that has happened: it is recorded whatever the
    checklist says, and the open items stay visible for the liaison nurse.
    """
    discharged_at = discharged_at or timezone.now()
    check_dates(admitted_at=stay.admitted_at, discharged_at=discharged_at)
    if not from_feed and open_blocking_items(stay).exists() and not reason.strip():
        raise ValidationError({"reason": _(
            "Some items that block discharge are still open: say why the person leaves "
            "anyway.")})
    stay.discharged_at = discharged_at
    stay.destination = destination or stay.destination
    stay.discharge_reason = reason.strip()
    stay.followup_within_days = followup_within_days
    stay.followup_needs = followup_needs
    stay.save(update_fields=["discharged_at", "destination", "discharge_reason",
                             "followup_within_days", "followup_needs", "updated_at"])
    _record("stay.discharge", stay, actor=actor, destination=stay.destination,
            open_items=open_blocking_items(stay).count())
    for user in alert_recipients(stay):
        notify(user, kind="stay.discharged", person=stay.person, target=stay,
               params={"hospital": stay.hospital.name})
    signals.stay_discharged.send(sender=Stay, stay=stay, actor=actor, from_feed=from_feed)
    return stay


@service_transaction
def cancel_admission(stay, *, actor=None) -> None:
    """A11: the admission was entered in error."""
    stay.cancelled_at = timezone.now()
    stay.save(update_fields=["cancelled_at", "updated_at"])
    _record("stay.cancel", stay, actor=actor)


@service_transaction
def cancel_discharge(stay, *, actor=None) -> None:
    """A13: the discharge was entered in error; the stay is open again, and what the
    discharge started (the follow-up at home) is cancelled with it."""
    if Stay.objects.open().filter(person=stay.person_id, hospital=stay.hospital_id).exclude(
            pk=stay.pk).exists():
        raise ValidationError(_("This person already has an open stay in this hospital."),
                              code="stay_open")
    stay.discharged_at = None
    stay.save(update_fields=["discharged_at", "updated_at"])
    _record("stay.cancel_discharge", stay, actor=actor)
    signals.stay_discharge_cancelled.send(sender=Stay, stay=stay, actor=actor)


@service_transaction
def set_item_status(item, *, status: str, actor, expected_version: int, note=None,
                    owner=False) -> None:
    """Status (and optionally note and owner: one of the hospital's staff, or None)."""
    item.status = status
    fields = ["status"]
    if note is not None:
        item.note = note
        fields.append("note")
    if owner is not False:
        if owner is not None and not hospital_staff(item.stay).filter(pk=owner.pk).exists():
            raise ValidationError({"owner": _("Choose someone who works at this hospital.")})
        item.owner = owner
        fields.append("owner")
    item.finished_by = actor if status in FINISHED_ITEM_STATUSES else None
    item.finished_at = timezone.now() if status in FINISHED_ITEM_STATUSES else None
    item.save_if_version(expected_version, [*fields, "finished_by", "finished_at"])
    _record("plan_item.status", item.stay, actor=actor, item=item.pk, status=status)


@service_transaction
def write_going_home(stay, data: dict, *, actor) -> None:
    fields = ["watch_for", "appointments", "explained_by"]
    for name in fields:
        setattr(stay, name, data[name])
    stay.save_if_version(data["version"], fields)
    _record("stay.going_home", stay, actor=actor)


@service_transaction
def add_plan_item(stay, *, domain: str, text: str, blocking: bool, actor) -> PlanItem:
    """An item this person's plan needs beyond the checklist; typed in one language, it
    reads the same in all three."""
    position = (stay.plan_items.aggregate(last=Max("position"))["last"] or 0) + 1
    item = PlanItem.objects.create(stay=stay, domain=domain, text_nl=text, text_fr=text,
                                   text_en=text, blocking=blocking, position=position)
    _record("plan_item.add", stay, actor=actor, item=item.pk)
    return item


def hospital_staff(stay):
    """Who may own a checklist item: the hospital's active staff."""
    return User.objects.filter(is_active=True, memberships__organisation=stay.hospital_id,
                               memberships__ended_on__isnull=True).distinct().order_by(
        "first_name", "last_name")
