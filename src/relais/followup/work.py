"""My work: one list, by due date, of what is a professional's to do (issue 13).

Six kinds come from four apps: follow-up contacts and watch check-ins (here), referrals
to answer and checklist items owned (stays), consultations waiting for a reply and alerts
to acknowledge (booklet). Every kind is read through the gate (`policy.visible`, the
person rule), so an excluded party never sees a row, nor counts it.

A coordinator's team may have thousands of open items; nobody reads them all at once.
The list shows a page (PAGE lines, overdue and nearest due first) with the counts per kind
of everything, and the filters by kind and person narrow it. The cost does not grow with
the items. One query reads contacts, check-ins and referrals (their rows as one set, the
gate asked once per person among them: counts, and the first keys up to the page's end)
and tells which other kinds have rows; each of those asks its own policy in one query
(counts and first keys); then one query per kind on the page for its lines, and the
audit.

The team view (coordinators and managers) shows the same for their organisations, with
the owner, and lets them give a contact or a watch to a colleague.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Case, Count, F, Q, Value, When, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now, TruncDate
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relais.access import decisions, persons, policy
from relais.accounts.models import Function, Membership, User
from relais.audit import log as audit
from relais.booklet.models import Consultation, Entry, EntryKind, Invitation
from relais.booklet.services import acknowledged_by
from relais.core import kept
from relais.core.i18n import localized_value
from relais.core.models import VersionConflict
from relais.core.sql import AnyOf, AnyOfMany
from relais.core.transactions import service_transaction
from relais.followup import rules
from relais.followup.models import Channel, Contact, ContactStatus, Rhythm, Watch
from relais.network.models import Person
from relais.stays.models import FINISHED_ITEM_STATUSES, PlanItem, Referral, ReferralStatus, Stay

PAGE = 50  # lines a page: a day's work, readable on a phone
# The calendar feed takes the nearest ones in one go.
LIMIT = 200
# Deep pages cost their offset in every kind's query; nobody pages this far by hand.
MAX_PAGE = 100
# An alert older than this is history, not work: the booklet still shows it.
ALERT_DAYS = 30

CONTACT, CHECK_IN, REFERRAL, CONSULTATION, PLAN_ITEM, ALERT = (
    "contact", "check_in", "referral", "consultation", "plan_item", "alert")
KINDS = {
    CONTACT: gettext_lazy("Follow-up contacts"),
    CHECK_IN: gettext_lazy("Watch check-ins"),
    REFERRAL: gettext_lazy("Referrals to answer"),
    CONSULTATION: gettext_lazy("Consultations to answer"),
    PLAN_ITEM: gettext_lazy("Checklist items"),
    ALERT: gettext_lazy("Alerts to acknowledge"),
}
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
# Personal by nature: an invitation and an acknowledgement are one user's.
TEAM_KINDS = (CONTACT, CHECK_IN, REFERRAL, PLAN_ITEM)
# Kinds whose rows are seen exactly when their person is: contacts and watches (their
# policy is the person rule) and referrals sent to one's organisation (open: the gate's
# "open referral" grant shows the person, unless excluded). One question to the gate for
# all of them. Alerts (their audience), plan items (the stay's rule) and invitations (the
# consultation's) keep their own policy, kind by kind.
BY_PERSON = (CONTACT, CHECK_IN, REFERRAL)
REASSIGNABLE = (CONTACT, CHECK_IN)


@dataclass(frozen=True)
class Item:
    kind: str
    pk: int
    due: date | None
    person_id: int
    person: str
    title: str
    url: str
    overdue: bool
    owner: str = ""
    version: int | None = None
    kind_label: str = ""
    reassign_url: str = ""  # the team view's link to give it to a colleague, if it may be


@dataclass
class Work:
    items: list[Item] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # per kind, all rows
    urgent: int = 0  # overdue or due today, all kinds
    page: int = 1
    per_page: int = PAGE

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def first(self) -> int:
        """The position of the page's first line (1 for the first page)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < MAX_PAGE and self.total > self.page * self.per_page

    @property
    def cut(self) -> bool:
        return self.total > len(self.items)

    def person_choices(self) -> list[tuple[int, str]]:
        return sorted({(i.person_id, i.person) for i in self.items}, key=lambda c: c[1])


# --- who has a team view ----------------------------------------------------------------


def team_organisation_ids(memberships) -> set[int]:
    """Organisations where the user coordinates: a manager or a coordinator."""
    return {m.organisation_id for m in memberships
            if m.is_manager or m.function == Function.COORDINATOR}


