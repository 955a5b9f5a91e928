"""Does a liaison nurse's hospital work list open fast when the hospital has a thousand
persons in its beds (issue 15, issue 18: the largest hospital of the generated million has
1,115 open stays)?

    .venv/bin/python bench/worklist.py [--stays 1100] [--opens 30]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_worklist \\
        .venv/bin/python bench/worklist.py

Loads the demo care zone into a throw-away database and fills the demo hospital's beds to
--stays open stays (bulk inserts: persons kept by the hospital, which is in each one's
network; expected discharges spread over the next nine days; no plan items, so every stay
is ready and none screened). Then opens the work list as the demo's liaison nurse through
Django's test client (middleware, the gate, rendering): all wards, the second page, one
card's whole list ("Screening not done") and one ward, and prints p50/p95/max in ms, the
CPU time per request, the query count and the page's size. On PostgreSQL the bulk-filled
tables are analysed. Re-running with a DATABASE_URL reuses the data.
"""

import argparse
import contextlib
import io
import os
import sys
import time
from datetime import timedelta

import summary
from my_work import _client, _line, _queries, _time
from throwaway import setup_database

NURSE = "liaison@demo.relais.example"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stays", type=int, default=1_100)
    parser.add_argument("--opens", type=int, default=30)
    options = parser.parse_args()
    connection = setup_database()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    nurse, hospital = _world()
    open_now = _fill(nurse, hospital, options.stays)
    print(f"database: {connection.vendor}; {open_now:,} open stays at {hospital.name} "
          f"(ready in {time.perf_counter() - started:.0f} s)")
    client = _client(nurse)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'work list':<26}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cpu ms':>9}"
          f"{'queries':>9}{'KB':>7}")
    ward = hospital.wards.first()
    for label, params in (("all wards", {}), ("page 2", {"page": "2"}),
                          ("screening not done, all", {"show": "not_screened"}),
                          ("one ward", {"ward": str(ward.pk)} if ward else {})):
        measured = _time(client, params, options.opens, "stays:worklist")
        size = len(client.get("/hospital/worklist/", params).content) / 1024
        print(_line(label, measured, _queries(client, params, "stays:worklist"))
              + f"{size:>7.0f}")
        if label == "all wards":
            summary.figure("work list p50", round(summary.percentile(measured[0], 0.5), 1),
                           "ms")
            summary.figure("work list p95", round(summary.percentile(measured[0], 0.95), 1),
                           "ms")
            summary.figure("work list size", round(size), "KB")
    summary.emit("worklist")
    return 0


def _world():
    from django.core.management import call_command

    from relais.accounts.models import Membership, User

    if not User.objects.filter(email=NURSE).exists():
        with contextlib.redirect_stdout(io.StringIO()):  # the demo's list of logins
            call_command("load_demo", verbosity=0)
    nurse = User.objects.get(email=NURSE)
    return nurse, Membership.objects.filter(user=nurse).first().organisation


def _fill(nurse, hospital, wanted: int) -> int:
    from django.db import connection, transaction
    from django.utils import timezone

    from relais.network.models import MemberKind, NetworkMember, Person
    from relais.stays.models import Stay

    open_stays = Stay.objects.filter(hospital=hospital, discharged_at__isnull=True)
    missing = wanted - open_stays.count()
    if missing <= 0:
        return open_stays.count()
    now = timezone.now()
    wards = list(hospital.wards.all()) or [None]
    with transaction.atomic():
        persons = Person.objects.bulk_create(
            [Person(first_name=f"Bed{n}", last_name="Bench", owner_organisation=hospital,
                    created_by=nurse) for n in range(missing)], batch_size=2_000)
        NetworkMember.objects.bulk_create(
            [NetworkMember(person=p, kind=MemberKind.ORGANISATION, organisation=hospital)
             for p in persons], batch_size=2_000)
        Stay.objects.bulk_create(
            [Stay(person=p, hospital=hospital, ward=wards[n % len(wards)],
                  admitted_at=now - timedelta(hours=n), visit_number=f"BENCH-{n}",
                  expected_discharge_on=(now + timedelta(days=n % 9)).date())
             for n, p in enumerate(persons)], batch_size=2_000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return open_stays.count()


if __name__ == "__main__":
    sys.exit(main())
