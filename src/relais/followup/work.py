"""My work: one list, by due date, of what is a professional's to do (issue 13).

Six kinds come from four apps: follow-up contacts and watch check-ins (here), referrals
to answer and checklist items owned (stays), consultations waiting for a reply and alerts
to acknowledge (booklet). Every kind is read through the gate (`visible_to(user)`, the
person rule), so an excluded party never sees a row. Each kind costs one count query and
one fetch of its first LIMIT rows ordered by due date, whatever the number of rows; the
rows are merged in Python and the list cut at LIMIT.

The team view (coordinators and managers) shows the same for their organisations, with
the owner, and lets them give a contact or a watch to a colleague.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relais.access import policy
from relais.accounts.models import Function, Membership
from relais.audit import log as audit
from relais.booklet.models import Consultation, Entry, EntryKind, Invitation
from relais.core.models import VersionConflict
from relais.core.transactions import service_transaction
from relais.followup import rules
from relais.followup.models import Contact, ContactStatus, Watch
from relais.stays.models import FINISHED_ITEM_STATUSES, PlanItem, Referral, ReferralStatus, Stay

LIMIT = 200
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
# Personal by nature: an invitation and an acknowledgement are one user's.
TEAM_KINDS = (CONTACT, CHECK_IN, REFERRAL, PLAN_ITEM)
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

    @property
    def kind_label(self):
        return KINDS[self.kind]

    @property
    def reassignable(self) -> bool:
        return self.kind in REASSIGNABLE


@dataclass
class Work:
    items: list[Item] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # per kind, all rows
    urgent: int = 0  # overdue or due today, all kinds

    @property
    def total(self) -> int:
        return sum(self.counts.values())

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
    from relais.accounts.models import User  # noqa: PLC0415 - the swapped user model
    members = Membership.objects.active().filter(organisation_id__in=organisation_ids)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by(
        "last_name", "first_name")


# --- the list ---------------------------------------------------------------------------


def items_for(user, *, organisation_ids=None, kinds=None, person=None,
              audit_as: str | None = "followup.work_list") -> Work:
    """What is `user`'s to do (or, with `organisation_ids`, their team's), by due date.

    `kinds` narrows to some kinds, `person` to one person's id. Only what the gate shows
    `user`; audited as one list read naming the persons shown (`audit_as`: None when
    the caller records its own event)."""
    today = timezone.localdate()
    team = organisation_ids is not None
    wanted = [k for k in (TEAM_KINDS if team else KINDS) if not kinds or k in kinds]
    work = Work()
    for kind in wanted:
        rows = _SOURCES[kind](user, organisation_ids, today)
        if person is not None:
            rows = rows.filter(**{_PERSON_FIELD[kind]: person})
        due = _DUE_FIELD[kind]
        totals = rows.aggregate(all=Count("pk"), urgent=Count("pk", filter=_urgent(due, today)))
        work.counts[kind] = totals["all"]
        work.urgent += totals["urgent"]
        ordered = rows.order_by(f"{due}", "pk") if totals["all"] else rows.none()
        work.items += [_ITEM[kind](row, today, team) for row in ordered[:LIMIT]]
    work.items.sort(key=lambda i: (i.due is None, i.due or today, i.kind, i.pk))
    del work.items[LIMIT:]
    if audit_as:
        policy.record_list_read(user, audit_as, [i.person_id for i in work.items])
    return work


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
        members = Membership.objects.active().filter(organisation_id__in=organisation_ids)
        return (Q(**{f"{owner_org_field}__in": organisation_ids})
                | Q(owner_id__in=members.values("user_id")))
    mine = policy.member_organisation_ids(user)
    return Q(owner=user) | Q(owner__isnull=True, **{f"{owner_org_field}__in": mine})


def _contacts(user, organisation_ids, today):
    return Contact.objects.visible_to(user).filter(
        _owned(user, organisation_ids), status=ContactStatus.PLANNED).select_related(
        "followup__person", "owner", "owner_organisation")


def _watches(user, organisation_ids, today):
    owned = Q(owner=user) if organisation_ids is None else _owned(user, organisation_ids)
    return Watch.objects.visible_to(user).filter(owned, ended_at__isnull=True).select_related(
        "person", "owner")


def _referrals(user, organisation_ids, today):
    organisations = organisation_ids if organisation_ids is not None else (
        policy.member_organisation_ids(user))
    if not user.is_professional:
        return Referral.objects.none()
    return Referral.objects.visible_to(user).filter(
        organisation_id__in=organisations, status=ReferralStatus.SENT).select_related(
        "person", "service", "organisation")


def _consultations(user, organisation_ids, today):
    open_ones = policy.visible(user, Consultation.objects.filter(
        decided_at__isnull=True, deadline__gt=timezone.now()))
    return Invitation.objects.filter(
        Q(user=user) | Q(member__user=user), answered_at__isnull=True,
        consultation__in=open_ones.values("pk")).select_related("consultation__person")


def _plan_items(user, organisation_ids, today):
    owned = Q(owner=user) if organisation_ids is None else Q(
        owner_id__in=Membership.objects.active().filter(
            organisation_id__in=organisation_ids).values("user_id"))
    return PlanItem.objects.filter(owned, stay__in=Stay.objects.visible_to(user).values("pk")) \
        .exclude(status__in=FINISHED_ITEM_STATUSES).select_related("stay__person", "owner")


def _alerts(user, organisation_ids, today):
    since = _start_of(today - timedelta(days=ALERT_DAYS))
    return Entry.objects.visible_to(user).filter(
        kind=EntryKind.ALERT, superseded_by__isnull=True, created_at__gte=since).exclude(
        author=user).exclude(receipts__user=user, receipts__acknowledged_at__isnull=False) \
        .select_related("person")


# --- one row, one item ------------------------------------------------------------------


def _url(name: str, *args, anchor: str = "") -> str:
    try:
        return reverse(name, args=args) + anchor
    except NoReverseMatch:  # a page another part of the app has not built yet
        return ""


def _owner_name(row) -> str:
    owner = getattr(row, "owner", None)
    return str(owner) if owner is not None else ""


def _contact_owner(contact) -> str:
    if contact.owner_id is None and contact.owner_organisation_id:
        return contact.owner_organisation.name
    return _owner_name(contact)


def _contact_item(contact, today, team) -> Item:
    person = contact.followup.person
    title = _("%(channel)s (follow-up)") % {"channel": contact.get_channel_display()}
    if contact.attempt > 1:
        title = _("%(channel)s (follow-up, attempt %(attempt)s)") % {
            "channel": contact.get_channel_display(), "attempt": contact.attempt}
    url = (_url("followup:contact_record", contact.pk)
           or _url("network:person_detail", person.pk))
    return Item(CONTACT, contact.pk, contact.due_on, person.pk, person.full_name, title,
                url, contact.due_on < today, _contact_owner(contact), contact.version)


def _watch_item(watch, today, team) -> Item:
    person = watch.person
    url = _url("followup:watch_detail", watch.pk) or _url("network:person_detail", person.pk)
    return Item(CHECK_IN, watch.pk, watch.next_check_on, person.pk, person.full_name,
                _("Check-in (%(rhythm)s)") % {"rhythm": watch.get_rhythm_display().lower()},
                url, watch.next_check_on < today, _owner_name(watch), watch.version)


def _referral_item(referral, today, team) -> Item:
    due = timezone.localdate(referral.respond_by)
    service = referral.service.name if referral.service_id else ""
    return Item(REFERRAL, referral.pk, due, referral.person_id, referral.person.full_name,
                _("Referral to answer: %(service)s") % {"service": service},
                _url("stays:referral_detail", referral.pk), referral.respond_by < timezone.now(),
                referral.organisation.name if team else "")


def _consultation_item(invitation, today, team) -> Item:
    consultation = invitation.consultation
    due = timezone.localdate(consultation.deadline)
    return Item(CONSULTATION, invitation.pk, due, consultation.person_id,
                consultation.person.full_name,
                _("Your answer: %(question)s") % {"question": consultation.question[:80]},
                _url("booklet:consultation_detail", consultation.pk), due < today)


def _plan_item_item(item, today, team) -> Item:
    person = item.stay.person
    return Item(PLAN_ITEM, item.pk, item.due_on, person.pk, person.full_name, item.text,
                _url("stays:stay_detail", item.stay_id), bool(item.due_on and item.due_on < today),
                _owner_name(item))


def _alert_item(entry, today, team) -> Item:
    return Item(ALERT, entry.pk, timezone.localdate(entry.created_at), entry.person_id,
                entry.person.full_name, entry.body[:80],
                _url("booklet:booklet", entry.person_id, anchor=f"#entry-{entry.pk}"), False)


_SOURCES = {CONTACT: _contacts, CHECK_IN: _watches, REFERRAL: _referrals,
            CONSULTATION: _consultations, PLAN_ITEM: _plan_items, ALERT: _alerts}
_ITEM = {CONTACT: _contact_item, CHECK_IN: _watch_item, REFERRAL: _referral_item,
         CONSULTATION: _consultation_item, PLAN_ITEM: _plan_item_item, ALERT: _alert_item}
_DUE_FIELD = {CONTACT: "due_on", CHECK_IN: "next_check_on", REFERRAL: "respond_by",
              CONSULTATION: "consultation__deadline", PLAN_ITEM: "due_on",
              ALERT: "created_at"}
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
def reassign(item, to_user, *, actor, team_ids, expected_version: int):
    """Give a planned contact or a running watch to a colleague of one of the actor's
    teams who may own it (sees the person, never an excluded party)."""
    person = item.followup.person if isinstance(item, Contact) else item.person
    organisation_id = _team_of(item, team_ids)
    if organisation_id is None:
        raise ValidationError(_("This is not your team's to give."))
    if not _open(item):
        raise ValidationError(_("This is already done."))
    if to_user is None or not Membership.objects.active().filter(
            user=to_user, organisation_id=organisation_id).exists():
        raise ValidationError(_("Choose a colleague of your organisation."))
    if not rules.may_own(to_user, person):
        raise ValidationError(_("This colleague may not follow this person: they are not in "
                                "the person's care network, or were excluded from it."))
    before = item.owner_id
    item.owner, item.owner_organisation_id = to_user, organisation_id
    try:
        item.save_if_version(expected_version, ["owner", "owner_organisation"])
    except VersionConflict:
        raise ValidationError(_("Someone changed this meanwhile: reload the page.")) from None
    audit.record(f"followup.{type(item).__name__.lower()}_reassign", actor=actor, target=item,
                 person_id=person.pk, detail={"owner": {"before": before, "after": to_user.pk}})
    return item


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
