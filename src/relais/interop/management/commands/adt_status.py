"""`relais adt-status [--json]`: each ADT feed's health, for monitoring.

Prints one line per feed (ADT source): its status, last message, messages today and in
the last hour, refusals (AE/AR) in the last 24 hours, messages waiting for a person (a
match, a merge to confirm) and the inbox's backlog; then the senders no source claims.
Exit code 0 when every feed is OK and no unknown sender sent anything, 1 otherwise (a
monitoring check reads it); `--json` prints the same as one JSON object. Thresholds:
RELAIS_ADT_QUIET_MINUTES, RELAIS_ADT_ERRORS_24H, RELAIS_ADT_BACKLOG_WAITING,
RELAIS_ADT_BACKLOG_SECONDS (docs/adt.md, "Watching the feeds").
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from relais.interop.adt import health
from relais.stays.models import AdtSource

NOT_OK_EXIT = 1
COLUMNS = ("feed", "hospital", "status", "last message", "today", "last hour",
           "AE/AR 24h", "waiting match/merge", "backlog")


class Command(BaseCommand):
    help = ("Each ADT feed's health (last message, counts, refusals, waiting, backlog); "
            "exit code 1 when a feed is not OK.")

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="as_json", action="store_true", help="print JSON")

    def handle(self, *args, as_json: bool = False, **options):
        # The operator's view: every feed, and the senders no feed claims.
        report = health.build_report(list(AdtSource.objects.select_related("hospital")
                                          .order_by("hospital__name", "sending_facility")),
                                     everything=True)
        self.stdout.write(json_report(report) if as_json else table_report(report))
        if not report.ok:
            raise CommandError(summary(report), returncode=NOT_OK_EXIT)


def summary(report: health.Report) -> str:
    bad = [f"{feed.source.sending_facility}: {', '.join(feed.problems)}"
           for feed in report.feeds if not feed.ok]
    bad += [f"unknown sender {row.sender or '(no MSH)'}" for row in report.unclaimed]
    return "ADT feeds not OK: " + "; ".join(bad)


def json_report(report: health.Report) -> str:
    return json.dumps({
        "checked_at": report.checked_at.isoformat(), "ok": report.ok,
        "feeds": [feed.as_dict() for feed in report.feeds],
        "unclaimed_senders": [{"sender": row.sender, "messages_24h": row.counts.in_24h,
                               "last_message_at": _iso(row.counts.last_at)}
                              for row in report.unclaimed]}, indent=2)


def table_report(report: health.Report) -> str:
    rows = [COLUMNS] + [_row(feed) for feed in report.feeds]
    if not report.feeds:
        return "No ADT source is configured (admin: Hospital stays → ADT sources)."
    widths = [max(len(row[n]) for row in rows) for n in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    for row in report.unclaimed:
        lines.append(f"unknown sender {row.sender or '(no MSH)'}: {row.counts.in_24h} "
                     f"message(s) in 24 h, last {_when(row.counts.last_at)} (refused, AR)")
    return "\n".join(lines)


def _row(feed: health.FeedHealth) -> tuple[str, ...]:
    counts, backlog = feed.counts, feed.backlog
    return (feed.source.sending_facility, feed.source.hospital.name,
            ",".join(feed.problems) or "ok", _when(counts.last_at), str(counts.today),
            str(counts.last_hour), f"{counts.refused_ae}/{counts.refused_ar}",
            f"{counts.waiting_match}/{counts.waiting_merge}", _backlog(backlog))


def _backlog(backlog: health.Backlog | None) -> str:
    if backlog is None:
        return "-"
    oldest = "" if backlog.oldest_seconds is None else f" (oldest {backlog.oldest_seconds}s)"
    return (f"{backlog.waiting} waiting{oldest}, {backlog.failed} failed, "
            f"{backlog.unstored} not stored")


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
