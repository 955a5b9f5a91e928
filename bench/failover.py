"""High availability with Patroni (issue 18): what a hospital's ADT feed sees when the
primary is switched over for maintenance, and when the primary's machine dies.

    .venv/bin/python bench/failover.py [--messages 25000] [--connections 2]
        [--patroni-bin /opt/patroni/bin]

Needs Patroni and etcd (Debian: `apt-get install patroni etcd-server`) and PostgreSQL
15's server binaries; run as root, it runs the database nodes as the postgres user.
The vanishing (step 3) needs Patroni 3.0.3 or newer: older ones can overwrite the new
primary's leader key (patroni/patroni#2689; docs/deploy.md). Debian 12 ships 3.0.2, so
the script refuses it for that step and says how to run a newer one (`--patroni-bin`, or
`PATRONI_BIN`: the folder of a `pip install 'patroni[etcd3,psycopg3]'` venv made with
`/usr/bin/python3`, so that the postgres user can run it).

In a temporary folder, on loopback: one etcd and two Patroni nodes made from
deploy/patroni/patroni.yml (only names, addresses, ports, folders, memory and pg_hba
replaced: the same timings, synchronous mode). Once there is a leader and a
synchronous standby, Relais runs on a DATABASE_URL that names both nodes
(`target_session_attrs=read-write`, docs/deploy.md): migrate, the hospital and patients
of bench/adt_faults.py, the real `relais adt-listen`, and its senders, which behave as
interface engines do (wait for the ACK; on a broken connection, a timeout or an error,
send the message again). While the stream runs:

1. at 15 % of the messages, a switchover (`patronictl switchover`: planned maintenance);
2. once the old primary is a synchronous standby again, and 5 s more, kill -9 of every
   process of the new primary's node (Patroni and PostgreSQL: the machine died), then its
   Patroni started again, to rejoin as a standby;
3. once it is a synchronous standby again, and 5 s more, the primary's machine vanishes
   without closing anything (a power cut, a cable pulled): every packet to and from its
   PostgreSQL and Patroni ports dropped (iptables) and every process of the node frozen
   (SIGSTOP), so that Relais's open connections to it get neither an answer nor a reset;
   30 s after the new primary took over, the machine comes back (rules removed,
   SIGCONT): its PostgreSQL still believes it is the primary until its Patroni demotes
   it. Only as root with iptables (`--no-vanish` leaves it out). Relais's URL carries
   docs/deploy.md's keepalives and `tcp_user_timeout`: what this measures is the guide.

For each, the longest time without an acknowledged message (AA) after it, and for the
kill and the vanishing the time until the old primary streams again as a standby. At the end, as in
bench/adt_faults.py: lost (acknowledged, not applied) and applied twice, both must be 0.

    .venv/bin/python bench/failover.py --via pgbouncer

The same steps with Relais behind PgBouncer (`DATABASE_PGBOUNCER=1`, transaction pooling,
made from deploy/pgbouncer/pgbouncer.ini) in front of HAProxy (made from
deploy/haproxy/haproxy.cfg: `GET /primary` on each node's Patroni port, connections to a
node marked down closed), as docs/deploy.md has it for those who use PgBouncer.

    .venv/bin/python bench/failover.py --steps etcd --etcd-members 3 [--failsafe off]

etcd's own failures (Patroni keeps its leader key there), once 10 % of the messages are
acknowledged: with three members, the etcd leader killed (kill -9) for 40 s (longer than
Patroni's ttl) and started again: nothing should happen to the primary or the feed; then
etcd without a quorum (two of three members killed, or the only one) for 60 s, and
started again. Patroni 3.0.2 demotes a primary that cannot reach etcd, unless
`failsafe_mode` (patroni.yml: on) lets it go on while it reaches every other node's
Patroni; `--failsafe on|off` overrides the file. Measured: when (whether) the primary
stopped taking writes, the longest time without an AA, and once etcd is back, the time
until there is a primary again and it has its synchronous standby. `--steps
switchover,kill,vanish,etcd --via pgbouncer --etcd-members 3` runs them all, in this order.
"""