def colleagues(organisation_ids):
    """Active members of these organisations (the people a team item may be given to)."""
    members = Membership.objects.active().filter(organisation_id__in=organisation_ids)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by(
        "last_name", "first_name")


# --- the list ---------------------------------------------------------------------------


def items_for(user, *, organisation_ids=None, kinds=None, person=None, page: int = 1,
              per_page: int | None = None,
              audit_as: str | None = "followup.work_list") -> Work:
    """One page of what is `user`'s to do (or, with `organisation_ids`, their team's), by
    due date, with the counts of all of it per kind.

    `kinds` narrows to some kinds, `person` to one person's id; `page` counts from 1.
    Only what the gate shows `user`; audited as one list read naming the persons shown
    (`audit_as`: None when the caller records its own event)."""
    today = timezone.localdate()
    team = organisation_ids is not None
    wanted = [k for k in (TEAM_KINDS if team else KINDS) if not kinds or k in kinds]
    page = min(max(page, 1), MAX_PAGE)
    per_page = per_page or PAGE
    work = Work(counts=dict.fromkeys(wanted, 0), page=page, per_page=per_page)
    end = page * per_page
    found, others = _by_person(user, organisation_ids, wanted, person, today, end)
    found.update({kind: _counts_and_keys(kind, user, organisation_ids, person, today, end)
                  for kind in others})
    first = []
    for kind, (count, urgent, keys) in found.items():
        work.counts[kind] = count
        work.urgent += urgent
        first += keys
    first.sort(key=_by_due)
    shown = first[end - per_page:end]
    work.items = sorted(_load(shown, today, team), key=lambda i: _by_due((i.due, i.kind, i.pk)))
    if audit_as:
        policy.record_list_read(user, audit_as, [i.person_id for i in work.items])
    return work


def _by_person(user, organisation_ids, wanted, person, today, end) -> tuple[dict, list]:
    """One query for the kinds read by the person rule (BY_PERSON): their rows before the
    gate as one set; the gate (`policy.visible` on persons) asked once, for the persons
    among them, not once per kind and row; then the first `end` keys by due date and each
    kind's counts (every row the gate let through). The same query tells which of the
    other kinds have rows at all: only those have their own policy built and asked.

    The statement is built once per user, day and filters and kept across requests
    (`decisions.statement`): building it costs more than running it.

    Returns {kind: (count, urgent, keys)} for BY_PERSON kinds, and the other kinds with
    rows."""
    key = ("followup.work", policy.signature(user),
           None if organisation_ids is None else tuple(sorted(organisation_ids)),
           tuple(wanted), person)
    sql, params = decisions.statement(
        key, lambda: _by_person_statement(user, organisation_ids, wanted, person, today))
    if not sql:
        return {}, []
    with connection.cursor() as cursor:
        cursor.execute(sql, [end if value is _END else value for value in params])
        rows = cursor.fetchall()
    kinds = list(KINDS)
    found = {kind: (0, 0, []) for kind in wanted if kind in BY_PERSON}
    others = []
    for index, pk, due, count, urgent in rows:
        kind = kinds[index]
        if kind not in BY_PERSON:
            others.append(kind)
        elif pk is None:
            found[kind] = (count, int(urgent or 0), found[kind][2])
        else:
            found[kind][2].append((_as_date(due), kind, pk))
    return found, others


class _End:
    """Stands for the page's end among a kept statement's parameters."""


_END = _End()


def _by_person_statement(user, organisation_ids, wanted, person, today) -> tuple[str, list]:
    """The SQL of `_by_person`, `_END` standing for the LIMIT among its parameters."""
    sources = _sources(user, organisation_ids, wanted, person, today)
    parts, params = [], []
    mine = {kind: rows for kind, rows in sources.items() if kind in BY_PERSON}
    if mine:
        query, query_params = _by_person_sql(user, mine, today)
        parts.append(query)
        params += [*query_params, _END]
    for kind, rows in sources.items():
        if kind not in BY_PERSON:  # a row (kind, NULLs) if the kind has any row
            sql, exists_params = rows.order_by().values("pk").query.sql_with_params()
            parts.append(f"SELECT {_KIND_ORDER[kind]}, NULL, NULL, NULL, NULL "
                         f"WHERE EXISTS ({sql})")  # noqa: S608 - ours
            params += exists_params
    return " UNION ALL ".join(parts), params


