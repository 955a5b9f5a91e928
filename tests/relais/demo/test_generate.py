"""`relais generate`: reproducible, resumable, consistent with Relais's rules, sealed, and
never run on a database with real data (issue 18)."""

import importlib
import io
import threading
from datetime import UTC, datetime

import psycopg
import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from stdnum.be import nn

from relais.access.models import Consent, ConsentScope
from relais.accounts.models import Function, Membership, Organisation, OrganisationType, User
from relais.audit import verification
from relais.audit.models import AuditBatch, AuditEvent
from relais.booklet.models import Entry, ReadReceipt
from relais.core.models import Municipality
from relais.demo.generate import run
from relais.demo.generate import tables as bulk
from relais.demo.generate.names import Names
from relais.demo.generate.persons import Chunk
from relais.demo.generate.run import Options, generate
from relais.demo.generate.world import World
from relais.demo.models import GeneratedChunk, GeneratedDataset
from relais.followup.models import CheckIn, FollowUp, Refusal, Watch
from relais.network import services
from relais.network.models import (
    CapacityAssessment,
    Mandate,
    NetworkMember,
    Person,
    ProtectionOrder,
    Role,
)
from relais.network.rules import person_for
from relais.stays.models import OPEN_REFERRAL_STATUSES, Referral, ReferralEvent, Stay
from tests.conftest import login_as

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
RATIOS = {"stays": 2.0, "referrals": 0.5, "followups": 0.5, "entries": 6.0, "audit": 20.0}


def options(persons=30, seed=7, chunk=10) -> Options:
    return Options(persons=persons, seed=seed, chunk_size=chunk, as_of=AS_OF,
                   ratios=dict(RATIOS))


class Quiet:
    """A progress that says nothing; `stop_at` interrupts that chunk before its commit."""

    def __init__(self, stop_at=None):
        self.stop_at, self.chunks = stop_at, 0
        self.waited = threading.Event()

    def start(self, persons_done):
        self.persons_done = persons_done

    def waiting(self):
        self.waited.set()

    def chunk(self, persons, rows):
        self.chunks += 1
        if self.chunks == self.stop_at:
            raise KeyboardInterrupt


@pytest.fixture
def generated(db):
    return generate(options(), Quiet())


def built(seed: int, first: int) -> list:
    """The tables chunk 2 (persons first…first + 9) would write now, not written."""
    chunk = Chunk(world=World.load(), names=Names(), seed=seed, number=2, as_of=AS_OF,
                  ratios=dict(RATIOS))
    return chunk.build(first, 10)


def rows_of(seed: int, first: int) -> list:
    return [(table.model.__name__, table.rows) for table in built(seed, first)]


def test_the_same_seed_gives_the_same_rows(generated):
    assert rows_of(7, 10) == rows_of(7, 10)
    assert rows_of(7, 10) != rows_of(8, 10)


def test_an_interrupted_run_resumes_with_the_rows_it_would_have_written(db):
    with pytest.raises(KeyboardInterrupt):
        generate(options(), Quiet(stop_at=2))  # during chunk 2, before its commit
    assert set(GeneratedChunk.objects.values_list("number", flat=True)) == {0, 1}
    assert Person.objects.count() == 10  # chunk 2 was undone whole
    persons = next(t for t in built(7, 10) if t.model is Person)
    expected = [tuple(row[persons.index[name]] for name in ("first_name", "last_name", "niss"))
                for row in persons.rows]

    progress = Quiet()
    generate(options(), progress)

    assert progress.persons_done == 10
    assert set(GeneratedChunk.objects.values_list("number", flat=True)) == {0, 1, 2, 3}
    assert list(Person.objects.order_by("id")[10:20].values_list(
        "first_name", "last_name", "niss")) == expected
    assert Person.objects.count() == 30


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="the writers' lock is PostgreSQL's")


@pytest.fixture
def empty_database(transactional_db):
    """A database the threads' own connections see: committed, so emptied after the test,
    geography included (a migration's rows); put back if an earlier such test took it."""
    if not Municipality.objects.exists():
        load_geography(django_apps, None)


