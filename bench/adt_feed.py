"""How many HL7 ADT messages per second the listener takes, each ACK sent after the message
is durably stored (committed to the inbox), and how far behind the applier is.

    .venv/bin/python bench/adt_feed.py [--messages 10000] [--connections 4] [--appliers 1]
                                       [--apply-after]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_adt \
        .venv/bin/python bench/adt_feed.py
    .venv/bin/python bench/adt_feed.py --profile 300   # queries and time per event, in-process

Uses a throw-away database (a temporary SQLite file, or the PostgreSQL database named in
DATABASE_URL, created if missing; the bench hospital's stays, messages, links and persons
are emptied first — audit events stay, they can never be deleted). Creates a hospital with
its ADT source and one fictional person with a national number per three messages, starts
the real `relais adt-listen` (with its `--appliers` applier processes) in its own process
on a free loopback port, and sends each person's stay as A01, A08, A03 from
`--connections` clients, each waiting for its ACK before sending the next. Prints the
machine's load average, messages/s acknowledged, the ACK latency (p50, p95, p99, max), the
largest inbox seen while sending, how long the applier took to drain it after the last
ACK and its own rate, and the CPU the listener and the appliers used per message (from
/proc: what the figures would be on an idle machine); checks that every answer was AA,
every message applied and every stay ended discharged. `--apply-after` starts the appliers
only once every message is acknowledged: the listener alone, then the appliers alone.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import summary
from throwaway import setup_database

FACILITY = "BENCH-HOSPITAL"
EVENTS = ("A01", "A08", "A03")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--processes", type=int, default=1, help="listener processes")
    parser.add_argument("--appliers", type=int, default=1, help="applier processes")
    parser.add_argument("--apply-after", action="store_true",
                        help="start the appliers only after the last ACK (the listener alone, "
                             "then the appliers alone)")
    parser.add_argument("--profile", type=int, default=0,
                        help="instead: handle this many messages in-process, count queries")
    options = parser.parse_args()
    connection = setup_database()
    hospital, user = _hospital_and_user()
    _empty(hospital)
    count = options.profile or options.messages
    people = _persons(hospital, user, -(-count // len(EVENTS)))
    messages = _messages(people)[:count]
    print(f"database: {connection.vendor}")
    if options.profile:
        return _profile(messages)
    connection.close()
    return _run(messages, options.connections, hospital, options.processes, options.appliers,
                options.apply_after)


# --- the data ---------------------------------------------------------------------------


def _hospital_and_user():
    from relais.accounts.demo import kbo
    from relais.accounts.models import Organisation, OrganisationType, User, Ward
    from relais.stays.models import AdtSource

    hospital, _ = Organisation.objects.get_or_create(
        kbo_number=kbo(99000002), defaults={"name": "Bench hospital",
                                            "type": OrganisationType.HOSPITAL})
    Ward.objects.get_or_create(organisation=hospital, name="Geriatrics",
                               defaults={"code": "GER", "has_liaison": True})
    AdtSource.objects.get_or_create(sending_facility=FACILITY, defaults={"hospital": hospital})
    user, _ = User.objects.get_or_create(email="bench-adt@bench.relais.example",
                                         defaults={"first_name": "Bench", "last_name": "ADT"})
    return hospital, user


def _empty(hospital) -> None:
    from relais.followup.models import FollowUp
    from relais.network.models import Person
    from relais.stays.models import AdtMessage, PatientLink, Stay

    # A discharge opens the follow-up after it, which keeps its stay.
    FollowUp.objects.filter(stay__hospital=hospital).delete()
    Stay.objects.filter(hospital=hospital).delete()
    AdtMessage.objects.filter(sender__endswith=f"^{FACILITY}").delete()
    PatientLink.objects.filter(hospital=hospital).delete()
    Person.objects.filter(owner_organisation=hospital).delete()


def _persons(hospital, user, count: int) -> list:
    """Persons with valid, distinct national numbers (bulk_create: no audit events)."""
    from relais.network.demo import niss_for
    from relais.network.models import Person

    persons = []
    for n in range(count):
        born, sex = date(1930, 1, 1) + timedelta(days=n // 400), "FM"[n % 2]
        person = Person(first_name="Bench", last_name=f"Patient {n}", birth_date=born, sex=sex,
                        niss=niss_for(born, sex, (n % 400) // 2), owner_organisation=hospital,
                        created_by=user)
        person.fill_name_keys()
        persons.append(person)
    Person.objects.bulk_create(persons, batch_size=2000)
    return persons


def _messages(people) -> list[tuple[int, bytes]]:
    """(person number, message) in the order each person's events must arrive."""
    return [(n, _adt(event, n, person.niss)) for n, person in enumerate(people)
            for event in EVENTS]


