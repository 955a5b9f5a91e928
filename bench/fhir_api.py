"""How fast the FHIR API answers a system client, beside the minimal signed-in page.

    .venv/bin/python bench/fhir_api.py [--persons 100000] [--stays 20000] [--searches 200]
                                       [--duration 10] [--connections 16]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_fhir_api \\
        .venv/bin/python bench/fhir_api.py

On a throw-away database (bench/throwaway.py): N fictional persons kept by a bench
home-nursing organisation, which is in each one's network (most with consent), as
bench/person_search.py builds them (its bench user signs in for the minimal page), and
one stay each for --stays of them at a bench hospital (a tenth still in hospital), and a
GP each (one of 100 bench GPs).
PostgreSQL keeps them between runs (rebuilt when N changes). A system client of the bench
organisation is registered and gets its token from the token endpoint, as a hospital's
or a home-care software would (client credentials, `system/*.rs`).

Then gunicorn with 2 workers and production settings, as bench/pages.py starts it
(its /bench/minimal/ page: the floor), and over HTTP:

- Patient search by SSIN (`Patient?identifier=<ssin system>|<number>`, one random person
  each time) and by name prefix (`Patient?family=<4 letters>`), single requests one
  after another: p50, p95, and the gunicorn workers' CPU per request;
- under load (`wrk`, 16 connections, 10 s): the minimal signed-in page, the Patient
  search by SSIN, the same Patient with their GP and the organisation keeping the record
  (what a hospital's system asks at an admission:
  `&_include=Patient:general-practitioner&_include=Patient:organization`), the same
  Patient with their care network (`&_revinclude=CareTeam:patient&_revinclude=
  RelatedPerson:patient`),
  and the Encounter search a home-care system polls — who of its patients is in hospital
  now, with them (`Encounter?status=in-progress&_include=Encounter:patient`, 20 a page):
  req/s, p50, p99, CPU per request, and req/s as a share of the minimal page's.

Goals (issue 17): Patient search by identifier p95 ≤ 30 ms at 100,000 persons on
PostgreSQL; a Patient with `_include` ≥ 0.35 of the minimal page's throughput (the
Patient with their GP and organisation; the Patient with their whole network and the
Encounter search, twenty patients a page, are reported beside it). Every
search is audited (one event per page naming the persons shown), as in production.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from urllib.parse import urlencode

import pages
import person_search
import summary
from throwaway import setup_database

SSIN = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin"
PASSWORD = "relais-bench-fhir-2026"  # a throw-away database's fictional user
OPEN_SHARE = 0.1
GP_COUNT = 100


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--stays", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=200, help="single requests per kind")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    os.environ.setdefault("RELAIS_VAR_DIR", tempfile.mkdtemp(prefix="relais-bench-fhir-"))
    # One token for the whole run (a real client asks again every five minutes).
    os.environ["RELAIS_FHIR_TOKEN_SECONDS"] = "7200"
    connection = setup_database()
    rng = random.Random(options.seed)
    started = time.perf_counter()
    persons, client, user = _prepare(options, connection, rng)
    print(f"database: {connection.vendor}; {len(persons):,} persons and their stays ready "
          f"in {time.perf_counter() - started:.0f} s")
    port = pages.free_port()
    server = pages.start_gunicorn(port)  # its log in RELAIS_VAR_DIR/gunicorn.log
    try:
        return _measure(options, port, persons, client, user, rng)
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- the data --------------------------------------------------------------------------------


def _prepare(options, connection, rng):
    """The persons (rebuilt when their number changed), their stays, the bench
    organisation's system client, and the bench user's password and TOTP device for the
    minimal page's login."""
    from relais.interop.fhir import clients
    from relais.network.models import Person

    organisation, user = person_search._organisation_and_user()
    kept = Person.objects.filter(owner_organisation=organisation)
    persons_before = kept.count()
    if persons_before != options.persons or connection.vendor != "postgresql":
        person_search._empty_person_tables(connection)
        organisation, user = person_search._organisation_and_user()
        person_search._build(options.persons, organisation, user, rng)
        _stays(options.stays, organisation, rng)
    if not _has_gps(organisation):
        _gps(organisation, rng)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    sign_in_ready(user)
    persons = list(kept.values_list("first_name", "last_name", "niss"))
    client = clients.register_client(name="Bench home-care software",
                                     organisation=organisation, allowed="system/*.rs")
    return persons, client, user


