"""Each ADT feed's health, for the people who run it: the hospital's integration engineer,
its liaison staff, the platform administrator (the page `interop:adt_health` and
`relais adt-status`).

A feed is an ADT source (`stays.AdtSource`: a sending facility, MSH-4, or application,
MSH-3, and its hospital). For each: when its last message came, how many today and in
the last hour, how many were refused in the last 24 hours (AE: the content; AR: not for
Relais now, or not stored), how many wait for a person (a match, a merge to confirm),
the inbox's backlog when the inbox is there (`relais.interop.adt.inbox.backlog`), and
one status:

* backlog: a message failed and holds its patient's later ones, or one was refused while
  the database was unreachable and not sent again (a gap), or the inbox holds more, or
  older, messages than RELAIS_ADT_BACKLOG_WAITING / RELAIS_ADT_BACKLOG_SECONDS;
* errors: RELAIS_ADT_ERRORS_24H or more refusals in the last 24 hours;
* quiet: nothing for RELAIS_ADT_QUIET_MINUTES (or never anything);
* ok.

A message is counted for the source whose name its sender carries (MSH-4's first
component, or MSH-3's when MSH-4 is empty), within the message's hospital; a message no
source claims (a sending facility nobody configured) is listed apart, for the platform
administrator. Only counts are read: no patient data.
"""

import importlib
import importlib.util
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, Value
from django.db.models.functions import StrIndex, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.access import policy
from relais.stays.models import AdtMessage, AdtSource, AdtStatus

INBOX_MODULE = "relais.interop.adt.inbox"
# Written while the database was unreachable (the inbox's AR): refused, like an AR.
NOT_STORED = "unstored"


class Status:
    OK, QUIET, ERRORS, BACKLOG = "ok", "quiet", "errors", "backlog"
    LABELS = {OK: _("OK"), QUIET: _("Quiet too long"), ERRORS: _("Errors"),
              BACKLOG: _("Backlog")}
    # The worst first: a backlog delays every patient, errors some, quiet may be the night.
    ORDER = (BACKLOG, ERRORS, QUIET)


@dataclass(frozen=True)
class Thresholds:
    quiet_after: timedelta
    errors_24h: int
    backlog_waiting: int
    backlog_age: timedelta

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(quiet_after=timedelta(minutes=settings.RELAIS_ADT_QUIET_MINUTES),
                   errors_24h=settings.RELAIS_ADT_ERRORS_24H,
                   backlog_waiting=settings.RELAIS_ADT_BACKLOG_WAITING,
                   backlog_age=timedelta(seconds=settings.RELAIS_ADT_BACKLOG_SECONDS))

    @property
    def quiet_minutes(self) -> int:
        return round(self.quiet_after.total_seconds() / 60)

    @property
    def backlog_seconds(self) -> int:
        return round(self.backlog_age.total_seconds())


@dataclass(frozen=True)
class Backlog:
    """What the inbox holds for a feed: stored and acknowledged, not applied yet
    (`waiting`, of which `blocked` behind a `failed` one), and the gaps: messages refused
    while the database was unreachable and not sent again since (`unstored`)."""

    waiting: int = 0
    oldest_seconds: int | None = None
    failed: int = 0
    blocked: int = 0
    unstored: int = 0

    @classmethod
    def of(cls, found: dict) -> "Backlog":
        """From one sender's entry of `inbox.backlog()`."""
        oldest = found.get("oldest_waiting_seconds")
        return cls(int(found.get("waiting", 0)), None if oldest is None else round(oldest),
                   int(found.get("failed", 0)), int(found.get("blocked", 0)),
                   int(found.get("unstored", 0)))

    def __add__(self, other: "Backlog") -> "Backlog":
        ages = [age for age in (self.oldest_seconds, other.oldest_seconds) if age is not None]
        return Backlog(self.waiting + other.waiting, max(ages) if ages else None,
                       self.failed + other.failed, self.blocked + other.blocked,
                       self.unstored + other.unstored)


def inbox_backlog() -> dict[str, Backlog] | None:
    """The inbox's backlog per sender (MSH-3^MSH-4), or None while Relais runs without the
    inbox (`relais.interop.adt.inbox`, which came with issue 16's throughput part: this
    module must not depend on it)."""
    if importlib.util.find_spec(INBOX_MODULE) is None:
        return None
    found = importlib.import_module(INBOX_MODULE).backlog(source=None)
    return {sender: Backlog.of(entry) for sender, entry in found.items()}


@dataclass
class Counts:
    """Messages of one feed (or of one unclaimed sender)."""

    last_at: datetime | None = None
    in_24h: int = 0
    today: int = 0
    last_hour: int = 0
    refused_ae: int = 0
    refused_ar: int = 0
    waiting_match: int = 0
    waiting_merge: int = 0

    def add(self, row: dict) -> None:
        if row["last_at"] and (self.last_at is None or row["last_at"] > self.last_at):
            self.last_at = row["last_at"]
        for name in ("in_24h", "today", "last_hour", "refused_ae", "refused_ar"):
            setattr(self, name, getattr(self, name) + row[name])

    @property
    def refused(self) -> int:
        return self.refused_ae + self.refused_ar


