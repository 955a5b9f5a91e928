"""Does the inbox of a user with 1,000 notifications of mixed kinds open fast (issue 11)?

    .venv/bin/python bench/notifications.py [--notifications 1000] [--opens 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_notifications \\
        .venv/bin/python bench/notifications.py

Fills a throw-away database: a home-nursing service whose nurse follows 50 persons
(consent recorded, the service in each network), each with a stay, a booklet alert and
a consultation; N notifications for the nurse, mixed over twelve kinds (stays, booklet,
network, emergency sheet, consultations), all unread; and, around them, 20,000 other
persons and 100,000 notifications of other users (bulk inserts: no services, so no
audit or email). Then opens the inbox as the nurse through Django's test client
(middleware, the gate's checks on every row's person and target, the unread count,
rendering each sentence in the reader's language) and prints p50/p95/max in ms for the
first page, the last page, and the same inbox after an exclusion hid half of it, with
the benchmark process's CPU time per request (on a busy machine the wall-clock figures
grow with the load average it prints; with SQLite the CPU time is all the work).
Re-running with a DATABASE_URL reuses the data.
"""

import argparse
import os
import sys
import time
from datetime import date, timedelta

import summary
from throwaway import setup_database

FOLLOWED = 50
OTHER_PERSONS = 20_000
OTHER_NOTIFICATIONS = 100_000
KINDS = ["stay.admitted", "stay.discharged", "booklet.alert", "booklet.entry",
         "network.added", "network.contact_point", "network.break_glass",
         "emergency.outdated", "consultation.invited", "consultation.answered",
         "consultation.decided", "consultation.reminder"]
