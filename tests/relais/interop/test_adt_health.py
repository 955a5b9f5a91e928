"""Each ADT feed's health (relais.interop.adt.health): the page for a hospital's staff and
the platform administrator, and `relais adt-status` for monitoring.

The messages are written as the feed stores them (sender MSH-3^MSH-4, status, ACK), at
chosen times: the health reads what is stored, whichever way it got there."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from relais.accounts.models import Function
from relais.audit.models import AuditEvent
from relais.interop.adt import health
from relais.interop.adt.ack import build_ack
from relais.interop.adt.received import read_header
from relais.stays.models import AdtMessage, AdtSource, AdtStatus
from tests.factories import HospitalFactory, MembershipFactory, UserFactory
from tests.helpers import SIGNED_IN_QUERIES

NOW = timezone.now()  # the time of the test (set again for each)
FACILITY, OTHER = "CHU-TEST", "OTHER-HOSP"
NO_INBOX = "relais.interop.adt.no_such_inbox"


def stored(hospital, *, ago=timedelta(minutes=5), status=AdtStatus.APPLIED, code="AA",
           sender=f"HIS^{FACILITY}", n=1) -> None:
    """`n` messages as the feed keeps them, received `ago`."""
    header = read_header(f"MSH|^~\\&|{sender.replace('^', '|')}|RELAIS|RELAIS|20260310||"
                         "ADT^A01|C1|P|2.5")
    for _ in range(n):
        AdtMessage.objects.create(hospital=hospital, sender=sender, status=status,
                                  received_at=NOW - ago, raw="MSH|", event="A01",
                                  ack=build_ack(header, code, "x"))


@pytest.fixture(autouse=True)
def now():
    global NOW  # noqa: PLW0603 - one clock for a test's rows and its report
    NOW = timezone.now()


@pytest.fixture
def feed(world):
    return AdtSource.objects.create(sending_facility=FACILITY, hospital=world.hospital)


@pytest.fixture
def other_feed(db):
    return AdtSource.objects.create(sending_facility=OTHER,
                                    hospital=HospitalFactory(name="Other Hospital"))


@pytest.fixture
def without_inbox(monkeypatch):
    """Relais acknowledging each message once applied (no inbox to watch)."""
    monkeypatch.setattr(health, "INBOX_MODULE", NO_INBOX)


def report(sources, **options):
    return health.build_report(sources, everything=True, now=NOW, **options)


# --- the figures -----------------------------------------------------------------------


def test_a_feed_gets_its_counts_refusals_and_waiting_messages(feed, without_inbox):
    hospital = feed.hospital
    stored(hospital, ago=timedelta(minutes=2))
    stored(hospital, ago=timedelta(minutes=90), n=2)
    stored(hospital, ago=timedelta(minutes=10), status=AdtStatus.REJECTED, code="AE")
    stored(None, ago=timedelta(minutes=20), status=AdtStatus.REJECTED, code="AR")  # not ADT
    stored(hospital, ago=timedelta(days=3), status=AdtStatus.PENDING_MATCH)
    stored(hospital, ago=timedelta(hours=30), status=AdtStatus.PENDING_MERGE)
    stored(hospital, ago=timedelta(hours=25))  # older than the day counted

    found = report([feed]).feeds[0]

    counts = found.counts
    assert counts.last_at == NOW - timedelta(minutes=2)
    assert (counts.in_24h, counts.last_hour) == (5, 3)
    assert (counts.refused_ae, counts.refused_ar) == (1, 1)
    assert (counts.waiting_match, counts.waiting_merge) == (1, 1)
    assert found.backlog is None and found.problems == [] and found.status == "ok"


def test_today_counts_from_midnight_in_brussels(feed, without_inbox):
    midnight = timezone.localtime(NOW).replace(hour=0, minute=0, second=0, microsecond=0)
    stored(feed.hospital, ago=NOW - midnight + timedelta(minutes=1))  # yesterday 23:59
    stored(feed.hospital, ago=timedelta(0))

    assert report([feed]).feeds[0].counts.today == 1


@pytest.mark.parametrize(("minutes_ago", "problems"), [(59, []), (60, ["quiet"]),
                                                        (60 * 24 * 4, ["quiet"])])
def test_a_feed_is_quiet_after_the_threshold(feed, without_inbox, minutes_ago, problems):
    stored(feed.hospital, ago=timedelta(minutes=minutes_ago))

    found = report([feed], thresholds=thresholds(quiet_minutes=60)).feeds[0]

    assert found.problems == problems
    assert found.counts.last_at == NOW - timedelta(minutes=minutes_ago)


def test_a_feed_that_never_sent_is_quiet(feed, without_inbox):
    found = report([feed]).feeds[0]
    assert (found.counts.last_at, found.problems) == (None, ["quiet"])


def test_refusals_from_the_threshold_on_are_errors_and_worse_than_quiet(feed, without_inbox):
    stored(feed.hospital, ago=timedelta(hours=3), status=AdtStatus.REJECTED, code="AE", n=2)
    stored(feed.hospital, ago=timedelta(hours=2), status=AdtStatus.REJECTED, code="AR")

    assert report([feed], thresholds=thresholds(errors=3)).feeds[0].problems == [
        "errors", "quiet"]
    assert report([feed], thresholds=thresholds(errors=4)).feeds[0].problems == ["quiet"]


def test_a_sender_no_source_names_is_listed_apart(feed, without_inbox):
    stored(None, sender="HIS^NEW-SITE", status=AdtStatus.REJECTED, code="AR", n=3)

    found = report([feed])

    assert [(row.sender, row.counts.in_24h) for row in found.unclaimed] == [("HIS^NEW-SITE", 3)]
    assert found.feeds[0].counts.in_24h == 0
    assert not found.ok


def test_a_source_named_by_msh3_counts_its_messages(world, without_inbox):
    """Systems that fill only MSH-3: the sender is stored as 'HIS-ONLY^'."""
    source = AdtSource.objects.create(sending_facility="HIS-ONLY", hospital=world.hospital)
    stored(world.hospital, sender="HIS-ONLY^")

    assert report([source]).feeds[0].counts.in_24h == 1


def test_two_sources_of_one_hospital_each_count_their_own(feed, without_inbox):
    lab = AdtSource.objects.create(sending_facility="CHU-LAB^1.2.3^ISO", hospital=feed.hospital)
    stored(feed.hospital, n=2)
    stored(feed.hospital, sender="LIS^CHU-LAB", ago=timedelta(days=2))

    mine, theirs = report([feed, lab]).feeds

    assert (mine.counts.in_24h, theirs.counts.in_24h) == (2, 0)
    assert theirs.counts.last_at == NOW - timedelta(days=2)


# --- the inbox's backlog ---------------------------------------------------------------


@pytest.mark.parametrize(("backlog", "problems"), [
    (health.Backlog(waiting=10, oldest_seconds=4), []),
    (health.Backlog(waiting=10, oldest_seconds=300), ["backlog"]),
    (health.Backlog(waiting=1000, oldest_seconds=2), ["backlog"]),
    (health.Backlog(waiting=3, oldest_seconds=2, failed=1, blocked=2), ["backlog"]),
    (health.Backlog(unstored=1), ["backlog"]),
])
def test_the_backlog_counts_from_its_thresholds(feed, backlog, problems):
    counts = health.Counts(last_at=NOW)
    found = health.judge(feed, counts, backlog, thresholds(), NOW)
    assert found.problems == problems


def test_each_feed_gets_the_backlog_of_its_senders(feed, other_feed, monkeypatch):
    """The inbox reports per sender; a feed adds up its senders' (its oldest is theirs)."""
    per_sender = {"HIS^CHU-TEST": health.Backlog(waiting=2, oldest_seconds=5),
                  "ADT^CHU-TEST": health.Backlog(waiting=1, oldest_seconds=9, failed=1),
                  "HIS^OTHER-HOSP": health.Backlog(unstored=1)}
    monkeypatch.setattr(health, "inbox_backlog", lambda: per_sender)

    mine, theirs = sorted(report([feed, other_feed]).feeds,
                          key=lambda found: found.source.sending_facility)

    assert mine.backlog == health.Backlog(waiting=3, oldest_seconds=9, failed=1)
    assert theirs.backlog == health.Backlog(unstored=1)


