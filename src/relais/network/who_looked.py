""""Who looked at this record", in words people read (patient-rights law: the person may
know who accessed their record).

The audit log keeps one event per page view, under internal codes. People read lines: one
per person, organisation, day and kind of access, with how many times, e.g. "Dr. Claes
(General practitioner, Maison médicale La Chasse) read the record — 3 times on 12 March
2026". Events are grouped by the database, so a page costs the same queries for one event
or ten thousand. Nobody is named by their e-mail address.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, CharField, Count, Max, Min, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relais.accounts.models import Function, Membership, Organisation, Profession, User
from relais.audit import log as audit
from relais.audit.models import AuditEvent
from relais.network.models import NetworkMember

RECENT_DAYS = 30


@dataclass(frozen=True)
class Kind:
    """A kind of access: the audit codes it covers and how a line says it. Each sentence
    exists twice, for someone else and for the reader ("You"), as languages conjugate."""

    key: str
    they: str
    you: str
    actions: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def condition(self) -> Q:
        condition = Q(action__in=self.actions)
        for prefix in self.prefixes:
            condition |= Q(action__startswith=prefix)
        return condition


def _kind(key, they, you, *actions, prefixes=()):
    return Kind(key, they, you, actions, prefixes)


# Every code written with a person's id (grep `audit.record(` and `_record(`), first match
# wins: a precise code comes before the prefix that would also cover it.
KINDS = (
    _kind("read", gettext_lazy("%(who)s read the record"),
          gettext_lazy("You read the record"), "person.read"),
    _kind("break_glass",
          gettext_lazy("%(who)s opened the record in an emergency (break the glass)"),
          gettext_lazy("You opened the record in an emergency (break the glass)"),
          "person.break_glass"),
    _kind("create", gettext_lazy("%(who)s created the record"),
          gettext_lazy("You created the record"), "person.create"),
    _kind("details", gettext_lazy("%(who)s changed the person's details"),
          gettext_lazy("You changed the person's details"), "person.change"),
    _kind("network", gettext_lazy("%(who)s changed the care network"),
          gettext_lazy("You changed the care network"), "network.contact_point",
          prefixes=("network_member.",)),
    _kind("consent", gettext_lazy("%(who)s recorded a consent or its withdrawal"),
          gettext_lazy("You recorded a consent or its withdrawal"), prefixes=("consent.",)),
    _kind("mandate_read", gettext_lazy("%(who)s opened the signed mandate"),
          gettext_lazy("You opened the signed mandate"), "mandate.document_read"),
    _kind("mandate", gettext_lazy("%(who)s recorded or revoked a mandate"),
          gettext_lazy("You recorded or revoked a mandate"), prefixes=("mandate.",)),
    _kind("protection_order", gettext_lazy("%(who)s recorded or ended a court order"),
          gettext_lazy("You recorded or ended a court order"), prefixes=("protection_order.",)),
    _kind("capacity", gettext_lazy("%(who)s recorded an assessment of capacity"),
          gettext_lazy("You recorded an assessment of capacity"), "capacity.assess"),
    _kind("portal_join", gettext_lazy("%(who)s started using the portal"),
          gettext_lazy("You started using the portal"), "portal.accept"),
    _kind("portal", gettext_lazy("%(who)s invited someone to the portal or withdrew an "
                                 "invitation"),
          gettext_lazy("You invited someone to the portal or withdrew an invitation"),
          prefixes=("portal.",)),
    _kind("booklet_write", gettext_lazy("%(who)s wrote in the booklet"),
          gettext_lazy("You wrote in the booklet"), "booklet.write"),
    _kind("booklet_ack", gettext_lazy("%(who)s marked a booklet entry as read"),
          gettext_lazy("You marked a booklet entry as read"), "booklet.acknowledge"),
    _kind("booklet_attachment", gettext_lazy("%(who)s opened an attachment in the booklet"),
          gettext_lazy("You opened an attachment in the booklet"), "booklet.attachment_read"),
    _kind("booklet_read", gettext_lazy("%(who)s opened the booklet"),
          gettext_lazy("You opened the booklet"), "booklet.read", "entry.read"),
    _kind("consultation_read", gettext_lazy("%(who)s read a consultation"),
          gettext_lazy("You read a consultation"), "consultation.read"),
    _kind("consultation", gettext_lazy("%(who)s worked on a consultation"),
          gettext_lazy("You worked on a consultation"), prefixes=("consultation.",)),
    _kind("sheet_print", gettext_lazy("%(who)s printed the emergency sheet"),
          gettext_lazy("You printed the emergency sheet"), "emergency_sheet.print"),
    _kind("sheet_photo", gettext_lazy("%(who)s opened the photo on the emergency sheet"),
          gettext_lazy("You opened the photo on the emergency sheet"),
          "emergency_sheet.photo_read"),
    _kind("sheet_outdated",
          gettext_lazy("%(who)s marked a printed emergency sheet as out of date"),
          gettext_lazy("You marked a printed emergency sheet as out of date"),
          "emergency_sheet.outdated"),
    _kind("sheet", gettext_lazy("%(who)s updated the emergency sheet"),
          gettext_lazy("You updated the emergency sheet"), prefixes=("emergency_sheet.",)),
    _kind("stay_read", gettext_lazy("%(who)s looked at the hospital stay"),
          gettext_lazy("You looked at the hospital stay"), "stay.read"),
    _kind("stay", gettext_lazy("%(who)s updated the hospital stay"),
          gettext_lazy("You updated the hospital stay"), prefixes=("stay.",)),
    _kind("plan", gettext_lazy("%(who)s updated the going-home plan"),
          gettext_lazy("You updated the going-home plan"), prefixes=("plan_item.",)),
    _kind("transfer_note", gettext_lazy("%(who)s wrote the transfer note"),
          gettext_lazy("You wrote the transfer note"), "transfer_note.save"),
    _kind("admission_brief", gettext_lazy("%(who)s wrote the note for the admission"),
          gettext_lazy("You wrote the note for the admission"), "admission_brief.save"),
    _kind("screening", gettext_lazy("%(who)s recorded a screening"),
          gettext_lazy("You recorded a screening"), "screening.create"),
    _kind("referral_read", gettext_lazy("%(who)s looked at a referral"),
          gettext_lazy("You looked at a referral"), "referral.read"),
    _kind("referral_send", gettext_lazy("%(who)s referred the person to a service"),
          gettext_lazy("You referred the person to a service"), "referral.send"),
    _kind("referral", gettext_lazy("%(who)s answered or updated a referral"),
          gettext_lazy("You answered or updated a referral"), prefixes=("referral.",)),
    _kind("patient_link",
          gettext_lazy("%(who)s linked the hospital's patient number to the record"),
          gettext_lazy("You linked the hospital's patient number to the record"),
          "patient_link.create"),
    _kind("denied", gettext_lazy("%(who)s was refused access to a part of the record"),
          gettext_lazy("You were refused access to a part of the record"), "access.denied"),
)
# An unknown code is never shown raw.
OTHER = _kind("other", gettext_lazy("%(who)s opened a part of the record"),
              gettext_lazy("You opened a part of the record"))
KIND_BY_KEY = {kind.key: kind for kind in (*KINDS, OTHER)}

# Kinds the hospital's admission (ADT) feed writes with no one signed in.
FEED_KINDS = {"stay", "stay_read", "patient_link"}
DOCTORS = {Profession.GENERAL_PRACTITIONER, Profession.SPECIALIST}


@dataclass(frozen=True)
class Line:
    """One line of the page: who did what on which day, how often, between which times."""

    sentence: str
    day: date
    count: int
    first: datetime
    last: datetime
    break_glass: bool
    reason: str

    @property
    def within_one_minute(self) -> bool:
        """Several times within the same minute read as one time of day, not "from 09:12
        to 09:12"."""
        return _minute(self.first) == _minute(self.last)