def in_a_thread(progress, failures: list) -> threading.Thread:
    def run():
        try:
            generate(options(), progress)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@postgres_only
def test_a_second_run_waits_for_the_first_then_finds_its_chunks_done(empty_database):
    """A bench starting `relais generate` while one runs in the background waits for it."""
    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], host=settings["HOST"] or None,
                         port=settings["PORT"] or None, user=settings["USER"] or None,
                         autocommit=True) as first:
        first.execute("SELECT pg_advisory_lock(%s)", [run.WRITER_LOCK])
        progress, failures = Quiet(), []
        thread = in_a_thread(progress, failures)
        assert progress.waited.wait(timeout=30)
        assert not GeneratedDataset.objects.exists()  # it waits before touching anything
        first.execute("SELECT pg_advisory_unlock(%s)", [run.WRITER_LOCK])
    thread.join(timeout=120)
    assert failures == [] and not thread.is_alive()
    assert Person.objects.count() == 30


@postgres_only
def test_two_runs_at_once_write_each_chunk_once(empty_database):
    runs, failures = (Quiet(), Quiet()), []
    threads = [in_a_thread(progress, failures) for progress in runs]
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sum(progress.chunks for progress in runs) == 3
    assert sorted(GeneratedChunk.objects.values_list("number", flat=True)) == [0, 1, 2, 3]
    assert Person.objects.count() == 30
    summary = verification.Summary()
    assert list(verification.verify_batches(summary)) == []
    assert summary.unsealed == 0


def test_the_audit_log_it_writes_verifies(generated):
    summary = verification.Summary()
    assert list(verification.verify_batches(summary)) == []
    assert summary.sealed == AuditEvent.objects.count() > 30 * 10
    assert summary.unsealed == 0
    call_command("audit", "verify", stdout=io.StringIO())


def test_every_row_follows_the_models_rules(generated):
    persons = Person.objects.annotate(
        contact_points=Count("members", filter=Q(members__is_contact_point=True,
                                                  members__ended_on__isnull=True)),
        selves=Count("members", filter=Q(members__relation="self")))
    assert {(p.contact_points, p.selves) for p in persons} == {(1, 1)}
    national = [n for n in Person.objects.values_list("niss", flat=True) if n]
    assert len(national) == len(set(national)) > 20
    assert all(nn.is_valid(n) for n in national)
    assert Stay.objects.filter(discharged_at__isnull=True).values("person", "hospital").annotate(
        n=Count("id")).filter(n__gt=1).count() == 0
    open_referrals = Referral.objects.filter(status__in=OPEN_REFERRAL_STATUSES)
    assert open_referrals.values("person", "service").annotate(n=Count("id")).filter(
        n__gt=1).count() == 0
    assert ReferralEvent.objects.filter(status="sent").count() == Referral.objects.count() > 0
    assert ReadReceipt.objects.count() == Entry.objects.count() > 0
    assert FollowUp.objects.filter(stay__discharged_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="booklet.write").count() == Entry.objects.count()


@pytest.fixture
def four_hundred(db):
    return generate(options(persons=400, chunk=100), Quiet())


def test_who_acts_for_the_person_and_help_refused_follow_the_models_rules(four_hundred):
    rows = {model: list(model.objects.all()) for model in (
        CapacityAssessment, Mandate, ProtectionOrder, Refusal, Watch, CheckIn)}
    assert all(rows.values()), {model.__name__: len(found) for model, found in rows.items()}
    for found in rows.values():
        for row in found:
            row.full_clean()
    for mandate in rows[Mandate]:
        assert mandate.representative.person_id == mandate.person_id
        assert Role.REPRESENTATIVE in mandate.representative.role_codes()
    for order in rows[ProtectionOrder]:
        assert order.administrator.person_id == order.person_id
        assert Role.ADMINISTRATOR in order.administrator.role_codes()
    for watch in rows[Watch]:
        assert watch.refusal.person_id == watch.person_id
        assert watch.person_id in set(Person.objects.visible_to(watch.owner).values_list(
            "pk", flat=True)), "the owner of a watch sees the person"
        last = watch.ended_at or AS_OF
        assert all(watch.started_on < check.at.date() <= last.date()
                   for check in watch.check_ins.all())
    audited = dict(AuditEvent.objects.values_list("action").annotate(n=Count("id")))
    assert audited["followup.watch.check_in"] == len(rows[CheckIn])
    assert audited["mandate.create"] == len(rows[Mandate])
    assert audited["capacity.assess"] == len(rows[CapacityAssessment])


