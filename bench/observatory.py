"""How long the observatory's computation takes on five years of a national-size
population, how much memory it holds, and how fast its read API answers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_observatory \
        .venv/bin/python bench/observatory.py [--stays 2000000] [--referrals 1500000]
    .venv/bin/python bench/observatory.py --stays 20000 --referrals 15000   # SQLite, small

Uses a throw-away database (bench/throwaway.py). Fills it once (kept between runs: a
second run with the same sizes only measures): `--persons` persons spread over the 19
municipalities (postcodes, some zones set by hand, some priority groups), `--stays`
stays over five years in the Brussels hospitals (about one in twenty a readmission, some
discharged without a plan), `--referrals` referrals over the same years (categories,
urgencies, outcomes, decline reasons, answer times) — bulk SQL (generate_series on
PostgreSQL, executemany on SQLite), no services, so no audit events.

Then runs the worker's computation once (`compute.compute()`), printing its wall time,
the figures written and the process's peak RSS; then asks the read API what a dashboard
asks (trends, breakdowns by municipality and by category, for Brussels and for a zone,
`--requests` times each) and prints p50/p95 per question and the number of queries each
makes. The issue's targets: computation ≤ 10 min, RSS ≤ 500 MB, p95 ≤ 500 ms.
"""

import argparse
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

import summary
from throwaway import setup_database

YEARS = 5
FIRST_DAY = datetime(2021, 1, 1, tzinfo=UTC)
CATEGORIES = ["home_nursing", "home_help", "meals", "gp", "physiotherapy", "social_service",
              "palliative", "mental_health"]
REASONS = ["no_capacity", "outside_area", "not_eligible", "language", "too_soon", "other"]
GROUPS = ['[]', '[]', '[]', '["elderly"]', '["isolated"]', '["elderly", "isolated"]',
          '["homeless"]', '["chronic_illness"]', '["disability"]', '["isolated_parent"]']


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=600_000)
    parser.add_argument("--stays", type=int, default=2_000_000)
    parser.add_argument("--referrals", type=int, default=1_500_000)
    # Organisations in each person's network (the cooperation map's shared networks).
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    options = parser.parse_args()
    connection = setup_database()
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    if _fill(connection, options):
        print(f"filled in {time.perf_counter() - started:.0f} s")
    _compute()
    _read(options.requests)
    _pages(options.requests)
    summary.emit("observatory")
    return 0


# --- the data ---------------------------------------------------------------------------


def _fill(connection, options) -> bool:
    from relais.network.models import NetworkMember, Person
    from relais.stays.models import Referral, Stay

    if (Stay.objects.count() >= options.stays
            and Referral.objects.count() >= options.referrals
            and (connection.vendor != "postgresql"
                 or NetworkMember.objects.count() >= options.members * options.persons)):
        return False
    world = _world()
    if Person.objects.filter(last_name="Bench").count() < options.persons:
        _persons(connection, world, options.persons)
    persons = list(Person.objects.filter(last_name="Bench").order_by("pk").values_list(
        "pk", flat=True)[:options.persons])
    first, count = persons[0], len(persons)
    assert persons[-1] - first + 1 == count, "the bench's persons are not contiguous ids"
    fill = _fill_postgres if connection.vendor == "postgresql" else _fill_sqlite
    fill(connection, world, first, count, options)
    return True


def _world() -> dict:
    from relais.accounts.demo import kbo
    from relais.accounts.models import Organisation, OrganisationType, User
    from relais.core.models import Municipality
    from relais.directory.models import Service

    user, _ = User.objects.get_or_create(email="bench-observatory@relais.example",
                                         defaults={"first_name": "Bench", "last_name": "O",
                                                   "is_superuser": True})
    municipalities = list(Municipality.objects.order_by("nis_code"))
    hospitals = []
    for n, municipality in enumerate(municipalities[:12]):
        hospital, _ = Organisation.objects.get_or_create(
            name=f"Bench hospital {n}", defaults={
                "type": OrganisationType.HOSPITAL, "kbo_number": kbo(18800000 + n),
                "municipality": municipality,
                "postcode": municipality.postcodes.first().code})
        hospitals.append(hospital.pk)
    services = []
    for n, category in enumerate(CATEGORIES):
        organisation, _ = Organisation.objects.get_or_create(
            name=f"Bench service {n}", defaults={"type": OrganisationType.HOME_NURSING,
                                                 "kbo_number": kbo(18900000 + n)})
        service, _ = Service.objects.get_or_create(
            organisation=organisation, category=category,
            defaults={"name_en": f"Bench {category}", "serves_all_brussels": True})
        services.append((service.pk, organisation.pk))
    places = [(m.pk, postcode.code) for m in municipalities for postcode in m.postcodes.all()]
    return {"user": user, "hospitals": hospitals, "services": services, "places": places}