def _by_person_sql(user, sources: dict, today) -> tuple[str, list]:
    """The SQL of `_by_person`'s main part, its LIMIT the last parameter (to add)."""
    branches, params = [], []
    for kind, rows in sources.items():
        sql, branch_params = _branch(kind, rows, today).query.sql_with_params()
        branches.append(sql)
        params += branch_params
    persons = policy.visible(user, Person.objects.filter(
        pk__in=RawSQL("SELECT DISTINCT person FROM work", []))).order_by().values("pk")
    gate, gate_params = persons.query.sql_with_params()
    union = " UNION ALL ".join(branches)  # SQL the ORM compiled, every value a parameter
    query = (
        f"WITH work (kind, id, due, person, urgent) AS ({union}), "  # noqa: S608 - ours
        f"seen AS (SELECT kind, id, due, urgent FROM work WHERE person IN ({gate})) "
        "SELECT kind, id, due, NULL, NULL FROM ("
        "SELECT kind, id, due FROM seen ORDER BY due, kind, id LIMIT %s) AS page "
        "UNION ALL SELECT kind, NULL, NULL, COUNT(*), SUM(urgent) FROM seen GROUP BY kind")
    return query, [*params, *gate_params]


def _branch(kind, rows, today):
    """A kind's rows as (kind, id, due day, person, urgent) for `_by_person`'s union: all
    annotations, in that order, so the columns stand where the union expects them."""
    due = _DUE_FIELD[kind]
    day = TruncDate(due) if due == "respond_by" else F(due)
    return rows.order_by().annotate(
        _kind=Value(_KIND_ORDER[kind]), _id=F("pk"), _due=day,
        _person=F(_PERSON_FIELD[kind]),
        _urgent=Case(When(_urgent(due, today), then=Value(1)), default=Value(0)),
    ).values_list("_kind", "_id", "_due", "_person", "_urgent")


def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _counts_and_keys(kind, user, organisation_ids, person, today, end) -> tuple[int, int,
                                                                                list]:
    """One query: the kind's first `end` keys by due date, each row carrying the kind's
    counts (all rows, and the urgent ones) from a window over every row the gate let
    through. Kept across requests per user, filters and page (core/kept.py); the persons a
    grant may show the user (alerts) are its parameter."""
    due = _DUE_FIELD[kind]
    candidates = persons.candidate_person_ids(user) if kind == ALERT else None
    values = {} if candidates is None else {"candidates": candidates}

    def build(slots):
        rows = _sources(user, organisation_ids, [kind], person, today).get(kind)
        if rows is None:
            return _MODEL[kind].objects.none()
        return _gate(kind, user, rows, getattr(slots, "candidates", None)).order_by(
            due, "pk").annotate(
            all_rows=Window(Count("pk")),
            urgent_rows=Window(Count("pk", filter=_urgent(due, today)))).values_list(
            due, "pk", "all_rows", "urgent_rows")[:end]

    keys = kept.rows(("followup.work_keys", kind, policy.signature(user),
                      None if organisation_ids is None else tuple(sorted(organisation_ids)),
                      person, end), build, **values)
    if not keys:
        return 0, 0, []
    return keys[0][2], keys[0][3], [(_day(when), kind, pk) for when, pk, _n, _u in keys]


def _day(when) -> date | None:
    return timezone.localdate(when) if isinstance(when, timezone.datetime) else when


def _by_due(key):
    day, kind, pk = key
    return (day is None, day or date.min, _KIND_ORDER[kind], pk)


def _load(keys, today, team) -> list[Item]:
    """The chosen rows, one query per kind that has some, with only the shown columns."""
    wanted: dict[str, list[int]] = {}
    for _when, kind, pk in keys:
        wanted.setdefault(kind, []).append(pk)
    labels = {kind: str(KINDS[kind]) for kind in wanted}  # translated once, not per line
    return [_ITEM[kind](row, today, team, labels[kind]) for kind, pks in wanted.items()
            for row in kept.among(("followup.work_rows", kind),
                                  functools.partial(_rows_of, kind), pks)]


def _rows_of(kind, _slots, ids):
    return _MODEL[kind].objects.filter(pk__in=ids).values(*_VALUES[kind])


def _urgent(due_field: str, today: date) -> Q:
    if due_field in ("respond_by", "consultation__deadline"):  # moments, not days
        return Q(**{f"{due_field}__lt": _start_of(today + timedelta(days=1))})
    if due_field == "created_at":  # an alert is due the day it was written
        return Q(pk__isnull=False)
    return Q(**{f"{due_field}__lte": today})