def test_the_watch_owner_opens_the_page_of_a_person_who_refused_help(four_hundred, client):
    watch = Watch.objects.filter(ended_at__isnull=True).select_related("owner").first()
    page = login_as(client, watch.owner).get(
        reverse("network:person_detail", args=[watch.person_id]))
    assert page.status_code == 200
    assert reverse("followup:watch_detail", args=[watch.pk]) in page.content.decode()


def test_a_generated_coordinator_sees_their_persons_only(generated):
    membership = Membership.objects.filter(function=Function.COORDINATOR).select_related(
        "user", "organisation").first()
    coordinator, centre = membership.user, membership.organisation
    in_network = NetworkMember.objects.filter(organisation=centre, ended_on__isnull=True,
                                              never_inform=False).values("person")
    consented = Consent.objects.filter(scope=ConsentScope.NETWORK, revoked_at__isnull=True)
    expected = set(Person.objects.filter(pk__in=in_network).filter(
        Q(pk__in=consented.values("person")) | Q(owner_organisation=centre))
        .values_list("pk", flat=True)) | set(Referral.objects.filter(
            organisation=centre, status__in=OPEN_REFERRAL_STATUSES).values_list(
            "person", flat=True))

    seen = set(Person.objects.visible_to(coordinator).values_list("pk", flat=True))

    assert seen == expected
    assert 0 < len(seen) < Person.objects.count()
    other = Person.objects.exclude(pk__in=seen).first()
    with pytest.raises(Http404):
        person_for(coordinator, other.pk)
    assert person_for(coordinator, min(seen)).pk == min(seen)


def test_every_booklet_entry_is_written_by_someone_the_gate_lets_see_the_person(generated):
    by_author: dict[int, set] = {}
    for author, person in Entry.objects.values_list("author", "person"):
        by_author.setdefault(author, set()).add(person)
    assert by_author
    for author, persons in by_author.items():
        visible = set(Person.objects.visible_to(User.objects.get(pk=author)).values_list(
            "pk", flat=True))
        assert persons <= visible


def test_refuses_a_database_with_real_persons(db, coordinator, world):
    services.create_person({"first_name": "Real", "last_name": "Person", "sex": "F"},
                           actor=coordinator, organisation=world.coordination_centre)
    before = (Organisation.objects.count(), User.objects.count(), AuditEvent.objects.count())

    with pytest.raises(CommandError, match="did not make"):
        call_command("generate", persons=10, stdout=io.StringIO())

    assert not GeneratedDataset.objects.exists()
    assert Person.objects.count() == 1
    assert (Organisation.objects.count(), User.objects.count(),
            AuditEvent.objects.count()) == before


@pytest.mark.parametrize("real", ["organisation", "account"])
def test_refuses_a_database_with_real_organisations_or_accounts_and_no_persons(db, real):
    # An installation being set up: its hospital, or its administrator, before any person.
    if real == "organisation":
        Organisation.objects.create(name="Hôpital réel", type=OrganisationType.HOSPITAL)
    else:
        User.objects.create_superuser(email="it@hospital.example", password="x" * 20)
    before = (Organisation.objects.count(), User.objects.count())

    with pytest.raises(CommandError, match="did not make"):
        call_command("generate", persons=10, stdout=io.StringIO())

    assert not GeneratedDataset.objects.exists()
    assert not Person.objects.exists()
    assert (Organisation.objects.count(), User.objects.count()) == before


