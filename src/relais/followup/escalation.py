"""Overdue contacts climb, each step once (issue 13): the owner the day after the due
date, then the owner's organisation's coordinators, then the care-zone team, at the
delays the contact's protocol step sets (overdue for more than N days). A closed
follow-up, or a person back in hospital, does not climb.

A job of the worker's clock (`core.clock`, every 15 minutes). Two workers side by side
never tell twice: each step is an `Escalation` row, inserted before anyone is told, in
the same transaction, with `ON CONFLICT DO NOTHING … RETURNING` — the unique pair
(contact, level) answers which worker won, and only the winner tells. On PostgreSQL the
contacts of a chunk are also locked with SKIP LOCKED, so the two workers share the
chunks instead of meeting on each row. A chunk holds the contacts of a few owners
(`chunks.py`) and is told at once (`notify_many`: the gate asked once per recipient, one
email per recipient), with one append to the audit chain.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from relais.accounts.models import Function, Membership, OrganisationType
from relais.audit import log as audit
from relais.followup import chunks
from relais.followup.models import Contact, ContactStatus, Escalation, EscalationLevel
from relais.followup.models import ProtocolStep as Step
from relais.followup.notices_timed import (
    CONTACT_ESCALATED,
    CONTACT_ESCALATED_UNNAMED,
    CONTACT_OVERDUE,
)
from relais.notifications.services import News, notify_many
from relais.stays.models import Stay

CHUNK = 1_000  # on SQLite, chunks.SQLITE_CHUNK
COORDINATOR_DAYS = Step._meta.get_field("escalate_to_coordinators_after_days").default
CARE_ZONE_DAYS = Step._meta.get_field("escalate_to_care_zone_after_days").default


@dataclass(frozen=True)
class Level:
    value: int
    delay_field: str  # the step's "after (days)"; "" for the owner (the day after)
    default_days: int


LEVELS = (
    Level(EscalationLevel.OWNER, "", 0),
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
    overdue = _overdue(level, today)
    return sum(_take(level, chunk)
               for chunk in chunks.each(lambda after: _next_chunk(level, overdue, after)))


def _overdue(level: Level, today: date) -> Q:
    """Overdue for more than the level's delay: its step's, or the default without one
    (one condition per delay the protocols use, so the database picks the contacts)."""
    if not level.delay_field:
        return Q(due_on__lt=today)
    delays = Step.objects.order_by().values_list(level.delay_field, flat=True).distinct()
    condition = Q(step__isnull=True, due_on__lt=today - timedelta(days=level.default_days))
    for days in delays:
        condition |= Q(**{f"step__{level.delay_field}": days},
                       due_on__lt=today - timedelta(days=days))
    return condition


def _next_chunk(level: Level, overdue: Q, after: Q) -> list[Contact]:
    """The next chunk of overdue contacts not yet escalated to `level`, locked; on
    PostgreSQL those another worker holds are skipped (it is telling them now)."""
    # Back in hospital, nobody is reached at home: the contacts wait for the discharge.
    in_hospital = Stay.objects.open().filter(person=OuterRef("followup__person"))
    candidates = (Contact.objects
                  .filter(overdue, after, status=ContactStatus.PLANNED,
                          followup__closed_at__isnull=True)
                  .alias(escalated=_escalated(level))
                  .filter(~Exists(in_hospital), escalated=False))
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    # The keys first (a narrow sort), then their rows with what telling needs.
    keys = list(chunks.ordered(candidates).values_list("pk", flat=True)[:chunks.size(CHUNK)])
    rows = Contact.objects.filter(pk__in=keys).select_related("owner", "owner_organisation",
                                                              "followup__person")
    if level.value == EscalationLevel.CARE_ZONE:  # the person's care zone
        rows = rows.select_related("followup__person__municipality__care_zone",
                                   "followup__person__care_zone_override")
    return list(chunks.ordered(rows)) if keys else []


def _escalated(level: Level) -> Coalesce:
    """Whether the contact was escalated to `level`, asked of each candidate by its key.

    Written as an expression, not as `NOT EXISTS`: PostgreSQL would turn that into an
    anti-join planned from the table's statistics, and the escalations this run writes
    are not in them yet — planned for a nearly empty table, it scans every escalation
    for each contact. As an expression it is one index probe per contact, whatever the
    statistics say."""
    escalations = Escalation.objects.filter(contact=OuterRef("pk"), level=level.value)
    return Coalesce(Exists(escalations), Value(False))


def _take(level: Level, contacts: list[Contact]) -> int:
    won = _insert_escalations(level, [contact.pk for contact in contacts])
    contacts = [contact for contact in contacts if contact.pk in won]
    owner = level.value == EscalationLevel.OWNER
    told = _tell_owners(contacts) if owner else _tell_level(level, contacts)
    with audit.gathered():  # one append to the audit chain per chunk
        for contact in contacts:
            audit.record("followup.escalate", target=contact,
                         person_id=contact.followup.person_id,
                         detail={"level": level.value, "told": told[contact.pk]})
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


def _tell_owners(contacts: list[Contact]) -> dict[int, list[int]]:
    """Tell each contact's owner; returns who was told (user ids) per contact."""
    news = [News(contact.owner, contact.followup.person, contact) for contact in contacts]
    written = notify_many(CONTACT_OVERDUE, news)
    return {contact.pk: [contact.owner_id] if notification else []
            for contact, notification in zip(contacts, written, strict=True)}