PARAMS = {"hospital": "Hôpital Bench", "name": "Sophie Bench", "who": "Dr Bench",
          "asker": "Dr Bench", "deadline": "2026-12-24T10:00:00+01:00"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notifications", type=int, default=1000)
    parser.add_argument("--opens", type=int, default=200)
    options = parser.parse_args()
    connection = setup_database()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    nurse, followed = _world()
    built = _fill(nurse, followed, options.notifications)
    elapsed = time.perf_counter() - started
    from relais.notifications.models import Notification

    print(f"database: {connection.vendor}")
    how = f"built in {elapsed:.0f} s" if built else "reused"
    print(f"notifications: {Notification.objects.count():,}, "
          f"the nurse's: {Notification.objects.filter(recipient=nurse).count():,} ({how})")
    client = _client(nurse)
    last = -(-options.notifications // 30)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'inbox':<34}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cpu ms':>9}")
    first = _time(client, {}, options.opens)
    print(_line("page 1", first))
    summary.figure("inbox page 1: p95", summary.percentile(first[0], 0.95), "ms")
    print(_line(f"page {last} (the last)", _time(client, {"page": last}, options.opens)))
    _exclude_half(nurse, followed)
    print(_line("page 1, half hidden by exclusions", _time(client, {}, options.opens)))
    _undo_exclusions(followed)
    summary.emit("notifications")
    return 0


def _world():
    from relais.access.models import Consent
    from relais.accounts.models import Membership, Organisation, OrganisationType, User
    from relais.network.models import MemberKind, NetworkMember, Person

    service, _ = Organisation.objects.get_or_create(
        kbo_number="0403170702", defaults={"name": "Bench home nursing",
                                           "type": OrganisationType.HOME_NURSING})
    nurse, created = User.objects.get_or_create(
        email="bench-notifications@bench.relais.example",
        defaults={"first_name": "Bench", "language": "fr"})
    if created:
        Membership.objects.create(user=nurse, organisation=service, function="home_nurse")
    followed = list(Person.objects.filter(last_name="Followed").order_by("pk"))
    for n in range(len(followed), FOLLOWED):
        person = Person.objects.create(first_name=f"P{n}", last_name="Followed",
                                       created_by=nurse, owner_organisation=service)
        NetworkMember.objects.create(person=person, kind=MemberKind.ORGANISATION,
                                     organisation=service)
        Consent.objects.create(person=person, scope="network", given_by="bench",
                               given_on=date(2026, 1, 1), recorded_by=nurse)
        followed.append(person)
    return nurse, followed


def _fill(nurse, followed, count) -> bool:
    from relais.notifications.models import Notification

    if Notification.objects.filter(recipient=nurse).count() >= count:
        return False
    targets = [_targets(nurse, person) for person in followed]
    _others(nurse)
    _bulk(nurse, followed, targets, count)
    return True


def _targets(nurse, person) -> dict:
    from django.utils import timezone

    from relais.accounts.models import Organisation
    from relais.booklet.models import Consultation, Entry
    from relais.stays.models import Stay

    hospital, _ = Organisation.objects.get_or_create(
        kbo_number="0403170703", defaults={"name": "Hôpital Bench", "type": "hospital"})
    stay = Stay.objects.filter(person=person).first() or Stay.objects.create(
        person=person, hospital=hospital)
    entry = Entry.objects.filter(person=person).first() or Entry.objects.create(
        person=person, kind="alert", audience="network", body="Bench", author=nurse)
    consultation = Consultation.objects.filter(person=person).first() or (
        Consultation.objects.create(person=person, question="Bench?", asked_by=nurse,
                                    deadline=timezone.now() + timedelta(days=30)))
    return {"stays.stay": stay.pk, "booklet.entry": entry.pk,
            "booklet.consultation": consultation.pk}


def _bulk(nurse, followed, targets, count) -> None:
    from relais.notifications import kinds
    from relais.notifications.models import Notification

    rows = []
    for n in range(count):
        kind = kinds.get(KINDS[n % len(KINDS)])
        which = n % len(followed)
        rows.append(Notification(recipient=nurse, kind=kind.key, person=followed[which],
                                 target_type=kind.target,
                                 target_id=targets[which].get(kind.target), params=PARAMS))
    Notification.objects.bulk_create(rows, batch_size=2_000)


def _others(nurse) -> None:
    """Other users, other persons, other notifications: the tables a real zone has."""
    from relais.accounts.models import User
    from relais.network.models import Person
    from relais.notifications.models import Notification

    missing = OTHER_PERSONS - Person.objects.filter(last_name="Other").count()
    owner = nurse.memberships.get().organisation_id
    Person.objects.bulk_create([Person(first_name=f"O{n}", last_name="Other", created_by=nurse,
                                       owner_organisation_id=owner)
                                for n in range(max(0, missing))], batch_size=5_000)
    persons = list(Person.objects.filter(last_name="Other").values_list("pk", flat=True))
    users = [User.objects.get_or_create(email=f"other{n}@bench.relais.example")[0]
             for n in range(100)]
    Notification.objects.bulk_create(
        [Notification(recipient=users[n % 100], kind="network.added",
                      person_id=persons[n % len(persons)]) for n in range(OTHER_NOTIFICATIONS)],
        batch_size=5_000)


def _exclude_half(nurse, followed) -> None:
    from relais.network.models import NetworkMember

    NetworkMember.objects.filter(person__in=followed[::2]).update(never_inform=True)


def _undo_exclusions(followed) -> None:
    from relais.network.models import NetworkMember

    NetworkMember.objects.filter(person__in=followed).update(never_inform=False)


def _client(user):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)
    return client


def _time(client, params, opens) -> tuple[list[float], float]:
    """Wall-clock ms per request, and this process's CPU ms per request (on a busy
    machine the first grows with the load; with SQLite the second is all the work)."""
    from django.urls import reverse

    url = reverse("notifications:inbox")
    client.get(url, params)  # warm
    timings = []
    cpu = time.process_time()
    for _ in range(opens):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return timings, (time.process_time() - cpu) * 1000 / opens


def _line(label: str, measured: tuple[list[float], float]) -> str:
    values, cpu = measured
    ordered = sorted(values)

    def at(share):
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    return (f"{label:<34}{len(values):>5}{at(0.5):>9.1f}{at(0.95):>9.1f}{max(values):>9.1f}"
            f"{cpu:>9.1f}")


if __name__ == "__main__":
    sys.exit(main())