@dataclass
class FeedHealth:
    source: AdtSource
    counts: Counts
    backlog: Backlog | None
    problems: list[str] = field(default_factory=list)  # Status values, worst first

    @property
    def status(self) -> str:
        return self.problems[0] if self.problems else Status.OK

    @property
    def problem_labels(self) -> list[tuple[str, str]]:
        """(status, its label) for each problem, worst first."""
        return [(problem, Status.LABELS[problem]) for problem in self.problems]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        counts, backlog = self.counts, self.backlog
        return {
            "source": self.source.sending_facility, "hospital": self.source.hospital.name,
            "status": self.status, "problems": self.problems,
            "last_message_at": counts.last_at.isoformat() if counts.last_at else None,
            "messages_24h": counts.in_24h, "messages_today": counts.today,
            "messages_last_hour": counts.last_hour,
            "refused_24h": {"AE": counts.refused_ae, "AR": counts.refused_ar},
            "waiting_for_match": counts.waiting_match,
            "waiting_for_merge": counts.waiting_merge,
            "backlog": None if backlog is None else {
                "waiting": backlog.waiting, "oldest_waiting_seconds": backlog.oldest_seconds,
                "failed": backlog.failed, "blocked": backlog.blocked,
                "unstored": backlog.unstored},
        }


@dataclass(frozen=True)
class Unclaimed:
    """Messages whose sender no ADT source names (MSH-3^MSH-4 as received)."""

    sender: str
    counts: Counts


@dataclass
class Report:
    feeds: list[FeedHealth]
    unclaimed: list[Unclaimed]
    checked_at: datetime
    has_inbox: bool  # messages are applied behind their ACK: there is a backlog to watch

    @property
    def ok(self) -> bool:
        return all(feed.ok for feed in self.feeds) and not self.unclaimed


# --- who sees which feeds: the gate ----------------------------------------------------


def visible_sources(user):
    """The ADT sources `user` watches (a hospital's staff theirs, the platform
    administrator all), through the gate."""
    return policy.visible(user, AdtSource.objects.select_related("hospital")).order_by(
        "hospital__name", "sending_facility")


# --- the figures -----------------------------------------------------------------------


def report_for(user, *, now: datetime | None = None,
               thresholds: Thresholds | None = None) -> Report:
    """The health of every feed `user` may watch; unclaimed senders for the platform
    administrator only."""
    sources = list(visible_sources(user))
    return build_report(sources, everything=policy.is_platform_admin(user), now=now,
                        thresholds=thresholds)


def build_report(sources: list[AdtSource], *, everything: bool, now=None,
                 thresholds: Thresholds | None = None) -> Report:
    """The health of `sources` (`everything`: also the senders no source claims)."""
    now = now or timezone.now()
    thresholds = thresholds or Thresholds.from_settings()
    counts = {source.pk: Counts() for source in sources}
    unclaimed: dict[str, Counts] = defaultdict(Counts)
    claim = Claims(sources)
    for row in _recent(sources, everything, now):
        owner = claim.owner(row["hospital_id"], row["sender"])
        (counts[owner.pk] if owner else unclaimed[row["sender"]]).add(row)
    _add_waiting(counts, claim, sources)
    _add_older_last_messages(counts, sources, claim)
    backlogs = _backlogs(claim, sources)
    feeds = [judge(source, counts[source.pk], None if backlogs is None else backlogs[source.pk],
                   thresholds, now) for source in sources]
    return Report(feeds, [Unclaimed(sender, found) for sender, found in sorted(
        unclaimed.items())] if everything else [], now, has_inbox=backlogs is not None)


def _backlogs(claim: "Claims", sources) -> dict[int, Backlog] | None:
    """Each source's backlog (the sum of its senders'), or None without the inbox."""
    per_sender = inbox_backlog()
    if per_sender is None:
        return None
    found = {source.pk: Backlog() for source in sources}
    for sender, backlog in per_sender.items():
        owner = claim.owner(None, sender)
        if owner is not None and owner.pk in found:
            found[owner.pk] += backlog
    return found


def judge(source, counts: Counts, backlog: Backlog | None, thresholds: Thresholds,
          now: datetime) -> FeedHealth:
    """The feed's problems, worst first (Status.ORDER)."""
    found = set()
    if backlog is not None and _behind(backlog, thresholds):
        found.add(Status.BACKLOG)
    if counts.refused >= thresholds.errors_24h:
        found.add(Status.ERRORS)
    if counts.last_at is None or now - counts.last_at >= thresholds.quiet_after:
        found.add(Status.QUIET)
    return FeedHealth(source, counts, backlog, [s for s in Status.ORDER if s in found])


