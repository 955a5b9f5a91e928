"""Do two workers get through 100,000 due follow-up contacts in a minute, telling each
owner once (issue 13: ≤ 60 s with two workers, 0 duplicates)?

    .venv/bin/python bench/followup_worker.py [--contacts 100000] [--workers 2]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_followup \\
        .venv/bin/python bench/followup_worker.py

Fills a throw-away database: a home-nursing service whose 200 nurses follow 10,000
persons (consent recorded, the service in each network), one follow-up per person, and
N planned contacts due yesterday (bulk inserts), each owned by one of the nurses. Then
starts the workers as separate processes (multiprocessing), released together, each
running the clock's job `followup.escalation.escalate_overdue` as `relais worker` would:
every contact overdue since yesterday tells its owner (an in-app notification, an audit
event, and the email as the nurse chose — immediately: one per nurse and chunk, counting
her news). Prints items/s, the total
seconds, what each worker did (with the CPU seconds it and its PostgreSQL backend used,
which do not depend on what else the machine runs), and the duplicates (notifications
or escalations of one contact more than once: must be 0). Each run starts from fresh
contacts.
"""

import argparse
import multiprocessing
import os
import sys
import time
from datetime import date, timedelta

import summary
from throwaway import setup_database

PERSONS = 10_000
NURSES = 200
FAMILY = "bench-worker"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    connection = setup_database()
    started = time.perf_counter()
    _fill(options.contacts)
    print(f"database: {connection.vendor}; {options.contacts:,} contacts due, "
          f"built in {time.perf_counter() - started:.0f} s")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    connection.close()  # each worker opens its own

    seconds, results = _race(options.workers)
    total = sum(count for count, *_ in results)
    # CPU seconds of the worker and of its database server process: what the job costs
    # on a machine that others share (the wall-clock seconds depend on them).
    print(f"{'worker':<8}{'steps':>10}{'seconds':>10}{'cpu':>8}{'db cpu':>8}")
    for n, (count, spent, cpu, db_cpu) in enumerate(results, 1):
        print(f"{n:<8}{count:>10,}{spent:>10.1f}{cpu:>8.1f}{db_cpu:>8.1f}")
    print(f"total: {total:,} items in {seconds:.1f} s, {total / seconds:,.0f} items/s")
    summary.at_most(f"{total:,} due items, {options.workers} workers", seconds, "s", 60)
    duplicates = _duplicates()
    print(f"duplicates: {duplicates}")
    told = _told()
    print(f"owners told: {told:,} of {options.contacts:,}")
    summary.at_most("duplicates", duplicates, "", 0)
    summary.at_most("owners not told", options.contacts - told, "", 0)
    summary.emit("followup_worker")
    return 0 if duplicates == 0 and told == options.contacts else 1


def _race(workers: int) -> tuple[float, list[tuple[int, float]]]:
    """Fork the workers (they inherit the barrier), release them together, collect."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=_work, args=(start, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    start.wait(timeout=60)
    began = time.perf_counter()
    done = [results.get(timeout=600) for _ in processes]
    seconds = time.perf_counter() - began
    for process in processes:
        process.join()
    return seconds, done


def _work(start, results) -> None:
    """One worker process: what `relais worker`'s clock runs, on its own connection."""
    from django.db import connection, connections
    from django.utils import timezone

    from relais.followup.escalation import escalate_overdue

    connections.close_all()
    server = _server_process(connection)
    start.wait(timeout=60)
    began, cpu, db_cpu = time.perf_counter(), time.process_time(), _cpu_of(server)
    try:
        count = escalate_overdue(timezone.now())
    finally:  # a worker that failed still answers, with nothing done
        results.put((locals().get("count", 0), time.perf_counter() - began,
                     time.process_time() - cpu, _cpu_of(server) - db_cpu))
        connections.close_all()