def _start_of(day: date):
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


def _owned(user, organisation_ids, owner_org_field="owner_organisation_id") -> Q:
    if organisation_ids is not None:
        return Q(**{f"{owner_org_field}__in": organisation_ids}) | _by_members(
            organisation_ids)
    mine = policy.member_organisation_ids(user)
    return Q(owner=user) | Q(owner__isnull=True, **{f"{owner_org_field}__in": mine})


_PERSON = ("person__first_name", "person__last_name")
_OWNER = ("owner__first_name", "owner__last_name", "owner__email")


# Each kind: the rows that are the user's (or the team's) to do, then the gate on them.
# The first part alone is cheap; the gate's questions cost milliseconds of building per
# kind, so they are asked once for BY_PERSON kinds, and for the others only when they have
# rows at all (`_by_person`).


def _by_members(organisation_ids) -> Q:
    """Owned by an active member of these organisations. On PostgreSQL as
    `owner_id = ANY(ARRAY(members))`: the members are read first and the owner index
    used, beside the organisation's, where `owner_id IN (members)` OR'd with the
    organisation made PostgreSQL read every planned contact of the region (275 ms for a
    coordinator's team at 800,000 persons, growing with it)."""
    members = Membership.objects.active().filter(
        organisation_id__in=organisation_ids).values("user_id")
    if connection.vendor == "postgresql":
        return Q(AnyOf(F("owner_id"), ArraySubquery(members)))
    return Q(owner_id__in=members)


def _contacts(user, organisation_ids, today):
    return Contact.objects.filter(_owned(user, organisation_ids), status=ContactStatus.PLANNED)


def _watches(user, organisation_ids, today):
    owned = Q(owner=user) if organisation_ids is None else _owned(user, organisation_ids)
    return Watch.objects.filter(owned, ended_at__isnull=True)


def _referrals(user, organisation_ids, today):
    organisations = organisation_ids if organisation_ids is not None else (
        policy.member_organisation_ids(user))
    if not user.is_professional:
        return Referral.objects.none()
    return Referral.objects.filter(organisation_id__in=organisations,
                                   status=ReferralStatus.SENT)


def _consultations(user, organisation_ids, today):
    # The database's clock: the work list's statement is kept across requests.
    return Invitation.objects.filter(
        Q(user=user) | Q(member__user=user), answered_at__isnull=True,
        consultation__decided_at__isnull=True, consultation__deadline__gt=Now())


def _plan_items(user, organisation_ids, today):
    owned = Q(owner=user) if organisation_ids is None else _by_members(organisation_ids)
    return PlanItem.objects.filter(owned).exclude(status__in=FINISHED_ITEM_STATUSES)


def _alerts(user, organisation_ids, today):
    since = _start_of(today - timedelta(days=ALERT_DAYS))
    return Entry.objects.filter(
        kind=EntryKind.ALERT, superseded_by__isnull=True, created_at__gte=since).exclude(
        author=user).exclude(acknowledged_by(user))


def _gate(kind: str, user, rows, candidates=None):
    """Only what the gate shows `user` (plan items and invitations by their stay and
    consultation, which the gate guards); alerts first narrowed to the `candidates`
    (persons.candidate_person_ids), if any."""
    if kind == PLAN_ITEM:
        return rows.filter(stay__in=Stay.objects.visible_to(user).values("pk"))
    if kind == CONSULTATION:
        consultations = policy.visible(user, Consultation.objects.all())
        return rows.filter(consultation__in=consultations.values("pk"))
    if kind == ALERT and candidates is not None:
        # Every booklet's alerts, not the user's own rows: first those of the persons a
        # grant may show the user (found from their side, by index), so that the gate is
        # asked about a few rows, not about each alert of the region.
        rows = rows.filter(AnyOfMany(F("person_id"), candidates))
    return policy.visible(user, rows)


def _sources(user, organisation_ids, kinds, person, today) -> dict:
    """Each kind's rows before the gate, narrowed to `person`; a kind that cannot have
    any (no organisation to receive referrals) is left out, as SQL cannot say it."""
    sources = {}
    for kind in kinds:
        rows = _SOURCES[kind](user, organisation_ids, today)
        if person is not None:
            rows = rows.filter(**{_PERSON_FIELD[kind]: person})
        try:
            rows.query.sql_with_params()
        except EmptyResultSet:
            continue
        sources[kind] = rows
    return sources


