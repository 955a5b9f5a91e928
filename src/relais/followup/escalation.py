"""Overdue contacts climb, each step once (issue 13): the owner the day after the due
date, then the owner's organisation's coordinators, then the care-zone team, at the
delays the contact's protocol step sets (overdue for more than N days). A closed
follow-up, or a person back in hospital, does not climb.

A job of the worker's clock (`core.clock`, every 15 minutes). Two workers side by side
never tell twice: each step is an `Escalation` row, inserted before anyone is told, in
the same transaction, with `ON CONFLICT DO NOTHING … RETURNING` — the unique pair
(contact, level) answers which worker won, and only the winner tells. On PostgreSQL the
contacts of a chunk are also locked with SKIP LOCKED, so the two workers share the
chunks instead of meeting on each row.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from relais.accounts.models import Function, Membership, OrganisationType
from relais.audit import log as audit
from relais.followup.models import Contact, ContactStatus, Escalation, EscalationLevel
from relais.followup.models import ProtocolStep as Step
from relais.followup.notices_timed import (
    CONTACT_ESCALATED,
    CONTACT_ESCALATED_UNNAMED,
    CONTACT_OVERDUE,
)
from relais.notifications.services import notify
from relais.stays.models import Stay

CHUNK = 1_000
# SQLite has one writer at a time: a chunk holds the web's writes back while it runs, so
# it is kept short there (a notification takes milliseconds; the web waits 20 s at most).
SQLITE_CHUNK = 100
# The owner's own step, below the levels EscalationLevel names (the model keeps them all).
OWNER = 0
COORDINATOR_DAYS = Step._meta.get_field("escalate_to_coordinators_after_days").default
CARE_ZONE_DAYS = Step._meta.get_field("escalate_to_care_zone_after_days").default


@dataclass(frozen=True)
class Level:
    value: int
    delay_field: str  # the step's "after (days)"; "" for the owner (the day after)
    default_days: int


LEVELS = (
    Level(OWNER, "", 0),
    Level(EscalationLevel.COORDINATORS, "escalate_to_coordinators_after_days",
          COORDINATOR_DAYS),
    Level(EscalationLevel.CARE_ZONE, "escalate_to_care_zone_after_days", CARE_ZONE_DAYS),
)


def escalate_overdue(now: datetime) -> int:
    """Tell each level whose delay has passed about each planned contact still open;
    returns how many steps were taken (a step is one contact told to one level)."""
    today = timezone.localdate(now)  # the Brussels day
    return sum(_escalate_level(level, today) for level in LEVELS)


def _escalate_level(level: Level, today: date) -> int:
    taken, after = 0, 0
    while True:
        with transaction.atomic():
            chunk = _next_chunk(level, today, after)
            if not chunk:
                return taken
            after = chunk[-1].pk
            taken += _take(level, [c for c in chunk if _is_due(c, level, today)])


def _next_chunk(level: Level, today: date, after: int) -> list[Contact]:
    """The next CHUNK overdue contacts not yet escalated to `level`; on PostgreSQL those
    another worker holds are skipped (it is telling them now)."""
    escalated = Escalation.objects.filter(contact=OuterRef("pk"), level=level.value)
    # Back in hospital, nobody is reached at home: the contacts wait for the discharge.
    in_hospital = Stay.objects.open().filter(person=OuterRef("followup__person"))
    candidates = (Contact.objects
                  .filter(status=ContactStatus.PLANNED, due_on__lt=today, pk__gt=after,
                          followup__closed_at__isnull=True)
                  .filter(~Exists(escalated), ~Exists(in_hospital))
                  .order_by("pk"))
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    return list(candidates.select_related("step", "owner", "owner_organisation",
                                          "followup__person")[:_chunk_size()])


def _is_due(contact: Contact, level: Level, today: date) -> bool:
    days = (getattr(contact.step, level.delay_field) if level.delay_field and contact.step
            else level.default_days)
    return contact.due_on < today - timedelta(days=days)


def _take(level: Level, contacts: list[Contact]) -> int:
    won = _insert_escalations(level, [contact.pk for contact in contacts])
    recipients = Recipients()
    with audit.gathered():  # one append to the audit chain per chunk
        for contact in contacts:
            if contact.pk in won:
                told = _tell(level, contact, recipients)
                audit.record("followup.escalate", target=contact,
                             person_id=contact.followup.person_id,
                             detail={"level": level.value, "told": told})
    return len(won)


def _insert_escalations(level: Level, contact_ids: list[int]) -> set[int]:
    """Insert (contact, level) for each id; returns the ids this call inserted (a row
    another worker inserted first is left alone, and not returned)."""
    if not contact_ids:
        return set()
    table = Escalation._meta.db_table
    rows = ", ".join(["(%s, %s, %s)"] * len(contact_ids))
    values = [v for pk in contact_ids for v in (pk, level.value, timezone.now())]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (contact_id, level, at) VALUES {rows} "  # noqa: S608 - ours
            "ON CONFLICT (contact_id, level) DO NOTHING RETURNING contact_id", values)
        return {row[0] for row in cursor.fetchall()}


def _tell(level: Level, contact: Contact, recipients: "Recipients") -> list[int]:
    """Tell the level about the contact; returns who was told (user ids)."""
    if level.value == OWNER:
        told = notify(contact.owner, kind=CONTACT_OVERDUE, target=contact,
                      person=contact.followup.person)
        return [contact.owner_id] if told else []
    users = (recipients.coordinators(contact) if level.value == EscalationLevel.COORDINATORS
             else recipients.care_zone_team(contact))
    return [user.pk for user in users if _tell_escalation(user, contact)]


def _tell_escalation(user, contact: Contact) -> bool:
    """Named if the user may see the person; otherwise (a care-zone team, a coordinator
    outside the person's network) which organisation's contact it is, without the person."""
    owner = str(contact.owner) if contact.owner_id else "…"
    told = notify(user, kind=CONTACT_ESCALATED, target=contact,
                  person=contact.followup.person, params={"owner": owner})
    if told is None:
        organisation = contact.owner_organisation.name if contact.owner_organisation else "…"
        told = notify(user, kind=CONTACT_ESCALATED_UNNAMED,
                      params={"owner": owner, "organisation": organisation})
    return told is not None


class Recipients:
    """Who is told at each level, looked up once per organisation or care zone."""

    def __init__(self):
        self._by_organisation: dict[int, list] = {}
        self._by_zone: dict[int, list] = {}

    def coordinators(self, contact: Contact) -> list:
        """The managers and coordinators of the owner's organisation (not the owner)."""
        organisation = contact.owner_organisation_id
        if organisation is None:
            return []
        if organisation not in self._by_organisation:
            self._by_organisation[organisation] = _members(
                Q(organisation_id=organisation),
                Q(is_manager=True) | Q(function=Function.COORDINATOR))
        return [user for user in self._by_organisation[organisation]
                if user.pk != contact.owner_id]

    def care_zone_team(self, contact: Contact) -> list:
        """The members of the care-zone support team of the person's care zone."""
        zone = contact.followup.person.care_zone
        if zone is None:
            return []
        if zone.pk not in self._by_zone:
            self._by_zone[zone.pk] = _members(
                Q(organisation__type=OrganisationType.CARE_ZONE_TEAM,
                  organisation__is_active=True, organisation__municipality__care_zone=zone))
        return self._by_zone[zone.pk]


def _members(*conditions: Q) -> list:
    memberships = (Membership.objects.active().filter(*conditions, user__is_active=True)
                   .select_related("user").order_by("user_id"))
    return list({m.user_id: m.user for m in memberships}.values())


def _chunk_size() -> int:
    return min(CHUNK, SQLITE_CHUNK) if connection.vendor == "sqlite" else CHUNK
