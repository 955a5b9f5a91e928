"""Nothing lost, nothing applied twice: a 10,000-message ADT stream while the listener is
killed and its database connections are cut.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_adt \\
        .venv/bin/python bench/adt_faults.py [--messages 10000] [--connections 4]
    .venv/bin/python bench/adt_faults.py --messages 2000     # SQLite: the kills only

Uses a throw-away database (bench/throwaway.py; this bench's hospital is emptied first).
Starts the real `relais adt-listen` (with `--appliers` applier processes) on a free
loopback port. Senders (one connection each, each patient's messages on one of them)
send every patient's stay as A01, A02, A02, A08, A03 and behave as interface engines
do: wait for the ACK; on a broken connection, a timeout or an AR, reconnect and send the
unacknowledged message again. Meanwhile: `kill -9` of the listener three times (it is
started again at once), `kill -9` of an applier once, and on PostgreSQL every database
connection of the listener and its appliers terminated once (pg_terminate_backend).

At the end (the inbox drained), prints the machine's load average and:
  lost           acknowledged (AA) but not applied in the end
  applied twice  control ids stored more than once, rows applied more than once, and
                 stays whose audit trail shows an event more often than it was sent
Both must be 0 (exit status 1 otherwise).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import summary
from throwaway import setup_database

FACILITY = "FAULT-HOSPITAL"
# Each patient's stay; every message changes something the audit log records once.
STAY = (("A01", {}), ("A02", {"ward": "CAR"}), ("A02", {"ward": "GER"}),
        ("A08", {"expected": "20260325"}), ("A03", {"discharged": "20260318140000"}))
EXPECTED_EVENTS = {"stay.open": 1, "stay.transfer": 2, "stay.change": 1, "stay.discharge": 1}
ACK_TIMEOUT = 10.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--appliers", type=int, default=2)
    options = parser.parse_args()
    connection = setup_database()
    hospital = bench_hospital()
    empty_hospital(hospital)
    patients = fictional_persons(hospital, -(-options.messages // len(STAY)))
    messages = stay_messages(patients)[:options.messages]
    print(f"database: {connection.vendor}; {len(messages)} messages for {len(patients)} "
          f"patients; load average {_load()}")
    connection.close()
    listener = Listener(options.appliers, on_postgres=connection.vendor == "postgresql")
    stream = Stream(messages, options.connections, listener.port)
    try:
        listener.start()
        stream.start()
        _faults(stream, listener, len(messages))
        stream.join()
        drained = wait_until_applied()
    finally:
        listener.stop()
    print(f"sent: {stream.sent} frames for {len(messages)} messages "
          f"({stream.sent - len(messages)} resent), answers {dict(stream.codes)}; "
          f"drained {drained:.1f} s after the last ACK; load average {_load()}")
    return verdict(stream, hospital)


# --- the data ---------------------------------------------------------------------------


def bench_hospital():
    from relais.accounts.demo import kbo
    from relais.accounts.models import Organisation, OrganisationType, Ward
    from relais.stays.models import AdtSource

    hospital, _ = Organisation.objects.get_or_create(
        kbo_number=kbo(99000003), defaults={"name": "Fault bench hospital",
                                            "type": OrganisationType.HOSPITAL})
    for name, code in (("Geriatrics", "GER"), ("Cardiology", "CAR")):
        Ward.objects.get_or_create(organisation=hospital, code=code,
                                   defaults={"name": name, "has_liaison": True})
    AdtSource.objects.get_or_create(sending_facility=FACILITY, defaults={"hospital": hospital})
    return hospital


def empty_hospital(hospital) -> None:
    from relais.followup.models import FollowUp
    from relais.network.models import Person
    from relais.stays.models import AdtMessage, PatientLink, Stay

    FollowUp.objects.filter(stay__hospital=hospital).delete()  # it keeps its stay
    Stay.objects.filter(hospital=hospital).delete()
    AdtMessage.objects.filter(sender__endswith=f"^{FACILITY}").delete()
    PatientLink.objects.filter(hospital=hospital).delete()
    Person.objects.filter(owner_organisation=hospital).delete()


def fictional_persons(hospital, count: int) -> list:
    """Fictional persons with valid, distinct national numbers (bulk: no audit events)."""
    from relais.accounts.models import User
    from relais.network.demo import niss_for
    from relais.network.models import Person

    user, _ = User.objects.get_or_create(email="bench-faults@bench.relais.example",
                                         defaults={"first_name": "Bench", "last_name": "Faults"})
    persons = []
    for n in range(count):
        born, sex = date(1925, 1, 1) + timedelta(days=n // 400), "FM"[n % 2]
        person = Person(first_name="Fault", last_name=f"Patient {n}", birth_date=born, sex=sex,
                        niss=niss_for(born, sex, (n % 400) // 2), owner_organisation=hospital,
                        created_by=user)
        person.fill_name_keys()
        persons.append(person)
    Person.objects.bulk_create(persons, batch_size=2000)
    return persons


def stay_messages(patients) -> list[tuple[int, str, bytes]]:
    """(patient number, control id, message), each patient's in the order they happen."""
    return [(n, f"F{n:06d}{k}", _adt(event, n, k, person.niss, **fields))
            for n, person in enumerate(patients)
            for k, (event, fields) in enumerate(STAY)]