def _tell_level(level: Level, contacts: list[Contact]) -> dict[int, list[int]]:
    """Tell the level's members about each contact: named to those who may see the person;
    the others (a care-zone team, a coordinator outside the person's network) are told
    which organisation's contact it is, without the person."""
    recipients = Recipients()
    pairs = [(contact, user) for contact in contacts
             for user in recipients.of(level.value, contact)]
    named = notify_many(CONTACT_ESCALATED, [
        News(user, contact.followup.person, contact, {"owner": _owner(contact)})
        for contact, user in pairs])
    missed = [pair for pair, notification in zip(pairs, named, strict=True) if not notification]
    unnamed = notify_many(CONTACT_ESCALATED_UNNAMED, [
        News(user, params={"owner": _owner(contact), "organisation": _organisation(contact)})
        for contact, user in missed])
    told = {(contact.pk, user.pk) for (contact, user), notification
            in [*zip(pairs, named, strict=True), *zip(missed, unnamed, strict=True)]
            if notification}
    by_contact: dict[int, list[int]] = {contact.pk: [] for contact in contacts}
    for contact, user in pairs:  # in the order of the level's members
        if (contact.pk, user.pk) in told:
            by_contact[contact.pk].append(user.pk)
    return by_contact


def _owner(contact: Contact) -> str:
    return str(contact.owner) if contact.owner_id else "…"


def _organisation(contact: Contact) -> str:
    return contact.owner_organisation.name if contact.owner_organisation else "…"


class Recipients:
    """Who is told at each level, looked up once per organisation or care zone."""

    def __init__(self):
        self._by_organisation: dict[int, list] = {}
        self._by_zone: dict[int, list] = {}
        self._zones: dict[tuple, object] = {}

    def of(self, level: int, contact: Contact) -> list:
        if level == EscalationLevel.COORDINATORS:
            return self.coordinators(contact)
        return self.care_zone_team(contact)

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
        zone = self._zone(contact.followup.person)
        if zone is None:
            return []
        if zone.pk not in self._by_zone:
            self._by_zone[zone.pk] = _members(
                Q(organisation__type=OrganisationType.CARE_ZONE_TEAM,
                  organisation__is_active=True, organisation__municipality__care_zone=zone))
        return self._by_zone[zone.pk]

    def _zone(self, person):
        """The person's care zone, looked up once per address (municipality, postcode)."""
        address = (person.care_zone_override_id, person.municipality_id, person.postcode)
        if address not in self._zones:
            self._zones[address] = person.care_zone
        return self._zones[address]


def _members(*conditions: Q) -> list:
    memberships = (Membership.objects.active().filter(*conditions, user__is_active=True)
                   .select_related("user").order_by("user_id"))
    return list({m.user_id: m.user for m in memberships}.values())