def test_without_the_inbox_there_is_no_backlog(feed, without_inbox):
    found = report([feed])
    assert health.inbox_backlog() is None
    assert not found.has_inbox and found.feeds[0].backlog is None


def thresholds(*, quiet_minutes=60, errors=5, waiting=1000, seconds=300):
    return health.Thresholds(timedelta(minutes=quiet_minutes), errors, waiting,
                             timedelta(seconds=seconds))


# --- the page --------------------------------------------------------------------------

PERSONAS_SEEING = {"liaison_nurse", "hospital_manager", "platform_admin"}


@pytest.mark.parametrize("persona", ["liaison_nurse", "hospital_manager", "platform_admin",
                                     "coordinator", "gp", "home_nurse", "analyst",
                                     "outsider"])
def test_the_page_answers_each_persona(persona_client, feed, persona):
    response = persona_client(persona).get(reverse("interop:adt_health"))

    assert response.status_code == (200 if persona in PERSONAS_SEEING else 404)
    denied = AuditEvent.objects.filter(action="access.denied", target_type="stays.adtsource")
    assert denied.count() == (0 if persona in PERSONAS_SEEING else 1)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, feed):
    response = client.get(reverse("interop:adt_health"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_the_staff_see_their_hospitals_feeds_and_the_admin_all(persona_client, feed,
                                                               other_feed):
    stored(None, sender="HIS^NEW-SITE", status=AdtStatus.REJECTED, code="AR")

    nurse = persona_client("liaison_nurse").get(reverse("interop:adt_health")).content.decode()
    admin = persona_client("platform_admin").get(reverse("interop:adt_health")).content.decode()

    assert FACILITY in nurse and OTHER not in nurse and "NEW-SITE" not in nurse
    assert FACILITY in admin and OTHER in admin and "HIS^NEW-SITE" in admin


def test_the_other_hospitals_liaison_nurse_sees_only_hers(client, feed, other_feed):
    theirs = UserFactory(email="other@test.relais.example")
    MembershipFactory(user=theirs, organisation=other_feed.hospital,
                      function=Function.LIAISON_NURSE)
    client.force_login(theirs)

    page = client.get(reverse("interop:adt_health")).content.decode()

    assert OTHER in page and FACILITY not in page


def test_the_page_shows_the_figures_and_the_status(persona_client, feed, without_inbox):
    stored(feed.hospital, ago=timedelta(hours=2))
    stored(feed.hospital, ago=timedelta(hours=3), status=AdtStatus.REJECTED, code="AE", n=5)

    page = persona_client("liaison_nurse").get(reverse("interop:adt_health")).content.decode()

    assert 'class="badge badge-bad">Errors<' in page
    assert 'class="badge badge-warn">Quiet too long<' in page
    assert "5 / 0" in page  # refused AE / AR
    assert "No message for 60 minutes or more" in page
    assert reverse("interop:adt_merges") in page and reverse("interop:adt_pending") in page


def test_the_page_costs_the_same_whatever_the_messages(persona_client, feed, without_inbox,
                                                       django_assert_num_queries):
    stored(feed.hospital, n=30)
    stored(feed.hospital, status=AdtStatus.PENDING_MATCH, n=5)
    client = persona_client("liaison_nurse")
    client.get(reverse("interop:adt_health"))  # the session is warm

    # + sources, the day's counts, the waiting messages (the hospitals come with the
    # request's memberships)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 3):
        response = client.get(reverse("interop:adt_health"))

    assert response.status_code == 200


# --- the command -----------------------------------------------------------------------


def status(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("adt_status", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_the_command_exits_0_when_every_feed_is_ok(feed, without_inbox):
    stored(feed.hospital, ago=timedelta(minutes=1))

    code, printed = status()

    assert code == 0
    header, row = printed.splitlines()
    assert header.split()[:3] == ["feed", "hospital", "status"]
    assert row.startswith(FACILITY) and " ok " in row


def test_the_command_exits_1_and_says_which_feed_is_not_ok(feed, other_feed, without_inbox):
    stored(feed.hospital, ago=timedelta(minutes=1))

    code, printed = status()

    assert code == 1
    assert "ADT feeds not OK: OTHER-HOSP: quiet" in printed


def test_the_command_prints_json(feed, without_inbox):
    stored(feed.hospital, ago=timedelta(minutes=1), status=AdtStatus.REJECTED, code="AR")

    code, printed = status("--json")

    found = json.loads(printed[:printed.rindex("}") + 1])
    assert code == 0 and found["ok"] is True
    assert found["feeds"][0] | {"last_message_at": None} == {
        "source": FACILITY, "hospital": feed.hospital.name, "status": "ok", "problems": [],
        "last_message_at": None, "messages_24h": 1, "messages_today": 1,
        "messages_last_hour": 1, "refused_24h": {"AE": 0, "AR": 1}, "waiting_for_match": 0,
        "waiting_for_merge": 0, "backlog": None}


def test_the_command_names_unknown_senders(feed, without_inbox):
    stored(feed.hospital, ago=timedelta(minutes=1))
    stored(None, sender="HIS^NEW-SITE", status=AdtStatus.REJECTED, code="AR")

    code, printed = status()

    assert code == 1
    assert "unknown sender HIS^NEW-SITE: 1 message(s) in 24 h" in printed