def sign_in_ready(user) -> None:
    """The bench user signs in for the minimal page as a person does: a password, then a
    TOTP code (bench/pages.py's device)."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    pages.totp_device(user)


def log_in(port, user) -> dict:
    """The login form, then the two-factor form (bench/pages.py's log_in, for this user)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    cookies: dict = {}
    _, _, page = pages._request(port, "GET", "/accounts/login/", cookies)
    status, _, _ = pages._request(port, "POST", "/accounts/login/", cookies, {
        "csrfmiddlewaretoken": pages._csrf(page), "username": user.email,
        "password": PASSWORD})
    assert status == 302, f"login: HTTP {status}"
    _, _, page = pages._request(port, "GET", "/accounts/two-factor/verify/", cookies)
    device = TOTPDevice.objects.get(user=user, name="bench")
    for _attempt in range(2):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        status, location, page = pages._request(
            port, "POST", "/accounts/two-factor/verify/", cookies,
            {"csrfmiddlewaretoken": pages._csrf(page), "token": f"{totp.token():06d}"})
        if status == 302 and "verify" not in location:
            return cookies
        time.sleep(30 - time.time() % 30 + 1)  # a code is taken once: the next one
    raise SystemExit(f"two-factor login refused: HTTP {status}")


def _has_gps(organisation) -> bool:
    from relais.network.models import NetworkMember, Role

    return NetworkMember.objects.filter(person__owner_organisation=organisation,
                                        roles__role=Role.GP).exists()


def _gps(organisation, rng) -> None:
    """A GP in each person's network, one of GP_COUNT bench GPs (a Brussels GP has about
    a thousand patients), as a professional member with the GP role."""
    from django.db import transaction

    from relais.accounts.models import Profession, User, UserKind
    from relais.network.models import MemberKind, MemberRole, NetworkMember, Person, Role

    gps = [User.objects.get_or_create(
        email=f"gp{number}@bench.relais.example",
        defaults={"first_name": "Bench", "last_name": f"GP {number}",
                  "kind": UserKind.PROFESSIONAL, "profession": Profession.GENERAL_PRACTITIONER})[0]
        for number in range(GP_COUNT)]
    ids = list(Person.objects.filter(owner_organisation=organisation).values_list(
        "pk", flat=True))
    for start in range(0, len(ids), 10_000):
        with transaction.atomic():
            members = NetworkMember.objects.bulk_create(
                NetworkMember(person_id=pk, kind=MemberKind.PROFESSIONAL, user=rng.choice(gps))
                for pk in ids[start:start + 10_000])
            MemberRole.objects.bulk_create(MemberRole(member=m, role=Role.GP) for m in members)


def _stays(count: int, organisation, rng) -> None:
    """One stay each for `count` of the bench organisation's persons at a bench hospital,
    admitted over the last two years; a tenth still in hospital."""
    from django.db import transaction
    from django.utils import timezone

    from relais.accounts.demo import kbo
    from relais.accounts.models import Organisation, OrganisationType
    from relais.network.models import Person
    from relais.stays.models import Stay

    hospital, _ = Organisation.objects.get_or_create(
        kbo_number=kbo(99000002), defaults={"name": "Bench hospital",
                                             "type": OrganisationType.HOSPITAL})
    ids = list(Person.objects.filter(owner_organisation=organisation).values_list(
        "pk", flat=True))
    now = timezone.now()
    batch = []
    for number, person_id in enumerate(rng.sample(ids, min(count, len(ids)))):
        admitted = now - timedelta(days=rng.uniform(1, 730))
        discharged = None if rng.random() < OPEN_SHARE else min(
            admitted + timedelta(days=rng.uniform(1, 20)), now)
        batch.append(Stay(person_id=person_id, hospital=hospital, admitted_at=admitted,
                          discharged_at=discharged, visit_number=f"BENCH-{number}",
                          destination="home" if discharged else ""))
    with transaction.atomic():
        Stay.objects.bulk_create(batch, batch_size=5000)


# --- measuring -------------------------------------------------------------------------------


def _measure(options, port, persons, client, user, rng) -> int:
    token = _token(port, client)
    bearer = {"Authorization": f"Bearer {token}"}
    cookies = log_in(port, user)
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    with_ssin = [p for p in persons if p[2]]
    print(f"gunicorn 2 workers, production settings; load average before: {pages._load()}")
    print(f"{'single requests':<44}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
          f"{'CPU ms':>8}{'found':>7}")
    by_ssin = _sequential(port, bearer, options.searches, lambda: "/fhir/Patient?" + urlencode(
        {"identifier": f"{SSIN}|{rng.choice(with_ssin)[2]}"}))
    _print_sequential("Patient?identifier=<SSIN>", by_ssin)
    by_prefix = _sequential(port, bearer, options.searches, lambda: "/fhir/Patient?" + urlencode(
        {"family": rng.choice(persons)[1].split()[0][:4].lower()}))
    _print_sequential("Patient?family=<4 letters>", by_prefix)
    summary.at_most(f"Patient?identifier= p95 at {len(persons):,} persons",
                    summary.percentile(by_ssin[0], 0.95), "ms", 30)
    summary.figure("Patient?identifier= p50", round(statistics.median(by_ssin[0]), 1), "ms")
    summary.figure("Patient?family= (prefix) p95",
                   round(summary.percentile(by_prefix[0], 0.95), 1), "ms")
    _under_load(options, port, cookie, bearer, with_ssin[0][2])
    print(f"load average after: {pages._load()}")
    summary.emit("fhir_api")
    return 0


def _under_load(options, port, cookie, bearer, ssin) -> None:
    urls = [
        ("minimal signed-in page", cookie, "/bench/minimal/", None),
        ("Patient?identifier=<SSIN>", bearer,
         "/fhir/Patient?" + urlencode({"identifier": f"{SSIN}|{ssin}"}), None),
        # The "Patient with _include": a hospital's system asks for the person
        # by SSIN with their GP and the organisation that keeps the record.
        ("Patient?identifier=<SSIN>&_include (GP, organisation)", bearer,
         "/fhir/Patient?" + urlencode([("identifier", f"{SSIN}|{ssin}"),
                                       ("_include", "Patient:general-practitioner"),
                                       ("_include", "Patient:organization")]), 0.35),
        # More: the person with their whole care network (the CareTeam and the relatives).
        ("Patient?identifier=<SSIN>&_revinclude (network)", bearer,
         "/fhir/Patient?" + urlencode([("identifier", f"{SSIN}|{ssin}"),
                                       ("_revinclude", "CareTeam:patient"),
                                       ("_revinclude", "RelatedPerson:patient")]), None),
        # Harder: twenty stays and their twenty patients, each put to the gate.
        ("Encounter?status=in-progress&_include", bearer,
         "/fhir/Encounter?status=in-progress&_include=Encounter:patient&_count=20", None),
    ]
    print(f"\n{'under load (wrk)':<44}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}"
          f"{'ratio':>8}")
    baseline = None
    for label, headers, path, goal in urls:
        status, body = _get(port, path, headers)
        assert status == 200, f"{path}: HTTP {status}\n{body[:500]}"
        rate, p50, p99, cpu = _wrk(options, port, path, headers)
        ratio = rate / (baseline or rate)
        print(f"{label:<44}{rate:>8.1f}{p50:>9.0f}{p99:>9.0f}{cpu:>8.1f}{ratio:>8.2f}"
              + (f"  goal ≥ {goal}" if goal else ""))
        if baseline is None:  # the floor the others are measured against
            baseline = rate
            summary.figure("minimal signed-in page (floor)", rate, "req/s", goal="floor")
        elif goal:
            summary.at_least(f"{label}: req/s ÷ minimal page", round(ratio, 3), "", goal)
        else:
            summary.figure(f"{label}: req/s ÷ minimal page", round(ratio, 3))


def _token(port, client) -> str:
    """The client's access token from the token endpoint (client credentials, HTTP Basic)."""
    import base64

    registered, secret = client
    credentials = base64.b64encode(
        f"{registered.application.client_id}:{secret}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/fhir/auth/token", body="grant_type=client_credentials",
                       headers={"Authorization": f"Basic {credentials}",
                                "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert response.status == 200, answer
    return answer["access_token"]


def _get(port, path: str, headers: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, body


def _sequential(port, headers, count: int, make_path) -> tuple[list[float], float, float]:
    """(times in ms, gunicorn CPU ms per request, matches per search on average: the
    total, or the page's matches when the Bundle has no total)."""
    paths = [make_path() for _ in range(count)]
    for path in paths[:4]:
        _get(port, path, headers)  # warm up both workers
    times, found = [], 0
    cpu = pages._workers_cpu(port)
    for path in paths:
        started = time.perf_counter()
        status, body = _get(port, path, headers)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path}: HTTP {status}\n{body[:500]}"
        bundle = json.loads(body)
        # A broad search leaves `total` out (docs/fhir.md, "Search"): its page is counted.
        found += bundle.get("total", sum(e["search"]["mode"] == "match"
                                         for e in bundle.get("entry", [])))
    cpu = (pages._workers_cpu(port) - cpu) * 1000 / count
    return times, cpu, found / count


def _print_sequential(label: str, result) -> None:
    times, cpu, found = result
    print(f"{label:<44}{len(times):>5}{statistics.median(times):>9.1f}"
          f"{summary.percentile(times, 0.95):>9.1f}{max(times):>9.1f}{cpu:>8.1f}{found:>7.1f}")


def _wrk(options, port, path: str, headers: dict) -> tuple[float, float, float, float]:
    arguments = [item for name, value in headers.items() for item in ("-H", f"{name}: {value}")]
    cpu_before = pages._workers_cpu(port)
    output = subprocess.run(  # noqa: S603 - our own arguments
        ["wrk", "-t2", f"-c{options.connections}", f"-d{options.duration}s", "--latency",
         "--timeout", "30s",  # a slow answer is a latency to show, not a request dropped
         *arguments, f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True).stdout
    cpu = pages._workers_cpu(port) - cpu_before
    if "Non-2xx" in output:
        raise SystemExit(f"{path}: some answers were not 200\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return (rate, pages._percentile(output, "50"), pages._percentile(output, "99"),
            cpu * 1000 / requests)


if __name__ == "__main__":
    sys.exit(main())