def test_refuses_other_options_on_a_synthetic_database(generated):
    before = (Person.objects.count(), AuditBatch.objects.count())

    with pytest.raises(CommandError, match="other options"):
        call_command("generate", persons=30, seed=8, chunk=10, as_of="2026-11-01",
                     stdout=io.StringIO())

    assert (Person.objects.count(), AuditBatch.objects.count()) == before


def test_the_command_says_what_it_made(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate", persons=5, chunk=5, as_of="2026-11-01",
                 entries_per_person=2, audit_per_person=5, stdout=out, stderr=err)
    assert "5 synthetic persons ready (seed 1)" in out.getvalue()
    assert "100% 5/5 persons" in err.getvalue()
    assert GeneratedDataset.objects.get().ratios["entries"] == 2.0


def test_a_wrong_date_is_refused(db):
    with pytest.raises(CommandError, match="is not a date"):
        call_command("generate", persons=5, as_of="01/11/2026")
    assert not GeneratedDataset.objects.exists()


def test_the_planner_has_statistics_once_it_is_done(generated):
    """A bulk load leaves no statistics: the planner then scans whole tables for one
    person's rows (bench/person_page_scale.py found the person page 8× slower)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'stays_stay'")
        else:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'stays_stay'")
        assert cursor.fetchone()[0] > 0


@postgres_only
def test_on_postgresql_the_tables_are_vacuumed_as_autovacuum_would(empty_database):
    """Until a table is vacuumed no page of it is known all-visible, and a covering index
    (the members' `member_org_person`) still reads the table: "my work" read 3,172 pages
    of a generated database for 4,119 members (docs/bench.md)."""
    generate(options(), Quiet())
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible, relpages FROM pg_class "
                       "WHERE relname = 'network_networkmember'")
        visible, pages = cursor.fetchone()
    assert visible == pages > 0


@pytest.fixture
def analyses(monkeypatch) -> list:
    """Each time the tables are vacuumed and analysed (the real statement still runs)."""
    calls, analyze = [], run.bulk.analyze
    monkeypatch.setattr(run.bulk, "analyze", lambda: calls.append(1) or analyze())
    return calls


def test_a_run_that_finds_every_chunk_done_does_not_vacuum_again(generated, analyses):
    """A bench calls `generate` before it measures: at a million persons a VACUUM reads
    every table for 70 s and pushes the persons it is about to open out of memory."""
    assert GeneratedDataset.objects.get().analyzed_at is not None
    generate(options(), Quiet())
    assert analyses == []


def test_a_run_interrupted_after_its_chunks_before_its_analysis_analyses(db, analyses):
    with pytest.raises(KeyboardInterrupt):
        generate(options(), Quiet(stop_at=2))
    assert GeneratedDataset.objects.get().analyzed_at is None
    assert analyses == []
    generate(options(), Quiet())
    assert analyses == [1]
    # Its chunks all written, the analysis itself interrupted (the moment is set after it):
    GeneratedDataset.objects.update(analyzed_at=None)
    generate(options(), Quiet())
    assert analyses == [1, 1]
    assert GeneratedDataset.objects.get().analyzed_at is not None


@postgres_only
def test_on_postgresql_the_audit_log_is_vacuumed_first_and_the_records_last(generated):
    """What VACUUM reads last stays in the OS's cache: the records the pages read, not the
    audit log (a database-wide VACUUM read its partitions last, docs/bench.md)."""
    order = bulk.vacuum_order()
    audit = [n for n in order if n.startswith(("access_auditevent", "audit_"))]
    assert order[:len(audit)] == audit and "access_auditevent" in audit
    assert not any(n.startswith("access_auditevent_y") for n in order)  # as one table
    with connection.cursor() as cursor:
        sizes = []
        for name in order[len(audit):]:
            cursor.execute("SELECT pg_total_relation_size(%s::regclass)", [name])
            sizes.append(cursor.fetchone()[0])
    assert sizes == sorted(sizes, reverse=True) and len(sizes) > 50