def _minute(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(second=0, microsecond=0)


def since_for(period: str | None) -> datetime | None:
    """The start of the period a reader chose: the last 30 days, else everything."""
    return timezone.now() - timedelta(days=RECENT_DAYS) if period == "recent" else None


def grouped_events(person_id: int, *, since: datetime | None = None) -> QuerySet:
    """The person's audit events grouped per actor, organisation, local day and kind,
    newest day first; each row has `count`, `first` and `last`."""
    audit.write_gathered_reads()  # this request's read of the record is listed too
    events = AuditEvent.objects.filter(person_id=person_id)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    kind = Case(*(When(k.condition(), then=Value(k.key)) for k in KINDS),
                default=Value(OTHER.key), output_field=CharField())
    # The day as lived in Belgium: an event at 23:30 UTC in summer is on the next day.
    day = TruncDate("occurred_at", tzinfo=ZoneInfo(settings.TIME_ZONE))
    return (events.annotate(day=day, kind=kind)
            .values("actor_id", "organisation_id", "day", "kind", "break_glass", "purpose")
            .annotate(count=Count("pk"), first=Min("occurred_at"), last=Max("occurred_at"))
            .order_by("-day", "-last", "actor_id", "kind"))


def describe(rows, *, person, reader) -> list[Line]:
    """Grouped rows as lines the reader reads, in the active language (four queries)."""
    rows = list(rows)
    names = _Names(rows, person=person, reader=reader)
    return [_line(row, names) for row in rows]


def names_of(user_ids, *, person, reader) -> dict[int, str]:
    """How the lines name each of these users ("Dr. Claes (General practitioner, Maison
    médicale La Chasse)", "Luc Lambert (Son or daughter)"), for another list that names
    people to the person: the recipients of notifications on their copy of their data.
    Four queries at most, whatever the number of users."""
    rows = [{"actor_id": pk, "organisation_id": None, "kind": OTHER.key} for pk in user_ids]
    names = _Names(rows, person=person, reader=reader)
    return {row["actor_id"]: names.who(row) for row in rows}


def _line(row, names) -> Line:
    kind = KIND_BY_KEY.get(row["kind"], OTHER)
    if row["actor_id"] is not None and row["actor_id"] == names.reader.pk:
        sentence = str(kind.you)
    else:
        sentence = str(kind.they) % {"who": names.who(row)}
    return Line(sentence=sentence, day=row["day"], count=row["count"], first=row["first"],
                last=row["last"], break_glass=row["break_glass"], reason=row["purpose"])


class _Names:
    """Who the rows name, loaded at once: the users, the organisations they acted for,
    their function there, and how relatives are related to the person."""

    def __init__(self, rows, *, person, reader):
        self.reader = reader
        user_ids = {row["actor_id"] for row in rows} - {None}
        self.users = User.objects.in_bulk(user_ids)
        self.functions, self.organisations_of = _memberships(user_ids)
        organisation_ids = {row["organisation_id"] for row in rows}.union(
            *self.organisations_of.values())
        self.organisations = Organisation.objects.in_bulk(organisation_ids - {None})
        self.relations = _relations(person, user_ids)

    def who(self, row) -> str:
        user = self.users.get(row["actor_id"])
        organisation_id = row["organisation_id"]
        if user is None:
            return _system(row["kind"], self.organisations.get(organisation_id))
        if not user.is_professional:
            return _with_details(_plain_name(user), self.relations.get(user.pk), None)
        if organisation_id is None:
            organisation_id = self._only_organisation(user)
        function = self.functions.get((user.pk, organisation_id))
        role = _function_label(function) if function else _profession_label(user)
        return _with_details(_professional_name(user, function), role,
                             self.organisations.get(organisation_id))

    def _only_organisation(self, user):
        """An event written outside a page (a script, the demo) names no organisation: the
        one the user works for, when there is only one, is the one they acted for."""
        organisations = self.organisations_of.get(user.pk, set())
        return next(iter(organisations)) if len(organisations) == 1 else None


def _memberships(user_ids) -> tuple[dict, dict]:
    """(user, organisation) → the function held there (the latest, if several), and each
    user's organisations, past ones included: the log outlives memberships."""
    functions, organisations_of = {}, {}
    memberships = (Membership.objects.filter(user_id__in=user_ids).order_by("started_on", "pk")
                   .values_list("user_id", "organisation_id", "function"))
    for user_id, organisation_id, function in memberships:
        functions[(user_id, organisation_id)] = function
        organisations_of.setdefault(user_id, set()).add(organisation_id)
    return functions, organisations_of


def _relations(person, user_ids) -> dict:
    """A relative's account → how they are related to the person ("Son or daughter")."""
    members = (NetworkMember.objects.filter(person=person, user_id__in=user_ids)
               .exclude(relation="").order_by("started_on"))
    return {member.user_id: member.get_relation_display() for member in members}


def _function_label(function: str) -> str:
    return str(Function(function).label) if function in Function.values else ""


def _profession_label(user) -> str:
    return user.get_profession_display() if user.profession else ""


def _plain_name(user) -> str:
    return user.get_full_name() or _("Someone")


def _professional_name(user, function: str | None) -> str:
    is_doctor = user.profession in DOCTORS or function == Function.GENERAL_PRACTITIONER
    if is_doctor and user.last_name:
        return _("Dr. %(name)s") % {"name": user.last_name}
    return _plain_name(user)


def _with_details(name: str, role: str | None, organisation) -> str:
    if role and organisation:
        return _("%(name)s (%(role)s, %(organisation)s)") % {
            "name": name, "role": role, "organisation": organisation.name}
    if role or organisation:
        return _("%(name)s (%(detail)s)") % {"name": name,
                                            "detail": role or organisation.name}
    return name


def _system(kind: str, organisation) -> str:
    """Events written with no one signed in: the hospital's feed, or Relais's own tasks."""
    if kind in FEED_KINDS:
        if organisation is not None:
            return _("The admission system of %(organisation)s") % {
                "organisation": organisation.name}
        return _("The hospital's admission system")
    return _("Relais (automatic task)")