# --- one row, one item -------------------------------------------------------------------
# Rows come as dicts (`values()`): model instances with their persons and owners cost more
# than the whole query.


# One reverse per URL name, not per line: a page of reverses costs more than the query.
_SENTINEL = 987654321


@functools.cache
def _pattern(name: str, before: tuple = ()) -> str:
    try:
        return reverse(name, args=[*before, _SENTINEL])
    except NoReverseMatch:  # a page another part of the app has not built yet
        return ""


def _url(name: str, pk, anchor: str = "", before: tuple = ()) -> str:
    pattern = _pattern(name, before)
    return pattern.replace(str(_SENTINEL), str(pk)) + anchor if pattern else ""


def _name(row, prefix: str) -> str:
    return f"{row[prefix + 'first_name']} {row[prefix + 'last_name']}".strip()


def _owner_name(row) -> str:
    if row.get("owner_id") is None:
        return ""
    return _name(row, "owner__") or row["owner__email"]


def _contact_item(row, today, team, label) -> Item:
    channel = Channel(row["channel"]).label
    title = _("%(channel)s (follow-up)") % {"channel": channel}
    if row["attempt"] > 1:
        title = _("%(channel)s (follow-up, attempt %(attempt)s)") % {
            "channel": channel, "attempt": row["attempt"]}
    person_id = row["followup__person_id"]
    url = (_url("followup:contact_record", row["pk"])
           or _url("network:person_detail", person_id))
    owner = _owner_name(row) or row["owner_organisation__name"] or ""
    return Item(CONTACT, row["pk"], row["due_on"], person_id, _name(row, "followup__person__"),
                title, url, row["due_on"] < today, owner, row["version"], label,
                _reassign_url(CONTACT, row["pk"], team))


def _watch_item(row, today, team, label) -> Item:
    url = (_url("followup:watch_detail", row["pk"])
           or _url("network:person_detail", row["person_id"]))
    rhythm = str(Rhythm(row["rhythm"]).label).lower()
    return Item(CHECK_IN, row["pk"], row["next_check_on"], row["person_id"],
                _name(row, "person__"), _("Check-in (%(rhythm)s)") % {"rhythm": rhythm},
                url, row["next_check_on"] < today, _owner_name(row), row["version"], label,
                _reassign_url(CHECK_IN, row["pk"], team))


def _reassign_url(kind, pk, team) -> str:
    return _url("followup:work_reassign", pk, before=(kind,)) if team else ""


def _referral_item(row, today, team, label) -> Item:
    service = localized_value(row, "service__name")
    return Item(REFERRAL, row["pk"], timezone.localdate(row["respond_by"]), row["person_id"],
                _name(row, "person__"),
                _("Referral to answer: %(service)s") % {"service": service},
                _url("stays:referral_detail", row["pk"]), row["respond_by"] < timezone.now(),
                row["organisation__name"] if team else "", kind_label=label)


def _consultation_item(row, today, team, label) -> Item:
    due = timezone.localdate(row["consultation__deadline"])
    question = row["consultation__question"][:80]
    return Item(CONSULTATION, row["pk"], due, row["consultation__person_id"],
                _name(row, "consultation__person__"),
                _("Your answer: %(question)s") % {"question": question},
                _url("booklet:consultation_detail", row["consultation_id"]), due < today,
                kind_label=label)


def _plan_item_item(row, today, team, label) -> Item:
    due = row["due_on"]
    return Item(PLAN_ITEM, row["pk"], due, row["stay__person_id"], _name(row, "stay__person__"),
                localized_value(row, "text"), _url("stays:stay_detail", row["stay_id"]),
                bool(due and due < today), _owner_name(row), kind_label=label)


def _alert_item(row, today, team, label) -> Item:
    return Item(ALERT, row["pk"], timezone.localdate(row["created_at"]), row["person_id"],
                _name(row, "person__"), row["body"][:80],
                _url("booklet:booklet", row["person_id"], anchor=f"#entry-{row['pk']}"), False,
                kind_label=label)


_SOURCES = {CONTACT: _contacts, CHECK_IN: _watches, REFERRAL: _referrals,
            CONSULTATION: _consultations, PLAN_ITEM: _plan_items, ALERT: _alerts}
_ITEM = {CONTACT: _contact_item, CHECK_IN: _watch_item, REFERRAL: _referral_item,
         CONSULTATION: _consultation_item, PLAN_ITEM: _plan_item_item, ALERT: _alert_item}