def _adt(event: str, n: int, k: int, niss: str, ward="GER", expected="",
         discharged="") -> bytes:
    pv1 = ["PV1", "1", "I", f"{ward}^101^1"] + [""] * 42
    pv1[19], pv1[44], pv1[45] = f"FV{n:07d}", "20260310083000", discharged
    if discharged:
        pv1[36] = "01"
    pv2 = ["PV2"] + [""] * 8 + [expected]
    return "\r".join([
        f"MSH|^~\\&|HIS|{FACILITY}|RELAIS|RELAIS|20260310083500||ADT^{event}^ADT_A01|"
        f"F{n:06d}{k}|P|2.5",
        f"EVN|{event}|20260310083500",
        f"PID|1||FP{n:07d}^^^FAULT^PI~{niss}^^^BE^NN||Patient^Fault||19300101|F",
        "|".join(pv1), "|".join(pv2), ""]).encode()


# --- the listener, killed -----------------------------------------------------------------


class Listener:
    """The real `relais adt-listen`, on one port, started again after each kill."""

    def __init__(self, appliers: int, *, on_postgres: bool, log=None):
        self.appliers, self.on_postgres, self.log = appliers, on_postgres, log
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        env = {**os.environ, "DEBUG": "false", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "relais.config.cli", "adt-listen", "--port", str(self.port),
             "--appliers", str(self.appliers)], env=env, stdout=subprocess.PIPE, text=True,
            stderr=self.log)
        self.process.stdout.readline()  # "Listening…"
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def kill(self) -> None:
        """kill -9, and start it again (its appliers stop once they see it gone)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1
        self.start()

    def kill_an_applier(self) -> int | None:
        for pid in _children(self.process.pid):
            os.kill(pid, signal.SIGKILL)
            return pid
        return None

    def cut_database_connections(self) -> int:
        """Every other connection to the bench's database: the listener's and the
        appliers' (PostgreSQL only)."""
        from django.db import connection

        if not self.on_postgres:
            return 0
        others = ("FROM pg_stat_activity WHERE datname = current_database() "
                  "AND pid <> pg_backend_pid()")
        with connection.cursor() as cursor:
            for _ in range(150):  # appliers started again after a kill connect in a while
                cursor.execute(f"SELECT count(*) {others}")  # noqa: S608 - no input
                if cursor.fetchone()[0] >= 1 + self.appliers:
                    break
                time.sleep(0.1)
            cursor.execute(f"SELECT count(pg_terminate_backend(pid)) {others}")  # noqa: S608
            cut = cursor.fetchone()[0]
        connection.close()
        return cut

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _faults(stream: "Stream", listener: Listener, total: int) -> None:
    """The listener killed at 15, 40 and 65 % of the stream, an applier at 30 %, the
    database connections cut at 52 %."""
    plan = sorted([(0.15, "kill"), (0.30, "applier"), (0.40, "kill"), (0.52, "cut"),
                   (0.65, "kill")])
    for share, fault in plan:
        while stream.acked_count() < share * total and stream.running():
            time.sleep(0.05)
        if fault == "kill":
            listener.kill()
            print(f"  kill -9 of the listener at {stream.acked_count()} acknowledged")
        elif fault == "applier":
            pid = listener.kill_an_applier()
            print(f"  kill -9 of applier {pid} at {stream.acked_count()} acknowledged")
        else:
            cut = listener.cut_database_connections()
            print(f"  {cut} database connection(s) terminated at {stream.acked_count()} "
                  "acknowledged" + ("" if listener.on_postgres else " (SQLite: none)"))


