"""Messages refused with AR because the database was unreachable: nothing of them is kept
then (the sender was told to send them again), but the listener remembers that it
refused them, and writes that down once the database answers again: a row with status
UNSTORED, holding the sender, the control id, the content's hash, the event, the patient
id and the MSH segment (not the message). That row is the gap an operator sees (the pending
page, `inbox.backlog`) until the sender sends the message again: the resend takes its
place and is stored and applied like any other. A sender that never resends leaves the
gap visible; the patient's later messages do not wait for it (they are applied in the
order they were stored).

Kept in the listener's memory (at most `MOST`) and in its log: a listener killed while
the database is down forgets the rows, not the log lines.
"""

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from relais.interop.adt.errors import Refused
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.receipt import check_header, glance
from relais.interop.adt.received import Received
from relais.stays.models import AdtMessage, AdtStatus

logger = logging.getLogger(__name__)
MOST = 10_000

_lock = threading.Lock()
_gaps: dict[tuple[str, str, str], "Gap"] = {}


@dataclass(frozen=True)
class Gap:
    received: Received
    ack: str
    at: datetime


def note(received: Received, ack: str) -> None:
    """Remember a message answered AR because it could not be stored."""
    logger.warning("ADT: not stored (database unreachable), answered AR: sender %s, "
                   "control id %s, event %s", received.sender, received.control_id[:60],
                   received.trigger)
    try:
        check_header(received)  # refused anyway, database or not: no gap
    except Refused:
        return
    with _lock:
        if len(_gaps) < MOST:
            key = (received.sender, received.control_id, received.content_hash)
            _gaps.setdefault(key, Gap(received, ack, timezone.now()))


def write(lookups: Lookups) -> int:
    """Write down the gaps remembered (one transaction), now that the database answers.
    A message resent and stored meanwhile has its row already: no gap is written."""
    with _lock:
        gaps = list(_gaps.values())
        _gaps.clear()
    if not gaps:
        return 0
    try:
        with transaction.atomic():
            AdtMessage.objects.bulk_create([_row(gap, lookups) for gap in gaps],
                                           ignore_conflicts=True)
    except DatabaseError:
        with _lock:
            for gap in gaps:
                received = gap.received
                _gaps.setdefault((received.sender, received.control_id,
                                  received.content_hash), gap)
        raise
    return len(gaps)


def pending() -> int:
    """How many gaps wait to be written down."""
    with _lock:
        return len(_gaps)


def _row(gap: Gap, lookups: Lookups) -> AdtMessage:
    received, header = gap.received, gap.received.header
    row = AdtMessage(received_at=gap.at, sender=received.sender,
                     control_id=received.control_id, content_hash=received.content_hash,
                     event=received.trigger, status=AdtStatus.UNSTORED, ack=gap.ack,
                     raw=re.split(r"[\r\n]", received.text.lstrip("\ufeff"), maxsplit=1)[0],
                     problem=(f"Not stored: the database was unreachable at "
                              f"{timezone.localtime(gap.at):%Y-%m-%d %H:%M:%S}; answered AR "
                              "(send it again). Not sent again since."))
    try:
        row.hospital = lookups.hospital(header)
        patient = glance(received.text, header)
        row.patient_id, row.niss = patient.patient_id, patient.niss
    except Refused:
        pass  # the row still says who sent what, and when
    return row


def forget() -> None:
    """Drop what is remembered (tests: one test's outage is not the next one's)."""
    with _lock:
        _gaps.clear()