def _persons(connection, world, count) -> None:
    from relais.network.models import Person

    have = Person.objects.filter(last_name="Bench").count()
    places = world["places"]
    organisation = world["hospitals"][0]
    batch = []
    for n in range(have, count):
        municipality, postcode = places[n % len(places)]
        batch.append(Person(first_name=f"P{n}", last_name="Bench", municipality_id=municipality,
                            postcode=postcode, priority_groups=_json(GROUPS[n % len(GROUPS)]),
                            owner_organisation_id=organisation, created_by=world["user"]))
        if len(batch) == 20_000:
            _create_persons(batch)
            batch = []
    _create_persons(batch)


def _create_persons(batch) -> None:
    from relais.network.models import Person

    for person in batch:
        person.fill_name_keys()
    Person.objects.bulk_create(batch, batch_size=5_000)


def _json(text):
    import json

    return json.loads(text)


def _array(values) -> str:
    return "(ARRAY[" + ",".join(f"'{v}'" for v in values) + "])"


def _fill_postgres(connection, world, first, count, options) -> None:
    hospitals = "(ARRAY[" + ",".join(map(str, world["hospitals"])) + "])"
    services = "(ARRAY[" + ",".join(str(s) for s, _ in world["services"]) + "])"
    organisations = "(ARRAY[" + ",".join(str(o) for _, o in world["services"]) + "])"
    minutes = YEARS * 365 * 24 * 60
    from relais.network.models import NetworkMember
    from relais.stays.models import Referral, Stay

    tables = ("stays_stay", "stays_referral", "network_networkmember")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        if Stay.objects.count() < options.stays:
            _stays_postgres(cursor, world, first, count, options, hospitals, minutes)
        if Referral.objects.count() < options.referrals:
            _referrals_postgres(cursor, world, first, count, options, services,
                                organisations, minutes)
        if NetworkMember.objects.count() < options.members * count:
            _members_postgres(cursor, world, first, count, options)
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = true)")
            cursor.execute(f"VACUUM ANALYZE {table}")


def _stays_postgres(cursor, world, first, count, options, hospitals, minutes) -> None:
    cursor.execute(
        "INSERT INTO stays_stay (created_at, updated_at, version, person_id, hospital_id,"
        " visit_number, admitted_at, discharged_at, destination, source, admission_type,"
        " discharge_reason, followup_needs, watch_for, appointments, explained_by)"
        " SELECT now(), now(), 1, %s + (g * 7919) %% %s,"
        f" {hospitals}[1 + g %% {len(world['hospitals'])}], '',"
        " %s + ((g * 104729) %% %s || ' minutes')::interval,"
        " %s + ((g * 104729) %% %s || ' minutes')::interval"
        "   + ((1 + (g * 31) %% 400) || ' hours')::interval,"
        " (ARRAY['home', 'home_services', 'nursing_home', 'other'])[1 + g %% 4], 'manual',"
        " (ARRAY['emergency', 'elective', ''])[1 + g %% 3],"
        " CASE WHEN g %% 17 = 0 THEN 'Left anyway' ELSE '' END, '', '', '', ''"
        " FROM generate_series(1, %s::bigint) AS g",
        [first, count, FIRST_DAY, minutes, FIRST_DAY, minutes, options.stays])
    cursor.execute("UPDATE stays_stay SET previous_stay_id = id - 1"
                   " WHERE id %% 20 = 0 AND previous_stay_id IS NULL", [])


