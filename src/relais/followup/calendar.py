"""A personal iCalendar feed of due follow-up contacts and watch check-ins (issue 13).

For GPs who live in their calendar. The feed's address holds a secret: it is the only
key (a calendar application sends no session), so only its SHA-256 is stored; a new
secret replaces the old one and revoking deletes it. Events carry no name and no health
detail (a calendar lives on phones and in other companies' clouds): "Follow-up phone call
— Relais" and a link back, which asks to sign in. Written by hand after RFC 5545: CRLF
line endings, lines folded at 75 octets.
"""

import hashlib
import secrets
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.audit import log as audit
from relais.core.transactions import service_transaction
from relais.followup import work
from relais.followup.models import CalendarFeed, Channel, Contact

CRLF = "\r\n"
FOLD_AT = 75


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_of(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def feed_path(secret: str) -> str:
    return reverse("followup:calendar_feed", args=[secret])


@service_transaction
def create_feed(user, *, actor) -> str:
    """A new secret for `user`'s feed (replacing any earlier one); returns it, once."""
    secret = secrets.token_urlsafe(32)
    CalendarFeed.objects.filter(user=user).delete()
    feed = CalendarFeed.objects.create(user=user, secret_hash=_hash(secret))
    audit.record("followup.calendar_create", actor=actor, target=feed)
    return secret


@service_transaction
def revoke_feed(user, *, actor) -> None:
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        audit.record("followup.calendar_revoke", actor=actor, detail={"user": user.pk})


def user_for_secret(secret: str):
    """The active professional whose feed has this secret, or None."""
    feed = CalendarFeed.objects.select_related("user").filter(
        secret_hash=_hash(secret or "")).first()
    if feed is None or not feed.user.is_active or not feed.user.is_professional:
        return None
    return feed.user


# --- the .ics -----------------------------------------------------------------------------


def ics_for(user, *, base_url: str) -> str:
    """The feed's text; audited as one read by `user` naming the persons behind it."""
    listed = work.items_for(user, kinds=[work.CONTACT, work.CHECK_IN], per_page=work.LIMIT,
                            audit_as=None)
    channels = dict(Contact.objects.filter(
        pk__in=[i.pk for i in listed.items if i.kind == work.CONTACT]).values_list(
        "pk", "channel"))
    audit.record("followup.calendar_read", actor=user,
                 detail={"persons": sorted({i.person_id for i in listed.items}),
                         "count": len(listed.items)})
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    with translation.override(user.language or None):
        events = [_event(item, channels.get(item.pk), stamp, base_url)
                  for item in listed.items]
        head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Relais//My work//EN",
                "CALSCALE:GREGORIAN", "METHOD:PUBLISH", _text("X-WR-CALNAME", _("Relais"))]
    lines = [*head, *[line for event in events for line in event], "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)


def _summary(item, channel) -> str:
    if item.kind == work.CHECK_IN:
        return _("Watch check-in — Relais")
    return {Channel.PHONE: _("Follow-up phone call — Relais"),
            Channel.VISIT: _("Follow-up home visit — Relais"),
            Channel.VIDEO: _("Follow-up video call — Relais"),
            }.get(channel, _("Follow-up contact — Relais"))


def _event(item, channel, stamp: str, base_url: str) -> list[str]:
    day = item.due
    link = base_url.rstrip("/") + item.url
    return ["BEGIN:VEVENT",
            f"UID:{item.kind}-{item.pk}@relais",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            _text("SUMMARY", _summary(item, channel)),
            _text("DESCRIPTION", _("Open in Relais: %(url)s") % {"url": link}),
            f"URL:{link}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT"]


def _text(name: str, value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
               .replace("\n", "\\n"))
    return f"{name}:{escaped}"


def fold(line: str) -> str:
    """RFC 5545 3.1: at most 75 octets per line, continuation lines start with a space;
    never split inside a UTF-8 character."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        limit = FOLD_AT if not parts else FOLD_AT - 1  # the leading space counts
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return (CRLF + " ").join(parts)