def _behind(backlog: Backlog, thresholds: Thresholds) -> bool:
    """A failed message holds its patient's later ones; a message not stored is a gap; too
    many, or too old, wait."""
    return bool(backlog.failed or backlog.unstored
                or backlog.waiting >= thresholds.backlog_waiting
                or (backlog.oldest_seconds or 0) >= thresholds.backlog_seconds)


class Claims:
    """Which source a message belongs to: the source of its hospital whose name its
    sender carries (as `lookups.hospital_for` found it), else, for a message stored
    without a hospital (refused before its sender was looked up), the source of any
    hospital with that name."""

    def __init__(self, sources: list[AdtSource]):
        self.by_hospital: dict[int, dict[str, AdtSource]] = defaultdict(dict)
        self.by_name: dict[str, AdtSource] = {}
        for source in sources:
            self.by_hospital[source.hospital_id][source_name(source)] = source
            self.by_name.setdefault(source_name(source), source)

    @property
    def names(self) -> list[str]:
        return sorted(self.by_name)

    def owner(self, hospital_id: int | None, sender: str) -> AdtSource | None:
        name = sender_name(sender)
        if hospital_id is None:
            return self.by_name.get(name)
        hospital_sources = self.by_hospital.get(hospital_id, {})
        # A source renamed since: its hospital's messages stay its hospital's.
        return hospital_sources.get(name) or next(iter(hospital_sources.values()), None)


def source_name(source: AdtSource) -> str:
    """The name a sender carries for this source: an HD configured whole ("AZC^1.2^ISO")
    is carried as its first component."""
    parts = [part.strip() for part in source.sending_facility.split("^")]
    return next((part for part in parts if part), "")


def sender_name(sender: str) -> str:
    """"HIS^AZC" is AZC's; "HIS-ONLY^" (MSH-4 empty) is HIS-ONLY's."""
    application, _, facility = sender.partition("^")
    return facility or application


def sender_filter(names: list[str]) -> Q:
    """Messages whose sender carries one of `names` (as sender_name reads it)."""
    found = Q(pk__in=[])
    for name in names:
        found |= Q(sender__endswith=f"^{name}") | Q(sender=f"{name}^")
    return found


def _of_sources(sources, everything: bool) -> Q:
    if everything:
        return Q()
    claim = Claims(sources)
    return Q(hospital_id__in=list(claim.by_hospital)) | (
        Q(hospital__isnull=True) & sender_filter(claim.names))


# The code of a stored ACK, in SQL: the two characters after "<CR>MSA<separator>".
_ACK_CODE = Substr("ack", StrIndex("ack", Value("\rMSA")) + 5, 2)


def _recent(sources, everything: bool, now: datetime) -> list[dict]:
    """One row per (hospital, sender) that sent in the last 24 hours: the last time, the
    counts today, in the last hour, and of refusals."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    refused = Q(status=AdtStatus.REJECTED)
    refused_ar = (refused & Q(code="AR")) | Q(status=NOT_STORED)
    return list(AdtMessage.objects.filter(_of_sources(sources, everything),
                                          received_at__gte=now - timedelta(hours=24))
                .annotate(code=_ACK_CODE).values("hospital_id", "sender").annotate(
                    last_at=Max("received_at"), in_24h=Count("pk"),
                    today=Count("pk", filter=Q(received_at__gte=midnight)),
                    last_hour=Count("pk", filter=Q(received_at__gte=now - timedelta(hours=1))),
                    refused_ae=Count("pk", filter=refused & ~Q(code="AR")),
                    refused_ar=Count("pk", filter=refused_ar)).order_by())


def _add_waiting(counts: dict, claim: Claims, sources) -> None:
    """Messages waiting for a person: a match, or a merge to confirm (any age)."""
    if not sources:
        return
    rows = AdtMessage.objects.filter(
        status__in=[AdtStatus.PENDING_MATCH, AdtStatus.PENDING_MERGE],
        hospital_id__in=list(claim.by_hospital)).values("hospital_id", "sender", "status"
                                                        ).annotate(n=Count("pk")).order_by()
    for row in rows:
        owner = claim.owner(row["hospital_id"], row["sender"])
        if owner is not None and owner.pk in counts:
            name = "waiting_match" if row["status"] == AdtStatus.PENDING_MATCH else (
                "waiting_merge")
            setattr(counts[owner.pk], name, getattr(counts[owner.pk], name) + row["n"])


def _add_older_last_messages(counts: dict, sources, claim: Claims) -> None:
    """The last message of a feed silent for a day, one query each (few: those silent)."""
    for source in sources:
        if counts[source.pk].last_at is not None:
            continue
        mine = AdtMessage.objects.filter(hospital_id=source.hospital_id)
        if len(claim.by_hospital[source.hospital_id]) > 1:
            mine = mine.filter(sender_filter([source_name(source)]))
        counts[source.pk].last_at = mine.aggregate(last=Max("received_at"))["last"]