import argparse
import copy
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import summary
import yaml
from adt_faults import (
    STAY,
    Listener,
    Stream,
    bench_hospital,
    empty_hospital,
    fictional_persons,
    stay_messages,
    verdict,
    wait_until_applied,
)
from pages import free_port
from pgbouncer_ini import local_ini

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "patroni" / "patroni.yml"
HAPROXY = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
STEPS = ("switchover", "kill", "vanish", "etcd")
ETCD_ONE_DOWN = 40.0  # s: longer than Patroni's ttl (30 s), a missed renewal would show
ETCD_OUTAGE = 60.0  # s without a quorum
PASSWORD = "bench"  # noqa: S105 - a throw-away cluster on loopback
NODES = ("node1", "node2")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=25000)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--appliers", type=int, default=2)
    parser.add_argument("--no-vanish", action="store_true",
                        help="leave out the vanishing machine (needs root and iptables)")
    parser.add_argument("--via", choices=("libpq", "pgbouncer"), default="libpq",
                        help="Relais on a URL naming both nodes (libpq), or through "
                             "PgBouncer in front of HAProxy")
    parser.add_argument("--steps", default="switchover,kill,vanish",
                        help=f"comma-separated, in this order: {', '.join(STEPS)}")
    parser.add_argument("--etcd-members", type=int, choices=(1, 3), default=1)
    parser.add_argument("--failsafe", choices=("on", "off"),
                        help="Patroni's failsafe_mode (default: deploy/patroni/patroni.yml's)")
    parser.add_argument("--patroni-bin", default=os.environ.get("PATRONI_BIN", ""),
                        help="the folder of the patroni and patronictl to run (default: "
                             "$PATRONI_BIN, else those on PATH); readable by postgres")
    parser.add_argument("--old-patroni", action="store_true",
                        help=f"run the vanishing with a Patroni before "
                             f"{'.'.join(map(str, FIXED_PATRONI))} all the same")
    options = parser.parse_args()
    if options.patroni_bin:
        os.environ["PATH"] = f"{options.patroni_bin}{os.pathsep}{os.environ['PATH']}"
    options.steps = [step for step in STEPS if step in options.steps.split(",")]
    options.vanish = "vanish" in options.steps and not options.no_vanish and \
        os.geteuid() == 0 and bool(shutil.which("iptables"))
    if "vanish" in options.steps and not options.vanish:
        print("the vanishing machine is left out (needs root and iptables)")
    tools = ["patroni", "patronictl", "etcd"]
    if options.via == "pgbouncer":
        tools += ["pgbouncer", "haproxy"]
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing or not _bin_dir():
        print(f"missing: {', '.join(missing) or 'PostgreSQL server binaries'} "
              "(apt-get install patroni etcd-server postgresql pgbouncer haproxy)",
              file=sys.stderr)
        return 1
    if options.vanish and not options.old_patroni and _has_leader_key_bug():
        print(f"Patroni {_patroni_version()} can overwrite the new primary's leader key "
              "when the old one comes back from a freeze (patroni/patroni#2689, fixed in "
              "3.0.3): the vanishing would lose acknowledged messages because of it "
              "(docs/deploy.md). Install Patroni >= 3.0.3 (docs/bench.md, \"A failover\") "
              "and name its folder with --patroni-bin, leave the step out (--no-vanish), "
              "or run it all the same (--old-patroni).", file=sys.stderr)
        return 1
    failsafe = {"on": True, "off": False}.get(options.failsafe)  # None: the file's
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="relais-failover-")),
                      options.etcd_members, failsafe=failsafe)
    proxy = Proxies(cluster) if options.via == "pgbouncer" else None
    try:
        cluster.start()
        return _run(options, cluster, proxy)
    finally:
        if proxy:
            proxy.stop()
        cluster.stop()