def _referrals_postgres(cursor, world, first, count, options, services, organisations,
                    minutes) -> None:
    open_limit = count - 1  # open referrals on distinct persons (one per service)
    cursor.execute(
        "INSERT INTO stays_referral (created_at, updated_at, version, person_id, service_id,"
        " organisation_id, sender_id, sender_organisation_id, help_needed, frequency,"
        " start_on, reason, person_wishes, person_agrees, urgency, respond_by, status,"
        " answered_at, decline_reason, decline_note)"
        " SELECT t, t, 1, %s + g %% %s,"
        f" {services}[1 + g %% {len(world['services'])}],"
        f" {organisations}[1 + g %% {len(world['services'])}], %s, %s, 'help', 'daily',"
        " t::date, 'reason', 'wishes', true,"
        " (ARRAY['routine', 'routine', '72h', '24h'])[1 + g %% 4], t + interval '5 days',"
        " CASE WHEN g %% 10 < 5 THEN 'completed' WHEN g %% 10 = 6 THEN 'declined'"
        "      WHEN g %% 10 = 7 THEN 'cancelled'"
        "      WHEN g < %s THEN (ARRAY['sent', 'accepted', 'started'])[1 + g %% 3]"
        "      ELSE 'completed' END,"
        " CASE WHEN g %% 10 <> 7 THEN t + ((1 + (g * 13) %% 200) || ' hours')::interval END,"
        f" CASE WHEN g %% 10 = 6 THEN {_array(REASONS)}[1 + g %% {len(REASONS)}]"
        "      ELSE '' END, ''"
        " FROM (SELECT g, %s + ((g * 7727) %% %s || ' minutes')::interval AS t"
        "       FROM generate_series(1, %s::bigint) AS g) AS s",
        [first, count, world["user"].pk, world["hospitals"][0], open_limit,
         FIRST_DAY, minutes, options.referrals])


def _members_postgres(cursor, world, first, count, options) -> None:
    """`--members` organisations in each person's network (hospitals and services, no
    person twice with the same one), joined over the five years."""
    organisations = [*world["hospitals"], *(o for _, o in world["services"])]
    array = "(ARRAY[" + ",".join(map(str, organisations)) + "])"
    n = len(organisations)
    cursor.execute(
        "INSERT INTO network_networkmember (created_at, updated_at, kind, name, relation,"
        " is_minor, phone, email, language, what_they_do, is_contact_point, never_inform,"
        " in_safeguarding_circle, started_on, organisation_id, person_id)"
        " SELECT now(), now(), 'organisation', '', '', false, '', '', '', '', false, false,"
        " false, %s::date + ((g * 7919) %% (365 * %s))::int,"
        f" {array}[1 + ((g / %s) * 7 + (g %% %s) * 5) %% {n}], %s + g / %s"
        " FROM generate_series(0, %s::bigint - 1) AS g",
        [FIRST_DAY.date(), YEARS, options.members, options.members, first, options.members,
         options.members * count])


def _fill_sqlite(connection, world, first, count, options) -> None:
    minutes = YEARS * 365 * 24 * 60
    now = datetime.now(UTC).isoformat(sep=" ")
    hospitals, services = world["hospitals"], world["services"]

    def stays():
        for g in range(1, options.stays + 1):
            admitted = FIRST_DAY + timedelta(minutes=(g * 104729) % minutes)
            discharged = admitted + timedelta(hours=1 + (g * 31) % 400)
            yield (now, now, 1, first + (g * 7919) % count, hospitals[g % len(hospitals)], "",
                   admitted.isoformat(sep=" "), discharged.isoformat(sep=" "),
                   ["home", "home_services", "nursing_home", "other"][g % 4], "manual",
                   ["emergency", "elective", ""][g % 3], "Left anyway" if g % 17 == 0 else "",
                   "", "", "", "")

    def referrals():
        for g in range(1, options.referrals + 1):
            sent = FIRST_DAY + timedelta(minutes=(g * 7727) % minutes)
            status = ("completed" if g % 10 < 5 else "declined" if g % 10 == 6 else
                      "cancelled" if g % 10 == 7 else
                      ["sent", "accepted", "started"][g % 3] if g < count - 1 else "completed")
            answered = sent + timedelta(hours=1 + (g * 13) % 200) if g % 10 != 7 else None
            service, organisation = services[g % len(services)]
            yield (sent.isoformat(sep=" "), now, 1, first + g % count, service, organisation,
                   world["user"].pk, hospitals[0], "help", "daily", sent.date().isoformat(),
                   "reason", "wishes", True, ["routine", "routine", "72h", "24h"][g % 4],
                   (sent + timedelta(days=5)).isoformat(sep=" "), status,
                   answered.isoformat(sep=" ") if answered else None,
                   REASONS[g % len(REASONS)] if status == "declined" else "", "")

    raw = connection.connection
    raw.executemany(
        "INSERT INTO stays_stay (created_at, updated_at, version, person_id, hospital_id,"
        " visit_number, admitted_at, discharged_at, destination, source, admission_type,"
        " discharge_reason, followup_needs, watch_for, appointments, explained_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", stays())
    raw.execute("UPDATE stays_stay SET previous_stay_id = id - 1 WHERE id % 20 = 0")
    raw.executemany(
        "INSERT INTO stays_referral (created_at, updated_at, version, person_id, service_id,"
        " organisation_id, sender_id, sender_organisation_id, help_needed, frequency,"
        " start_on, reason, person_wishes, person_agrees, urgency, respond_by, status,"
        " answered_at, decline_reason, decline_note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", referrals())
    raw.commit()