def _server_process(connection) -> int | None:
    """The PostgreSQL backend serving this connection, when it runs on this machine."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) a local process has used; 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fill(count: int) -> None:
    service, nurses = _world()
    persons = _persons(service, nurses[0])
    _fresh_contacts(persons, nurses, service, count)
    _analyze()


def _analyze() -> None:
    """Fresh statistics, as autovacuum keeps them on a running server: the planner would
    otherwise take 100,000 rows for a handful."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _world():
    from relais.accounts.models import Membership, Organisation, OrganisationType, User

    service, _ = Organisation.objects.get_or_create(
        kbo_number="0403170704", defaults={"name": "Bench follow-up nursing",
                                           "type": OrganisationType.HOME_NURSING})
    nurses = list(User.objects.filter(email__endswith="@followup.bench.relais.example")
                  .order_by("pk"))
    for n in range(len(nurses), NURSES):
        nurse = User.objects.create(email=f"nurse{n}@followup.bench.relais.example",
                                    first_name="Nurse", last_name=str(n), language="fr")
        Membership.objects.create(user=nurse, organisation=service, function="home_nurse")
        nurses.append(nurse)
    return service, nurses


def _persons(service, creator) -> list[int]:
    from relais.access.models import Consent
    from relais.network.models import MemberKind, NetworkMember, Person

    existing = Person.objects.filter(last_name="FollowedUp")
    missing = PERSONS - existing.count()
    if missing > 0:
        made = Person.objects.bulk_create(
            [Person(first_name=f"F{n}", last_name="FollowedUp", created_by=creator,
                    owner_organisation=service) for n in range(missing)], batch_size=5_000)
        NetworkMember.objects.bulk_create(
            [NetworkMember(person=p, kind=MemberKind.ORGANISATION, organisation=service)
             for p in made], batch_size=5_000)
        Consent.objects.bulk_create(
            [Consent(person=p, scope="network", given_by="bench", given_on=date(2026, 1, 1),
                     recorded_by=creator) for p in made], batch_size=5_000)
    return list(existing.order_by("pk").values_list("pk", flat=True))


def _fresh_contacts(persons, nurses, service, count) -> None:
    """Yesterday's contacts, new for each run (the last run's are deleted with what they
    told)."""
    from django.utils import timezone

    from relais.followup.models import Channel, Contact, FollowUp, Protocol, ProtocolStep
    from relais.followup.notices_timed import CONTACT_OVERDUE
    from relais.notifications.models import EmailDelivery, Notification

    protocol, _ = Protocol.objects.get_or_create(family=FAMILY, version=1,
                                                 defaults={"name": "Bench"})
    step = ProtocolStep.objects.filter(protocol=protocol).first() or (
        ProtocolStep.objects.create(protocol=protocol, day=2, channel=Channel.PHONE))
    # The last run's rows are counted first: with the statistics of a table taken empty,
    # the deletes' foreign-key checks would scan it once per row.
    _analyze()
    EmailDelivery.objects.filter(kind=CONTACT_OVERDUE).delete()
    Notification.objects.filter(kind=CONTACT_OVERDUE).delete()
    Contact.objects.filter(followup__protocol=protocol).delete()
    followups = dict(FollowUp.objects.filter(protocol=protocol).values_list("person", "pk"))
    FollowUp.objects.bulk_create(
        [FollowUp(person_id=p, protocol=protocol, started_on=date(2026, 1, 1))
         for p in persons if p not in followups], batch_size=5_000)
    followups = list(FollowUp.objects.filter(protocol=protocol).values_list("pk", "person"))
    yesterday = timezone.localdate() - timedelta(days=1)
    # Each nurse owns the contacts of her own persons (so she sees each person she is
    # told about, as the network would have it).
    Contact.objects.bulk_create(
        [Contact(followup_id=followups[n % len(followups)][0], step=step,
                 channel=Channel.PHONE, owner=nurses[n % len(followups) % len(nurses)],
                 owner_organisation=service, due_on=yesterday) for n in range(count)],
        batch_size=5_000)


def _duplicates() -> int:
    from django.db.models import Count

    from relais.followup.models import Escalation
    from relais.followup.notices_timed import CONTACT_OVERDUE
    from relais.notifications.models import Notification

    notices = (Notification.objects.filter(kind=CONTACT_OVERDUE).values("target_id")
               .annotate(n=Count("pk")).filter(n__gt=1).count())
    steps = (Escalation.objects.values("contact", "level").annotate(n=Count("pk"))
             .filter(n__gt=1).count())
    return notices + steps


def _told() -> int:
    from relais.followup.notices_timed import CONTACT_OVERDUE
    from relais.notifications.models import Notification

    return Notification.objects.filter(kind=CONTACT_OVERDUE).count()


if __name__ == "__main__":
    sys.exit(main())