def _run(options, cluster: "Cluster", proxy: "Proxies | None") -> int:
    global PREFIX
    os.environ["DATABASE_URL"] = cluster.database_url()
    cluster.create_database("relais")
    from throwaway import setup_database

    connection = setup_database()  # migrates, through the URL naming both nodes
    hospital = bench_hospital()
    empty_hospital(hospital)
    patients = fictional_persons(hospital, -(-options.messages // len(STAY)))
    messages = stay_messages(patients)[:options.messages]
    connection.close()
    if proxy:  # only the listener (a process of its own) goes through PgBouncer
        proxy.start()
        os.environ.update(DATABASE_URL=proxy.database_url(), DATABASE_PGBOUNCER="1")
        PREFIX = "via PgBouncer and HAProxy: "
    print(f"{len(messages)} messages for {len(patients)} patients over "
          f"{options.connections} connections; leader {cluster.leader()}, synchronous "
          f"standby {cluster.sync_standby()}; {len(cluster.etcd)} etcd member(s); "
          f"failsafe_mode {cluster.failsafe}; Patroni {_patroni_version()}; Relais "
          f"{'through PgBouncer and HAProxy' if proxy else 'on a URL naming both nodes'}; "
          f"load average {_load()}")
    log = cluster.log("relais-adt-listen")
    print(f"logs: {log.name.replace('relais-adt-listen', '*')}")
    listener = Listener(options.appliers, on_postgres=True, log=log)
    stream = Stream(messages, options.connections, listener.port)
    acks = AckClock(stream)
    started = time.monotonic()
    failed = None
    try:
        listener.start()
        stream.start()
        acks.start()
        try:
            _steps(options, cluster, stream, acks, len(messages))
        except SystemExit as error:  # a wait ran out: what was acknowledged is still counted
            failed = str(error)
            print(f"STEP FAILED: {failed}", flush=True)
        stream.join()
        acks.stop()
        wait_until_applied()
    finally:
        listener.stop()
    print(f"sent: {stream.sent} frames for {len(messages)} messages "
          f"({stream.sent - len(messages)} resent) in {time.monotonic() - started:.0f} s, "
          f"answers {dict(stream.codes)}; load average {_load()}")
    return verdict(stream, hospital, script="failover") or (1 if failed else 0)


# Before 3.0.3 Patroni's etcd3 code put the leader key unconditionally when its lease had
# changed (patroni/patroni#2689): a primary back from a freeze longer than the key's ttl
# overwrote the new primary's key, which was demoted and rewound (docs/deploy.md).
FIXED_PATRONI = (3, 0, 3)


def _patroni_version() -> str:
    """The version of the Patroni the nodes run (the one found on PATH)."""
    output = subprocess.run([shutil.which("patroni") or "patroni", "--version"],  # noqa: S603
                            capture_output=True, text=True).stdout.split()
    return output[-1] if output else "unknown"


def _has_leader_key_bug() -> bool:
    version = _patroni_version()
    numbers = tuple(int(part) for part in version.split(".")[:3] if part.isdigit())
    return bool(numbers) and numbers < FIXED_PATRONI


def _steps(options, cluster: "Cluster", stream, acks, total: int) -> None:
    if "switchover" in options.steps:
        _switchover(cluster, stream, acks, 0.15 * total)
        time.sleep(5)  # the cluster as it runs every day: in sync, for a while
    if "kill" in options.steps:
        _enough(stream, "the crash")
        dead = _crash(cluster, stream, acks)
        cluster.wait_for(lambda: cluster.sync_standby() == dead, f"{dead} synchronous")
        time.sleep(5)
    if options.vanish:
        _enough(stream, "the machine vanished")
        _vanish(cluster, acks)
    if "etcd" in options.steps:
        _wait_for(stream, 0.10 * total)
        _enough(stream, "etcd's failures")
        _etcd(cluster, stream, acks)


def _enough(stream, what: str) -> None:
    if not stream.running():
        raise SystemExit(f"the messages were all sent before {what}: --messages more")


def _switchover(cluster, stream, acks, at: float) -> None:
    _wait_for(stream, at)
    leader = cluster.leader()
    started = time.monotonic()
    cluster.switchover(leader)
    gap = acks.longest_gap_after(started)
    cluster.wait_for(lambda: cluster.sync_standby() == leader, f"{leader} synchronous")
    print(f"switchover {leader} → {cluster.leader()} at {acks.count_at(started)} "
          f"acknowledged: longest time without an AA {gap:.1f} s; {leader} a synchronous "
          f"standby again {time.monotonic() - started:.1f} s after")
    _figure("switchover: longest time without an AA", gap)


def _crash(cluster, stream, acks) -> None:
    dead = cluster.leader()
    started = time.monotonic()
    cluster.kill(dead)
    new = cluster.wait_for_leader(other_than=dead)
    promoted = time.monotonic() - started
    cluster.start_node(dead)
    cluster.wait_for_streaming_standby(dead)
    rejoined = time.monotonic() - started
    gap = acks.longest_gap_after(started)
    print(f"kill -9 of {dead} (the primary) at {acks.count_at(started)} acknowledged: "
          f"{new} promoted after {promoted:.1f} s; longest time without an AA {gap:.1f} s; "
          f"{dead} streams again as a standby {rejoined:.1f} s after the kill")
    _figure("primary killed: longest time without an AA", gap)
    _figure("primary killed: a standby promoted after", promoted)
    return dead


def _vanish(cluster, acks) -> None:
    gone = cluster.leader()
    started = time.monotonic()
    cluster.cut_off(gone)
    try:
        new = cluster.wait_for_leader(other_than=gone)
        promoted = time.monotonic() - started
        gap = acks.longest_gap_after(started)
        time.sleep(max(0.0, started + promoted + 30 - time.monotonic()))
    finally:
        cluster.bring_back(gone)
    back = time.monotonic() - started
    cluster.wait_for_streaming_standby(gone)
    rejoined = time.monotonic() - started
    print(f"{gone} (the primary) vanished at {acks.count_at(started)} acknowledged: {new} "
          f"promoted after {promoted:.1f} s; longest time without an AA {gap:.1f} s; {gone} "
          f"back after {back:.1f} s streams again as a standby {rejoined - back:.1f} s later")
    _figure("primary vanished: longest time without an AA", gap)
    _figure("primary vanished: a standby promoted after", promoted)


def _etcd(cluster, stream, acks) -> None:
    """etcd's failures: one member of three gone, then the quorum gone, and back."""
    leader = cluster.leader()
    if len(cluster.etcd) == 3:
        one = cluster.etcd_leader()
        started = time.monotonic()
        cluster.kill_etcd(one)
        watch = cluster.watch_primary(leader, ETCD_ONE_DOWN)
        cluster.start_etcd(one)
        gap = acks.longest_gap_after(started)
        print(f"etcd's leader {one} (of 3) killed for {ETCD_ONE_DOWN:.0f} s at "
              f"{acks.count_at(started)} acknowledged: {leader} "
              f"{_primary_story(watch)}; longest time without an AA {gap:.1f} s")
        _figure("etcd 1 of 3 killed: longest time without an AA", gap)
        summary.figure(PREFIX + "etcd 1 of 3 killed: the primary stopped taking writes",
                       "no" if watch["lost"] is None else "yes")
        cluster.wait_for(cluster.sync_standby, "a synchronous standby")
        time.sleep(5)
        _enough(stream, "etcd lost its quorum")
        leader = cluster.leader()
    etcd_leader = cluster.etcd_leader()  # among the two killed, when there are three
    victims = sorted(cluster.etcd, key=lambda name: name != etcd_leader)[:2]
    started = time.monotonic()
    for name in victims:
        cluster.kill_etcd(name)
    watch = cluster.watch_primary(leader, ETCD_OUTAGE)
    back = time.monotonic()
    if not stream.running():
        print(f"  (the messages ran out {ETCD_OUTAGE:.0f} s into etcd's outage or before: "
              "--messages more for the whole of it)")
    for name in victims:
        cluster.start_etcd(name)
    primary = cluster.wait_for_leader()
    primary_after = time.monotonic() - back
    cluster.wait_for(cluster.sync_standby, "a synchronous standby")
    sync_after = time.monotonic() - back
    gap = acks.longest_gap_after(started)
    length, end = max(_gaps(acks.ack_times(started), started))
    first = next((t for t in acks.ack_times(back)), None)
    which = f"{len(victims)} of {len(cluster.etcd)}"
    print(f"etcd without a quorum ({which} members killed) for {ETCD_OUTAGE:.0f} s at "
          f"{acks.count_at(started)} acknowledged: {leader} {_primary_story(watch)}; "
          f"longest time without an AA {gap:.1f} s, from {end - length - started:.1f} s "
          f"after the kill; etcd back: {primary} the primary after {primary_after:.1f} s, "
          f"with a synchronous standby after {sync_after:.1f} s"
          + (f", first AA after {first - back:.1f} s" if first and watch["lost"] else ""))
    name = f"etcd {which} killed"
    _figure(f"{name}: longest time without an AA", gap)
    if watch["lost"] is not None:
        _figure(f"{name}: the feed stopped after", end - length - started)
        _figure(f"{name}: the primary stopped taking writes after", watch["lost"])
        if first:
            _figure(f"{name}: etcd back, first AA after", first - back)
    else:
        summary.figure(PREFIX + f"{name}: the primary stopped taking writes", "no")
    _figure(f"{name}: etcd back, a primary after", primary_after)


def _primary_story(watch: dict) -> str:
    if watch["lost"] is None:
        return "stayed the primary throughout"
    story = f"stopped being the primary after {watch['lost']:.1f} s"
    if watch["regained"] is not None:
        story += f" and was again {watch['regained']:.1f} s after"
    return story


PREFIX = ""  # figures through PgBouncer and HAProxy are named apart


def _figure(name: str, seconds: float) -> None:
    summary.figure(PREFIX + name, round(seconds, 1), "s")


def _wait_for(stream, acknowledged: float) -> None:
    while stream.acked_count() < acknowledged and stream.running():
        time.sleep(0.05)


class AckClock:
    """Samples the number of acknowledged messages every 20 ms: the gaps in it are the
    time the hospital's messages waited."""

    def __init__(self, stream):
        self.stream, self.samples, self.running = stream, [], True
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.running = False
        self.thread.join()

    def _sample(self) -> None:
        while self.running:
            self.samples.append((time.monotonic(), self.stream.acked_count()))
            time.sleep(0.02)

    def count_at(self, moment: float) -> int:
        return max((n for t, n in list(self.samples) if t <= moment), default=0)

    def longest_gap_after(self, moment: float) -> float:
        """Waits until acknowledgements have flowed for 5 s since the last gap, then
        the longest time between two acknowledgements from `moment` on."""
        while True:
            times = self.ack_times(moment)
            if len(times) > 1 and time.monotonic() - times[-1] < 1 and \
                    time.monotonic() - max(_gaps(times, moment))[1] > 5:
                return max(_gaps(times, moment))[0]
            if not self.stream.running():
                return max(_gaps(times, moment))[0] if times else 0.0
            time.sleep(0.2)

    def ack_times(self, moment: float) -> list[float]:
        times, last = [], None
        for t, n in list(self.samples):
            if t >= moment and last is not None and n > last:
                times.append(t)
            last = n
        return times


def _gaps(times: list[float], moment: float) -> list[tuple[float, float]]:
    """(length, end) of each wait between acknowledgements, from `moment` on."""
    points = [moment, *times]
    return [(b - a, b) for a, b in zip(points, points[1:], strict=False)] or [(0.0, moment)]


# --- the cluster ---------------------------------------------------------------------------


class Cluster:
    """etcd (one member or three) and two Patroni nodes on loopback, the nodes run as the
    postgres user."""

    def __init__(self, folder: Path, etcd_members: int = 1, failsafe: bool | None = None):
        self.folder = folder
        self.etcd = [f"etcd{n}" for n in range(1, etcd_members + 1)]
        self.etcd_ports = {name: (free_port(), free_port()) for name in self.etcd}  # client, peer
        peers = ",".join(f"{name}=http://127.0.0.1:{peer}"
                         for name, (_, peer) in self.etcd_ports.items())
        self.etcd_args = {
            name: ["etcd", "--name", name, "--data-dir", str(folder / name),
                   "--listen-client-urls", f"http://127.0.0.1:{client}",
                   "--advertise-client-urls", f"http://127.0.0.1:{client}",
                   "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                   "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                   "--initial-cluster", peers, "--initial-cluster-token", folder.name]
            for name, (client, peer) in self.etcd_ports.items()}
        self.ports = {name: (free_port(), free_port()) for name in NODES}  # (pg, rest)
        self.processes: dict[str, subprocess.Popen] = {}
        self.cut: str | None = None  # the node cut off, if one is
        dcs = yaml.safe_load(TEMPLATE.read_text())["bootstrap"]["dcs"]
        self.failsafe = bool(dcs.get("failsafe_mode")) if failsafe is None else failsafe

    def start(self) -> None:
        user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if user:
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        for name in self.etcd:
            self.start_etcd(name)
        for name in NODES:
            self._configure(name)
            self.start_node(name)
            if name == NODES[0]:
                self.wait_for_leader()
        for name in NODES[1:]:
            self.wait_for_streaming_standby(name)
        self.wait_for(lambda: self.sync_standby(), "a synchronous standby")

    def start_etcd(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(  # noqa: S603 - our own arguments
            self.etcd_args[name], stdout=self.log(name), stderr=subprocess.STDOUT)

    def kill_etcd(self, name: str) -> None:
        self.processes[name].kill()
        self.processes[name].wait()

    def etcd_leader(self) -> str | None:
        """The member etcd's members say leads (etcd's JSON gateway)."""
        ids = {}
        for name, (client, _) in self.etcd_ports.items():
            request = urllib.request.Request(
                f"http://127.0.0.1:{client}/v3/maintenance/status", data=b"{}", method="POST")
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310
                    status = json.loads(answer.read())
            except OSError:
                continue
            ids[status["header"]["member_id"]] = name
            leader = status.get("leader")
        return ids.get(leader) if ids else None

    def watch_primary(self, leader: str, seconds: float) -> dict:
        """For `seconds`: when `leader` stopped answering as the primary (Patroni's
        `GET /primary`), and when it did again, counted from now."""
        started, lost, regained = time.monotonic(), None, None
        while time.monotonic() - started < seconds:
            primary = self._status(leader, "/primary")[0] == 200
            if not primary and lost is None:
                lost = time.monotonic() - started
            if primary and lost is not None and regained is None:
                regained = time.monotonic() - started
            time.sleep(0.1)
        return {"lost": lost, "regained": regained}

    def _configure(self, name: str) -> None:
        pg_port, rest_port = self.ports[name]
        config = copy.deepcopy(yaml.safe_load(TEMPLATE.read_text()))
        config["name"] = name
        config["restapi"] = {"listen": f"127.0.0.1:{rest_port}",
                             "connect_address": f"127.0.0.1:{rest_port}"}
        config["etcd3"] = {"hosts": ",".join(f"127.0.0.1:{client}"
                                             for client, _ in self.etcd_ports.values())}
        config["bootstrap"]["dcs"]["failsafe_mode"] = self.failsafe
        # A sandbox has no /dev/watchdog: with the file's `required` no node would lead.
        config["watchdog"] = {"mode": "off"}
        config["bootstrap"]["pg_hba"] = ["local all all trust",
                                         "host replication all 127.0.0.1/32 trust",
                                         "host all all 127.0.0.1/32 trust"]
        postgresql = config["postgresql"]
        postgresql.update({
            "listen": f"127.0.0.1:{pg_port}", "connect_address": f"127.0.0.1:{pg_port}",
            "data_dir": str(self.folder / name), "bin_dir": str(_bin_dir()),
            "pgpass": str(self.folder / f"{name}.pgpass")})
        for role in postgresql["authentication"].values():
            role["password"] = PASSWORD
        # This machine runs two nodes (and the other benches' server): little memory.
        postgresql["parameters"].update({"shared_buffers": "128MB",
                                         "effective_cache_size": "1GB",
                                         "unix_socket_directories": str(self.folder)})
        path = self.folder / f"{name}.yml"
        path.write_text(yaml.safe_dump(config))
        self._own(path)

    def start_node(self, name: str) -> None:
        # The Patroni found on PATH, named whole: runuser resets PATH to the system's, which
        # ran Debian's 3.0.2 when PATH named a newer one first.
        command = [shutil.which("patroni") or "patroni", str(self.folder / f"{name}.yml")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        self.processes[name] = subprocess.Popen(  # noqa: S603 - our own arguments
            command, stdout=self.log(name), stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)

    def kill(self, name: str) -> None:
        """kill -9 of the node's Patroni, PostgreSQL and every backend, all at once
        (Patroni's launcher leaves the postmaster to init: found by its pid file)."""
        self._signal(name, signal.SIGKILL)
        self.processes[name].wait()

    def _node_pids(self, name: str) -> list[int]:
        root = self.processes[name].pid
        postmaster = self._postmaster(name)
        pids = [root, *_descendants(root)]
        if postmaster:
            pids += [postmaster, *_descendants(postmaster)]
        return list(dict.fromkeys(pids))

    def _rules(self, name: str) -> list[list[str]]:
        """iptables rules dropping every packet to and from the node's two ports."""
        return [["INPUT", "-p", "tcp", direction, str(port), "-j", "DROP"]
                for port in self.ports[name] for direction in ("--dport", "--sport")]

    def cut_off(self, name: str) -> None:
        """The machine vanishes: no packet in or out, and nothing of it runs."""
        for rule in self._rules(name):
            subprocess.run(["iptables", "-I", *rule], check=True)  # noqa: S603, S607
        self._signal(name, signal.SIGSTOP)
        self.cut = name

    def bring_back(self, name: str) -> None:
        self._signal(name, signal.SIGCONT)
        for rule in self._rules(name):
            subprocess.run(["iptables", "-D", *rule], check=False)  # noqa: S603, S607
        self.cut = None

    def _signal(self, name: str, signum) -> None:
        for pid in self._node_pids(name):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                continue

    def _postmaster(self, name: str) -> int | None:
        try:
            return int((self.folder / name / "postmaster.pid").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return None

    def switchover(self, leader: str) -> None:
        candidate = next(name for name in NODES if name != leader)
        subprocess.run(  # noqa: S603 - our own arguments
            ["patronictl", "-c", str(self.folder / f"{leader}.yml"), "switchover",
             "--leader", leader, "--candidate", candidate, "--force"],
            check=True, capture_output=True)
        self.wait_for_leader(other_than=leader)

    def database_url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{self.ports[name][0]}" for name in NODES)
        # docs/deploy.md's options: a machine that vanished is given up within seconds.
        return (f"postgres://postgres:{PASSWORD}@{hosts}/relais"
                "?target_session_attrs=read-write&connect_timeout=3&keepalives_idle=10"
                "&keepalives_interval=3&keepalives_count=3&tcp_user_timeout=15000")

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.ports[self.leader()][0],
                             user="postgres", dbname="postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

    # --- what Patroni says ----------------------------------------------------------------

    def _status(self, name: str, path: str = "/patroni") -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(  # noqa: S310 - loopback
                    f"http://127.0.0.1:{self.ports[name][1]}{path}", timeout=2) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, {}
        except OSError:
            return 0, {}

    def leader(self) -> str | None:
        return next((name for name in NODES if self._status(name, "/primary")[0] == 200),
                    None)

    def sync_standby(self) -> str | None:
        return next((name for name in NODES if self._status(name, "/sync")[0] == 200), None)

    def wait_for_leader(self, other_than: str | None = None) -> str:
        return self.wait_for(lambda: (leader := self.leader()) and leader != other_than
                             and leader, "a leader")

    def wait_for_streaming_standby(self, name: str) -> None:
        """The leader lists `name` among the standbys it streams to."""
        def streaming():
            leader = self.leader()
            replication = self._status(leader)[1].get("replication", []) if leader else []
            return any(standby.get("application_name") == name
                       and standby.get("state") == "streaming" for standby in replication)
        self.wait_for(streaming, f"{name} streaming")

    def wait_for(self, check, what: str, limit: float = 180):
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if answer := check():
                return answer
            time.sleep(0.1)
        raise SystemExit(f"no {what} after {limit:.0f} s: see the logs in {self.folder}")

    def stop(self) -> None:
        if self.cut:
            self.bring_back(self.cut)
        for name in (*NODES, *self.etcd):
            process = self.processes.get(name)
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    (self.kill if name in NODES else self.kill_etcd)(name)
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self, name: str):
        return (self.folder.parent / f"{self.folder.name}-{name}.log").open("ab")

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(path, user.pw_uid, user.pw_gid)


class Proxies:
    """HAProxy (deploy/haproxy/haproxy.cfg) in front of the two nodes, and PgBouncer
    (deploy/pgbouncer/pgbouncer.ini) in front of HAProxy: only addresses, ports, folders
    and the password file replaced."""

    def __init__(self, cluster: Cluster):
        self.cluster, self.folder = cluster, cluster.folder
        self.haproxy_port, self.pgbouncer_port = free_port(), free_port()
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        self.processes["haproxy"] = subprocess.Popen(  # noqa: S603 - our own arguments
            ["haproxy", "-db", "-f", str(self._haproxy_cfg())],  # noqa: S607
            stdout=self.cluster.log("haproxy"), stderr=subprocess.STDOUT)
        command = ["pgbouncer", str(self._pgbouncer_ini())]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        self.processes["pgbouncer"] = subprocess.Popen(  # noqa: S603 - our own arguments
            command, stdout=self.cluster.log("pgbouncer"), stderr=subprocess.STDOUT)
        self.cluster.wait_for(self._answers, "answer through PgBouncer and HAProxy", 60)

    def _haproxy_cfg(self) -> Path:
        lines = []
        for line in HAPROXY.read_text().splitlines():
            word = line.split()[:1]
            if word == ["log"] and "/dev/log" in line:
                line = "    log stdout format raw local0 info"  # its log file: marked up/down
            elif word == ["bind"]:
                line = f"    bind 127.0.0.1:{self.haproxy_port}"
            elif word == ["server"]:
                if line.split()[1] != "db1":
                    continue
                lines += [f"    server {name} 127.0.0.1:{pg} maxconn 100 check port {rest}"
                          for name, (pg, rest) in self.cluster.ports.items()]
                continue
            lines.append(line)
        path = self.folder / "haproxy.cfg"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _pgbouncer_ini(self) -> Path:
        # No logfile: PgBouncer logs to its standard error, the run's pgbouncer log.
        text = local_ini(f"host=127.0.0.1 port={self.haproxy_port} dbname=relais", {
            "listen_port": self.pgbouncer_port, "logfile": None,
            "auth_file": self.folder / "userlist.txt",
            "pidfile": self.folder / "pgbouncer.pid", "unix_socket_dir": self.folder})
        (self.folder / "userlist.txt").write_text(f'"postgres" "{PASSWORD}"\n')
        path = self.folder / "pgbouncer.ini"
        path.write_text(text)
        for owned in (path, self.folder / "userlist.txt"):
            self.cluster._own(owned)
        return path

    def database_url(self) -> str:
        return f"postgres://postgres:{PASSWORD}@127.0.0.1:{self.pgbouncer_port}/relais"

    def _answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.database_url(), connect_timeout=3) as probe:
                return probe.execute("SELECT NOT pg_is_in_recovery()").fetchone()[0]
        except psycopg.Error:
            return False

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    return found[-1].parent if found else None


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