# --- the measures -----------------------------------------------------------------------


def _compute() -> None:
    from relais.observatory import compute, cooperation
    from relais.observatory.models import Link

    links = cooperation.compute_links
    spent = []

    def timed_links(*args, **kwargs):  # the cooperation map's share, printed apart
        started = time.perf_counter()
        try:
            return links(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    cooperation.compute_links = timed_links
    before = _rss_mb()
    started = time.perf_counter()
    try:
        run = compute.compute()
    finally:
        cooperation.compute_links = links
    seconds = time.perf_counter() - started
    summary.at_most("computation", seconds, "s", 600)
    summary.at_most("computation: peak RSS", _rss_mb(), "MB", 500)
    print(f"computation: {seconds:.1f} s, {run.rows} figures, peak RSS {_rss_mb():.0f} MB "
          f"(before: {before:.0f} MB)")
    print(f"  of which the cooperation map: {sum(spent):.1f} s, "
          f"{Link.objects.filter(computation=run).count()} links")


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


def _read(requests: int) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from relais.accounts.models import User
    from relais.observatory import figures
    from relais.observatory.suppression import Options

    user = User.objects.get(email="bench-observatory@relais.example")
    year = figures.latest_period("", "year")
    month = figures.latest_period("", "month")
    questions = {
        "Brussels: admissions, 12 months": lambda: figures.series(
            user, "admissions", zone="", period="month"),
        "Brussels: referrals by zone (map)": lambda: figures.breakdown(
            user, "referrals", zone="", period="month", period_start=month, by="municipality"),
        "Brussels: referrals by category": lambda: figures.breakdown(
            user, "referrals", zone="", period="year", period_start=year, by="category"),
        "Brussels: answer time median, 12 months": lambda: figures.series(
            user, "answer_hours_median", zone="", period="month"),
        "zone: admissions by municipality": lambda: figures.breakdown(
            user, "admissions", zone="north", period="month", period_start=month,
            by="municipality"),
        "zone: flows inside/outside": lambda: figures.breakdown(
            user, "admissions", zone="north", period="year", period_start=year,
            by="hospital_zone"),
        "zone, threshold 15 (first: whole indicator)": lambda: figures.breakdown(
            user, "referrals", zone="north", period="month", period_start=month,
            by="municipality", opts=Options(15, 5)),
    }
    for name, ask in questions.items():
        times = []
        for _ in range(requests):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                ask()
                times.append((time.perf_counter() - started) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        print(f"{name}: first {times[0]:.0f} ms, p50 {statistics.median(times):.1f} ms, "
              f"p95 {p95:.1f} ms, {len(queries)} queries")
    started = time.perf_counter()
    rows = sum(1 for _ in figures.table(user, zone="", period="month",
                                        start=date(2021, 1, 1), end=date(2025, 12, 1)))
    print(f"export of Brussels, 60 months: {rows} cells in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")


def _pages(requests: int) -> None:
    """The dashboard pages as a browser asks them (middleware, the gate, rendering the
    charts and tables), through Django's test client, once warm."""
    from django.conf import settings
    from django.test import Client

    from relais.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(User.objects.get(email="bench-observatory@relais.example"))
    for url in ("/observatory/brussels/", "/observatory/north/",
                "/observatory/brussels/cooperation/"):
        client.get(url)  # warm
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            status = client.get(url).status_code
            times.append((time.perf_counter() - started) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        summary.at_most(f"page {url}: p95", p95, "ms", 500)
        print(f"page {url}: {status}, p50 {statistics.median(times):.0f} ms, "
              f"p95 {p95:.0f} ms (goal ≤ 500 ms)")


if __name__ == "__main__":
    sys.exit(main())
