"""Beside a readmission badge (stay page, the hospital's work list, the person page): what
the follow-up recorded at home between the discharge and the readmission — contacts done
(outcome, date, owner), not reached, problems found, the watch and its last check-in,
refusals. Registered with `stays.readmissions` when the app is ready.

Each reader sees what the gate shows them (follow-ups, watches and refusals of persons
they see); notes, watches and refusals are the professionals' own. One audit event per
page names the persons whose record was read. A constant number of queries, whatever
the number of readmissions on the page.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, FilteredRelation, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from relais.access import persons, policy
from relais.accounts.models import name_of
from relais.core import kept
from relais.core.sql import AnyOf
from relais.followup.models import CheckIn, Contact, ContactStatus, FollowUp, Refusal, Watch
from relais.followup.sections_watch import REASON_LABELS
from relais.stays import readmissions

DONE = (ContactStatus.REACHED, ContactStatus.PROBLEM)


@dataclass
class HomeRecord:
    """One readmission's record at home, for its template."""

    discharged_on: date
    readmitted_on: date
    followup: FollowUp | None = None
    done: list = field(default_factory=list)
    not_reached: list = field(default_factory=list)
    watches: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    show_notes: bool = False

    @property
    def problems(self) -> list:
        return [contact for contact in self.done if contact.status == ContactStatus.PROBLEM]

    @property
    def is_empty(self) -> bool:
        return not (self.followup or self.watches or self.refusals)

    def summary(self) -> list[tuple[str, str]]:
        """The summary's parts as (words, badge class or ""), plurals said here: the
        template (followup/partials/home_record.jinja) only prints them."""
        parts = []
        if self.followup:
            parts.append((ngettext("%(counter)s contact done", "%(counter)s contacts done",
                                   len(self.done)) % {"counter": len(self.done)}, None))
            if problems := len(self.problems):
                parts.append((ngettext("%(counter)s problem found", "%(counter)s problems found",
                                       problems) % {"counter": problems}, "badge badge-warn"))
            if missed := len(self.not_reached):
                parts.append((ngettext("%(counter)s time not reached",
                                       "%(counter)s times not reached", missed)
                              % {"counter": missed}, None))
        else:
            parts.append((gettext("no follow-up"), None))
        if watches := len(self.watches):
            parts.append((ngettext("%(counter)s watch", "%(counter)s watches", watches)
                          % {"counter": watches}, None))
        if refusals := len(self.refusals):
            parts.append((ngettext("%(counter)s refusal", "%(counter)s refusals", refusals)
                          % {"counter": refusals}, None))
        return parts


def home_records(user, stays) -> dict[int, dict]:
    """{readmission pk: {"template", "record"}} for `stays` (readmissions, their previous
    stay loaded)."""
    professional = user.is_professional
    records = {stay.pk: HomeRecord(
        discharged_on=timezone.localdate(stay.readmission_after.discharged_at),
        readmitted_on=timezone.localdate(stay.admitted_at), show_notes=professional)
        for stay in stays}
    by_previous = {stay.previous_stay_id: records[stay.pk] for stay in stays}
    present = _present(list(by_previous), [stay.person_id for stay in stays])
    for followup in _followups(user, list(by_previous)) if present["followups"] else ():
        record = by_previous[followup.stay_id]
        record.followup = followup
        record.done = [c for c in followup.contacts if c.status in DONE]
        record.not_reached = [c for c in followup.contacts
                              if c.status == ContactStatus.NOT_REACHED]
    if professional and (present["watches"] or present["refusals"]):
        _add_watches_and_refusals(user, stays, records)
    shown = [stay.person_id for stay in stays if not records[stay.pk].is_empty]
    if shown:
        policy.record_list_read(user, "followup.home_record", shown)
    return {pk: {"template": "followup/partials/home_record.jinja", "record": record}
            for pk, record in records.items()}


def _present(previous_stay_ids, person_ids) -> dict[str, bool]:
    """Which kinds of record exist at all for these readmissions, whoever may see them:
    most have none, and one statement then stands for three gated ones."""
    return kept.exist_each(("followup.home_record",), {
        "followups": lambda s: _followups_after(_one_array(s.stays)),
        "watches": lambda s: _watches_of(_one_array(s.persons)),
        "refusals": lambda s: _refusals_of(_one_array(s.persons))},
        stays=sorted(set(previous_stay_ids)), persons=sorted(set(person_ids)))


# Each kind of record, for the probe (any at all?) and for the gated read alike; `among`
# says how the ids are matched (`_one_array`, `_each_id`).
def _followups_after(among):
    return FollowUp.objects.filter(among("stay_id"))


def _watches_of(among):
    return Watch.objects.filter(among("person_id"))


def _refusals_of(among):
    return Refusal.objects.filter(among("person_id"))


