"""The development outbox: the emails Django's file backend wrote, to read in the browser.

In development (RELAIS_ENV is not production) and without EMAIL_URL, every email is a
file in var/outbox (settings.DEVELOPMENT_OUTBOX): the demo never mails anyone. The
backend writes one file per connection, its messages separated by a line of 79 dashes.
"""

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
NEWEST = 50  # files read per page: enough for a demo, cheap to parse


@dataclass(frozen=True)
class OutboxEmail:
    sent_at: datetime
    sender: str
    to: str
    subject: str
    body: str


def folder() -> Path | None:
    """Where emails are written, or None when they are not files or this is production."""
    if settings.PRODUCTION or settings.EMAIL_BACKEND != FILE_BACKEND:
        return None
    return Path(settings.EMAIL_FILE_PATH)


def newest(directory: Path, limit: int = NEWEST) -> list[OutboxEmail]:
    """The emails of the `limit` newest files, the most recent first."""
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.log"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    emails = []
    for path in files[:limit]:
        sent_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        chunks = [c for c in path.read_bytes().split(SEPARATOR) if c.strip()]
        emails.extend(reversed([_parse(chunk, sent_at) for chunk in chunks]))
    return emails


def _parse(raw: bytes, sent_at: datetime) -> OutboxEmail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain", "html")) or message
    try:
        body = part.get_content()
    except (KeyError, LookupError):  # an encoding the reader does not know: show it raw
        body = part.get_payload()
    return OutboxEmail(sent_at=sent_at, sender=str(message.get("From", "")),
                       to=str(message.get("To", "")), subject=str(message.get("Subject", "")),
                       body=str(body))
