"""Writing in the booklet: append-only entries, corrections, read receipts, alerts.

Nothing here updates or deletes an entry; a correction is a new entry that supersedes
the old one. Every write is audited with the person's id; the audience is told in-app.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.access.policy import member_organisation_ids
from relais.accounts.models import Organisation
from relais.audit import log as audit
from relais.booklet import signals
from relais.booklet.models import PORTAL_KINDS, Audience, Entry, EntryKind, ReadReceipt
from relais.booklet.rules import entries_of, is_health_professional, readable, visible_entries
from relais.core import kept
from relais.core.fields import check_text_limits
from relais.core.uploads import validate_document
from relais.network.models import NetworkMember
from relais.network.services import users_behind
from relais.notifications.services import notify


def _check(person, *, kind, audience, named_members, author) -> None:
    if not author.is_professional and kind not in PORTAL_KINDS:
        raise ValidationError({"kind": _("You can write a note, a question or an answer.")})
    if audience == Audience.NAMED and not named_members:
        raise ValidationError({"named_members": _("Choose who may read it.")})
    if audience == Audience.SAFEGUARDING and not author.is_professional:
        raise ValidationError({"audience": _("Only professionals write for the safeguarding "
                                             "circle.")})
    wrong = [m for m in named_members
             if m.person_id != person.pk or m.never_inform or not m.is_active]
    if wrong:
        raise ValidationError({"named_members": _(
            "%(names)s may not read this person's booklet.")
            % {"names": ", ".join(m.display_name for m in wrong)}})


def _author_label(author, organisation, person) -> str:
    member = NetworkMember.objects.active().filter(person=person, user=author).first()
    parts = [author.get_full_name() or author.email]
    if member and member.role_codes():
        parts.append(", ".join(str(r.get_role_display()) for r in member.roles.all()))
    if organisation is not None:
        parts.append(organisation.name)
    return " · ".join(parts)[:300]


@transaction.atomic
def write(person, *, author, body: str, kind: str = EntryKind.NOTE,
          audience: str = Audience.NETWORK, named_members=(), organisation=None,
          reply_to=None, supersedes=None, attachment=None,
          identifier: tuple[str, str] = ("", "")) -> Entry:
    """`identifier`: the sending system's (system, value) for the entry (FHIR), unique
    per author: the same again is the database's IntegrityError, for the caller to
    answer with the entry already written."""
    named_members = list(named_members)
    _check(person, kind=kind, audience=audience, named_members=named_members, author=author)
    if not body.strip():
        raise ValidationError({"body": _("Write something.")})
    entry = Entry(person=person, kind=kind, audience=audience, body=body.strip(),
                  author=author, author_organisation=organisation, reply_to=reply_to,
                  supersedes=supersedes, identifier_system=identifier[0],
                  identifier_value=identifier[1],
                  author_label=_author_label(author, organisation, person))
    # Said here, not by the database: its refusal would read as "corrected already" below.
    check_text_limits(entry)
    if attachment is not None:
        entry.attachment_type = validate_document(attachment)
        entry.attachment_name = attachment.name[:200]
        entry.attachment = attachment
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # the one-to-one `supersedes`: corrected already
        if supersedes is None:
            raise  # the author's identifier, sent twice at once
        raise ValidationError(_("This entry was already corrected: correct the newest "
                                "version.")) from None
    if named_members:
        entry.named_members.set(named_members)
    ReadReceipt.objects.create(entry=entry, user=author)  # the author has read it
    audit.record("booklet.write", actor=author, target=entry, person_id=person.pk,
                 organisation=organisation, detail={"kind": kind, "audience": audience})
    _tell_readers(entry)
    signals.entry_written.send(sender=Entry, entry=entry, actor=author)
    return entry


def correct(entry, *, author, body: str, organisation=None) -> Entry:
    """A correction is a new entry, same kind and audience, superseding the old one."""
    if entry.author_id != author.pk:
        raise ValidationError(_("Only the author corrects an entry; write a new one instead."))
    return write(entry.person, author=author, body=body, kind=entry.kind,
                 audience=entry.audience, named_members=entry.named_members.all(),
                 organisation=organisation, supersedes=entry, reply_to=entry.reply_to)


def readers(entry) -> list:
    """The users the entry reaches: people linked to the network who may read it."""
    members = NetworkMember.objects.active().filter(person=entry.person_id, never_inform=False)
    return [user for user in users_behind(members)
            if user.pk != entry.author_id and _may_read(user, entry)]


def _may_read(user, entry) -> bool:
    return visible_entries(user, Entry.objects.filter(pk=entry.pk)).exists()


def _tell_readers(entry) -> None:
    kind = "booklet.alert" if entry.kind == EntryKind.ALERT else "booklet.entry"
    for user in readers(entry):
        notify(user, kind=kind, person=entry.person, target=entry)


def mark_read(user, entries, *, already: set[int] | None = None) -> None:
    """Read receipts for what the user was shown (one query, whatever the page; none
    more when the caller knows which of `entries` the user `already` has one for)."""
    ids = [e.pk for e in entries]
    seen = already if already is not None else set(kept.among(
        ("booklet.receipts_seen",), lambda s, pks: ReadReceipt.objects.filter(
            user_id=s.user, entry_id__in=pks).values_list("entry_id", flat=True),
        ids, user=user.pk))
    ReadReceipt.objects.bulk_create(
        [ReadReceipt(entry_id=pk, user=user) for pk in ids if pk not in seen],
        ignore_conflicts=True)


@transaction.atomic
def acknowledge(entry, *, user) -> None:
    if entry.kind != EntryKind.ALERT:
        raise ValidationError(_("Only alerts are acknowledged."))
    receipt, _created = ReadReceipt.objects.get_or_create(entry=entry, user=user)
    if receipt.acknowledged_at is None:
        receipt.acknowledged_at = timezone.now()
        receipt.save(update_fields=["acknowledged_at"])
        audit.record("booklet.acknowledge", actor=user, target=entry,
                     person_id=entry.person_id)


def unacknowledged_alerts(user, person):
    return entries_of(user, person, _alerts_not_acknowledged_by(user))


def unacknowledged(user, person_id):
    """`unacknowledged_alerts` once the person is known to be seen (a kept query's slot)."""
    return readable(user, _alerts_not_acknowledged_by(user), person_id)


def newest_alerts(user, person_id, *, before: tuple | None = None):
    """The person's alerts in force that `user` may read, newest first (older than
    `before`, a (created_at, pk) pair, if given), each with `acknowledged`: whether the
    user acknowledged it (a column, asked of the few rows read, not a condition)."""
    alerts = readable(user, _alerts_in_force(), person_id)
    if before is not None:
        at, pk = before
        alerts = alerts.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    return alerts.annotate(acknowledged=acknowledged_by(user)).order_by("-created_at", "-pk")


def _alerts_not_acknowledged_by(user):
    return _alerts_in_force().exclude(acknowledged_by(user))


def _alerts_in_force():
    """Alerts not corrected by a later entry."""
    return Entry.objects.filter(kind=EntryKind.ALERT, superseded_by__isnull=True)


def acknowledged_by(user) -> Exists:
    """The entry has this user's receipt with an acknowledgement: one receipt with both.
    (`exclude(receipts__user=…, receipts__acknowledged_at__isnull=False)` lets the two hold
    on two receipts: an alert the user had only opened left their list as soon as anyone
    else acknowledged it.)"""
    return Exists(ReadReceipt.objects.filter(entry=OuterRef("pk"), user=user,
                                             acknowledged_at__isnull=False))


def may_use_audience(user, audience: str) -> bool:
    if audience == Audience.HEALTH:
        return is_health_professional(user)
    if audience == Audience.SAFEGUARDING:
        return user.is_professional
    return True


def acting_organisation(user):
    ids = member_organisation_ids(user)
    return Organisation.objects.filter(pk__in=ids).order_by("name").first() if ids else None