def _one_array(ids):
    """The probe's match: the ids as one array parameter (`core.sql.AnyOf`), one
    statement for any number of them."""
    return lambda field: Q(AnyOf(F(field), ids))


def _each_id(ids: list):
    """The gated reads' match: one parameter per id, the statement kept per number of
    ids. PostgreSQL plans an array parameter as if it held ten ids: the gated read's
    generic plan then cost ten times its custom one, so it was planned again at every
    execution (0.4 ms of the work list's database time; docs/bench.md)."""
    return lambda field: Q(**{f"{field}__in": ids})


@dataclass
class ShownFollowUp:
    """A follow-up as the record shows it: its id, its stay, its contacts."""

    pk: int
    stay_id: int
    contacts: list = field(default_factory=list)


# Each follow-up with the contacts it shows, in one statement: a LEFT JOIN on those
# contacts (a follow-up without any still comes, once) and their makers' names, read as
# values. Read as a follow-up and then its contacts (prefetched), model instances with
# two users and an organisation each, it was two statements and a tenth of the work
# list's instructions (bench/page_instructions.py).
CONTACT_COLUMNS = ("pk", "status", "happened_at", "channel", "note")
MAKERS = ("recorded_by__first_name", "recorded_by__last_name", "recorded_by__email",
          "owner__first_name", "owner__last_name", "owner__email", "owner_organisation__name")


def _followups(user, previous_stay_ids) -> list[ShownFollowUp]:
    rows = _visible_among(user, "followups", previous_stay_ids, lambda among: _followups_after(
        among).annotate(shown=FilteredRelation("contacts", condition=Q(
            contacts__status__in=[*DONE, ContactStatus.NOT_REACHED]))).order_by(
        "pk", "shown__happened_at", "shown__pk").values_list(
        "pk", "stay_id", *(f"shown__{name}" for name in (*CONTACT_COLUMNS, *MAKERS))))
    found: dict[int, ShownFollowUp] = {}
    for pk, stay_id, contact_pk, status, happened_at, channel, note, *makers in rows:
        followup = found.get(pk)
        if followup is None:
            followup = found[pk] = ShownFollowUp(pk, stay_id)
        if contact_pk is not None:
            contact = Contact(pk=contact_pk, status=status, happened_at=happened_at,
                              channel=channel, note=note)
            contact.who = _who(*makers)
            followup.contacts.append(contact)
    return list(found.values())


def _visible_among(user, name: str, ids, build) -> list:
    """`policy.visible(user, build(ids))`, its SQL kept across requests for the user and
    the number of ids (a work list asks it on every open: compiling it cost more than
    running it). The gate asks about each row's person: a few persons, each an index
    lookup, rather than the set of every person the user may read."""
    ids = sorted(set(ids))
    if not ids:
        return []
    with persons.asking_per_row():
        return kept.among(("followup.home_record", name, policy.signature(user)),
                          lambda s, id_slots: policy.visible(user, build(_each_id(id_slots))),
                          ids)


def _who(recorded_first, recorded_last, recorded_email, owner_first, owner_last,
         owner_email, organisation) -> str:
    """Who made the contact: who recorded it, else its owner (a person or a team), as
    `User.get_full_name()` or the email says them."""
    for first, last, email in ((recorded_first, recorded_last, recorded_email),
                               (owner_first, owner_last, owner_email)):
        if email is not None:  # that user is there
            return name_of(first, last, email)
    return organisation or ""


def _add_watches_and_refusals(user, stays, records) -> None:
    """Watches that were running between the discharge and the readmission (with their
    last check-in) and refusals recorded in between."""
    persons = {stay.person_id for stay in stays}
    watches = _visible_among(user, "watches", persons, lambda among: _watches_of(among)
                             .select_related("owner").prefetch_related(
                                 Prefetch("check_ins", queryset=CheckIn.objects
                                          .select_related("by"))))
    refusals = _visible_among(user, "refusals", persons, _refusals_of)
    for stay in stays:
        record = records[stay.pk]
        record.watches = [w for w in watches if _ran_between(w, stay, record)]
        for running in record.watches:
            running.last_check_in = next(iter(running.check_ins.all()), None)
        record.refusals = [r for r in refusals if r.person_id == stay.person_id
                           and record.discharged_on <= r.refused_on <= record.readmitted_on]
    for refusal in refusals:
        refusal.reasons_display = [REASON_LABELS.get(r, r) for r in refusal.reasons]


def _ran_between(watch, stay, record) -> bool:
    if watch.person_id != stay.person_id or watch.started_on > record.readmitted_on:
        return False
    return watch.ended_at is None or timezone.localdate(watch.ended_at) >= record.discharged_on


def register() -> None:
    readmissions.register_home_record(home_records)