# --- the senders ----------------------------------------------------------------------------


class Stream:
    """One sender per connection; each resends what was not acknowledged."""

    def __init__(self, messages, connections: int, port: int):
        self.port = port
        self.shares = [[m for m in messages if m[0] % connections == c]
                       for c in range(connections)]
        self.acked: set[str] = set()
        self.codes: Counter = Counter()
        self.sent = 0
        self.lock = threading.Lock()
        self.threads = []

    def start(self) -> None:
        self.threads = [threading.Thread(target=self._send, args=(share,), daemon=True)
                        for share in self.shares]
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)

    def _send(self, share) -> None:
        sock = None
        for _, control_id, message in share:
            while True:
                sock = sock or _connect(self.port)
                answer = _exchange(sock, message)
                with self.lock:
                    self.sent += 1
                    if answer is not None:
                        self.codes[_code(answer)] += 1
                if answer is None:  # broken or silent: reconnect, send it again
                    sock.close()
                    sock = None
                    continue
                if _code(answer) == "AR":  # "try again later"
                    time.sleep(0.2)
                    continue
                if _code(answer) == "AA":
                    with self.lock:
                        self.acked.add(control_id)
                break
        if sock:
            sock.close()


def _connect(port: int) -> socket.socket:
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=ACK_TIMEOUT)
        except OSError:
            time.sleep(0.1)  # the listener is starting again
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def _exchange(sock: socket.socket, message: bytes) -> bytes | None:
    from relais.interop.mllp import Deframer, frame

    deframer = Deframer()
    try:
        sock.sendall(frame(message))
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            if answers := deframer.feed(chunk):
                return answers[0].data
    except OSError:
        return None


def _code(ack: bytes) -> str:
    from relais.interop.adt import ack_code

    return ack_code(ack.decode("ascii", "replace"))


# --- the verdict ----------------------------------------------------------------------------


def wait_until_applied(limit: float = 1800) -> float:
    from django.db import connection

    from relais.stays.models import AdtMessage, AdtStatus

    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        try:
            if not AdtMessage.objects.filter(sender__endswith=f"^{FACILITY}",
                                             status=AdtStatus.RECEIVED).exists():
                break
        except Exception:  # noqa: BLE001 - our own connection was cut too: reconnect
            connection.close()
        time.sleep(0.5)
    return time.perf_counter() - started


def verdict(stream: "Stream", hospital, script: str = "adt_faults") -> int:
    from django.db.models import Count

    from relais.audit.models import AuditEvent
    from relais.stays.models import AdtMessage, AdtStatus, Stay

    rows = AdtMessage.objects.filter(sender__endswith=f"^{FACILITY}")
    applied = set(rows.filter(status=AdtStatus.APPLIED).values_list("control_id", flat=True))
    lost = stream.acked - applied
    stored_twice = rows.values("control_id").annotate(n=Count("id")).filter(n__gt=1).count()
    retried = rows.filter(attempts__gt=1).count()
    stays = {str(pk) for pk in Stay.objects.filter(hospital=hospital).values_list("pk",
                                                                                  flat=True)}
    events = Counter(AuditEvent.objects.filter(target_type="stays.stay", target_id__in=stays,
                                               action__in=EXPECTED_EVENTS)
                     .values_list("target_id", "action"))
    doubled = {stay for (stay, action), n in events.items() if n > EXPECTED_EVENTS[action]}
    statuses = Counter(rows.values_list("status", flat=True))
    print(f"stored: {dict(statuses)}; rows applied more than once (attempts > 1): {retried}")
    print(f"lost (acknowledged, not applied): {len(lost)}")
    print(f"applied twice: {stored_twice + len(doubled)} (control ids stored twice: "
          f"{stored_twice}; stays with an event more often than sent: {len(doubled)})")
    if lost:
        print("  e.g.", sorted(lost)[:10])
    summary.at_most("acknowledged and lost", len(lost), "", 0)
    summary.at_most("applied twice", stored_twice + len(doubled), "", 0)
    summary.emit(script)
    return 0 if not lost and not stored_twice and not doubled else 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


if __name__ == "__main__":
    sys.exit(main())