def _adt(event: str, n: int, niss: str) -> bytes:
    pv1 = ["PV1", "1", "I", "GER^101^1"] + [""] * 42
    pv1[19], pv1[44] = f"V{n:07d}", "20260310083000"
    if event == "A03":
        pv1[36], pv1[45] = "01", "20260318140000"
    pv2 = ["PV2"] + [""] * 8 + ["20260320" if event == "A08" else ""]
    return "\r".join([
        f"MSH|^~\\&|HIS|{FACILITY}|RELAIS|RELAIS|20260310083500||ADT^{event}^ADT_A01|"
        f"B{n:07d}{event}|P|2.5",
        f"EVN|{event}|20260310083500",
        f"PID|1||P{n:07d}^^^BENCH^PI~{niss}^^^BE^NN||Patient^Bench||19300101|F",
        "|".join(pv1), "|".join(pv2), ""]).encode()


# --- over the wire ----------------------------------------------------------------------


def _run(messages, connections: int, hospital, processes: int, appliers: int,
         apply_after: bool) -> int:
    port = _free_port()
    print(f"load average before: {_load()}")
    # As in production: DEBUG off (DEBUG keeps a log of every query).
    env = {**os.environ, "DEBUG": "false"}
    listener = subprocess.Popen([sys.executable, "-m", "relais.config.cli", "adt-listen",
                                 "--port", str(port), "--processes", str(processes),
                                 "--appliers", str(0 if apply_after else appliers)],
                                env=env, stdout=subprocess.PIPE, text=True)
    later: list[subprocess.Popen] = []
    try:
        listener.stdout.readline()  # "Listening…": every process is ready
        shares = [[m for m in messages if m[0] % connections == c] for c in range(connections)]
        results: list[list] = [[] for _ in range(connections)]
        clients = [threading.Thread(target=_send_all, args=(port, share, results[c]))
                   for c, share in enumerate(shares)]
        inbox = _InboxWatch()
        cpu = _Cpu(listener.pid)
        started = time.perf_counter()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.perf_counter() - started
        load_while_sending, listener_cpu = _load(), cpu.listeners()
        if apply_after:
            later = [subprocess.Popen([sys.executable, "-m", "relais.config.cli", "adt-apply"],
                                      env=env) for _ in range(appliers)]
            cpu = _Cpu(os.getpid())
        drained = inbox.wait_until_empty()
        applied_in = time.perf_counter() - started
        applier_cpu = cpu.appliers()
    finally:
        for process in [listener, *later]:
            process.terminate()
            process.wait(30)
    answers = [r for result in results for r in result]
    _report(answers, elapsed, connections, processes, load_while_sending)
    print(f"listener CPU: {listener_cpu * 1000 / len(answers):.2f} ms a message")
    when = "started after the last ACK" if apply_after else "running while sending"
    print(f"applied by {appliers} applier process(es) ({when}): the inbox held at most "
          f"{inbox.most} messages; drained {drained:.1f} s after the last ACK; "
          f"{len(answers)} applied {applied_in:.1f} s after the first was sent "
          f"({len(answers) / (drained if apply_after else applied_in):,.0f} messages/s); "
          f"applier CPU {applier_cpu * 1000 / len(answers):.1f} ms a message")
    failed = _check(answers, hospital, len(messages))
    summary.emit("adt_feed")
    return failed


class _Cpu:
    """CPU seconds (user + system) used since now by a process's listener and applier
    processes (itself and its children), read from /proc."""

    def __init__(self, pid: int):
        self.pid = pid
        self.before = self._read()

    def _read(self) -> dict[int, tuple[str, float]]:
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            pid = int(stat.parent.name)
            if pid == self.pid or int(fields[1]) == self.pid:
                seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                found[pid] = (command.decode(errors="replace"), seconds)
        return found

    def _used(self, word: str) -> float:
        now = self._read()
        return sum(seconds - self.before.get(pid, ("", 0.0))[1]
                   for pid, (command, seconds) in now.items() if word in command)

    def listeners(self) -> float:
        return self._used("adt-listen")

    def appliers(self) -> float:
        return self._used("adt-apply")