_DUE_FIELD = {CONTACT: "due_on", CHECK_IN: "next_check_on", REFERRAL: "respond_by",
              CONSULTATION: "consultation__deadline", PLAN_ITEM: "due_on",
              ALERT: "created_at"}
_MODEL = {CONTACT: Contact, CHECK_IN: Watch, REFERRAL: Referral, CONSULTATION: Invitation,
          PLAN_ITEM: PlanItem, ALERT: Entry}
# Only the columns a line shows.
_OWNER_VALUES = ("owner_id", *_OWNER)
_VALUES = {
    CONTACT: ("pk", "due_on", "attempt", "channel", "version", "followup__person_id",
              "followup__person__first_name", "followup__person__last_name", *_OWNER_VALUES,
              "owner_organisation__name"),
    CHECK_IN: ("pk", "next_check_on", "rhythm", "version", "person_id", *_PERSON,
               *_OWNER_VALUES),
    REFERRAL: ("pk", "respond_by", "person_id", *_PERSON, "service__name_nl",
               "service__name_fr", "service__name_en", "organisation__name"),
    CONSULTATION: ("pk", "consultation_id", "consultation__deadline",
                   "consultation__question", "consultation__person_id",
                   "consultation__person__first_name", "consultation__person__last_name"),
    PLAN_ITEM: ("pk", "due_on", "stay_id", "text_nl", "text_fr", "text_en", "stay__person_id",
                "stay__person__first_name", "stay__person__last_name", *_OWNER_VALUES),
    ALERT: ("pk", "created_at", "person_id", *_PERSON, "body"),
}
_PERSON_FIELD = {CONTACT: "followup__person_id", CHECK_IN: "person_id",
                 REFERRAL: "person_id", CONSULTATION: "consultation__person_id",
                 PLAN_ITEM: "stay__person_id", ALERT: "person_id"}


# --- giving a contact or a watch to a colleague -----------------------------------------


def reassignable_for(user, kind: str, pk):
    """The contact or watch #pk of one of `user`'s teams, for the team view, or Http404."""
    if kind == CONTACT:
        item = rules.contact_for(user, pk)
        person = item.followup.person
    elif kind == CHECK_IN:
        item = rules.watch_for(user, pk)
        person = item.person
    else:
        raise Http404
    return item, person


@service_transaction
def reassign(item, owner, *, actor, organisation_id, expected_version: int):
    """Give a planned contact or a running watch to `owner`, who does it for
    `organisation_id` (None: for no organisation). The one place an owner changes: the
    follow-up page (`contacts.reassign`) and the team view (`reassign_in_team`) decide
    who may give and for which organisation; the new owner must work there and may own it
    (sees the person, never an excluded party). The caller checks who is acting."""
    person = item.followup.person if isinstance(item, Contact) else item.person
    if not _open(item):
        raise ValidationError(_("This is already done."))
    if owner is None or not rules.may_own_for_organisation(owner, organisation_id):
        raise ValidationError({"owner": _("Choose a colleague of your organisation.")})
    if not rules.may_own(owner, person):
        raise ValidationError({"owner": _("Choose someone in the person's network.")})
    before = item.owner_id
    item.owner, item.owner_organisation_id = owner, organisation_id
    try:
        item.save_if_version(expected_version, ["owner", "owner_organisation"])
    except VersionConflict:
        raise ValidationError(_("Someone changed this meanwhile: reload the page.")) from None
    audit.record(f"followup.{type(item).__name__.lower()}_reassign", actor=actor, target=item,
                 person_id=person.pk, detail={"owner": {"before": before, "after": owner.pk},
                                              "organisation": organisation_id})
    return item


def reassign_in_team(item, owner, *, actor, team_ids, expected_version: int):
    """The team view's: a contact or watch of one of the actor's teams, to a colleague of
    that team (`reassign`)."""
    organisation_id = _team_of(item, team_ids)
    if organisation_id is None:
        raise ValidationError(_("This is not your team's to give."))
    return reassign(item, owner, actor=actor, organisation_id=organisation_id,
                    expected_version=expected_version)


def _team_of(item, team_ids) -> int | None:
    if item.owner_organisation_id in team_ids:
        return item.owner_organisation_id
    if item.owner_id is None:
        return None
    shared = Membership.objects.active().filter(user_id=item.owner_id,
                                                organisation_id__in=team_ids)
    return shared.values_list("organisation_id", flat=True).first()


def _open(item) -> bool:
    if isinstance(item, Contact):
        return item.status == ContactStatus.PLANNED
    return item.ended_at is None