class _InboxWatch:
    """How many messages wait in the inbox, looked at every 0.2 s from its own thread."""

    def __init__(self):
        self.most, self.stopping = 0, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def waiting(self) -> int:
        from relais.stays.models import AdtMessage, AdtStatus

        return AdtMessage.objects.filter(status=AdtStatus.RECEIVED,
                                         sender__endswith=f"^{FACILITY}").count()

    def _watch(self) -> None:
        from django.db import connection

        while not self.stopping.wait(0.2):
            self.most = max(self.most, self.waiting())
        connection.close()

    def wait_until_empty(self, limit: float = 600) -> float:
        """Seconds until nothing waits (or `limit`)."""
        started = time.perf_counter()
        while self.waiting() and time.perf_counter() - started < limit:
            time.sleep(0.1)
        self.stopping.set()
        self.thread.join()
        return time.perf_counter() - started


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def _send_all(port: int, share, results: list) -> None:
    from relais.interop.mllp import Deframer, frame

    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        deframer = Deframer()
        for _, message in share:
            sent = time.perf_counter()
            sock.sendall(frame(message))
            answers = []
            while not answers:
                answers = deframer.feed(sock.recv(65536))
            results.append((time.perf_counter() - sent, answers[0].data))


def _report(answers, elapsed: float, connections: int, processes: int, load: str) -> None:
    latencies = sorted(seconds * 1000 for seconds, _ in answers)

    def percentile(share: float) -> float:
        return latencies[max(int(len(latencies) * share) - 1, 0)]

    print(f"stored and acknowledged: {len(answers)} messages over {connections} "
          f"connection(s) to {processes} listener process(es) in {elapsed:.1f} s "
          f"= {len(answers) / elapsed:,.0f} messages/s (load average after: {load})")
    summary.figure("messages stored and acknowledged", len(answers) / elapsed, "/s")
    summary.figure("ACK latency p95", percentile(0.95), "ms")
    print(f"ACK latency ms: p50 {statistics.median(latencies):.1f}, p95 {percentile(0.95):.1f}, "
          f"p99 {percentile(0.99):.1f}, max {latencies[-1]:.1f}")


def _check(answers, hospital, sent: int) -> int:
    from relais.interop.adt import ack_code
    from relais.stays.models import AdtMessage, AdtStatus, Stay

    codes = Counter(ack_code(ack.decode("ascii")) for _, ack in answers)
    applied = AdtMessage.objects.filter(sender__endswith=f"^{FACILITY}",
                                        status=AdtStatus.APPLIED).count()
    stays = Stay.objects.filter(hospital=hospital)
    summary.at_most("messages not accepted or not applied", sent - min(codes.get("AA", 0),
                                                                       applied), "", 0)
    print(f"answers: {dict(codes)}; stored and applied: {applied}; stays: {stays.count()}, "
          f"open {stays.filter(discharged_at__isnull=True).count()}")
    return 0 if codes == {"AA": sent} and applied == sent else 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- where the time goes ----------------------------------------------------------------


def _profile(messages) -> int:
    """In this process: each message received (adt.handle) then applied alone (the
    applier's apply_one); queries and milliseconds per event for each step, and the
    costliest kinds of query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from relais.interop import adt
    from relais.interop.adt import inbox
    from relais.stays.models import AdtMessage

    per_event, kinds = defaultdict(list), Counter()
    lookups = adt.Lookups(ttl=60)  # as the listener and the applier keep them
    for _, message in messages:
        event = message.split(b"ADT^")[1][:3].decode()
        connection.queries_log.clear()  # the log keeps 9,000 queries; past that, indexes slip
        with CaptureQueriesContext(connection) as received:
            started = time.perf_counter()
            adt.handle(message, lookups=lookups)
            receipt = time.perf_counter() - started
        pk = AdtMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
        with CaptureQueriesContext(connection) as applied:
            started = time.perf_counter()
            inbox.apply_one(pk, lookups=lookups)
            applying = time.perf_counter() - started
        per_event[event].append((len(received), receipt * 1000, len(applied), applying * 1000))
        kinds.update(_kind(q["sql"]) for q in applied.captured_queries)
    print(f"{'event':<7}{'n':>5}{'receipt: queries':>18}{'ms':>7}{'apply: queries':>16}"
          f"{'ms':>7}")
    for event, rows in per_event.items():
        means = [statistics.mean(row[n] for row in rows) for n in range(4)]
        print(f"{event:<7}{len(rows):>5}{means[0]:>18.1f}{means[1]:>7.2f}{means[2]:>16.1f}"
              f"{means[3]:>7.2f}")
    print("queries per message applied, by kind:")
    for kind, number in kinds.most_common(20):
        print(f"  {number / len(messages):5.2f}  {kind}")
    return 0


def _kind(sql: str) -> str:
    words = sql.split()
    if words[0] in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
        return " ".join(w for w in words if not w.startswith('"s'))
    if words[0] in {"SELECT", "DELETE"}:
        table = next((w for w in words if w.startswith('"') and "_" in w), "?")
        return f"{words[0]} {table.split('.')[0]}"
    if words[0] in {"INSERT", "UPDATE"}:
        return f"{words[0]} {words[2] if words[0] == 'INSERT' else words[1]}"
    return " ".join(words[:2])[:60]


if __name__ == "__main__":
    sys.exit(main())
