"""The pages of bench/pages.py counted in instructions, not seconds: what a worker does
per request, the same on a quiet machine and on a busy one.

    DATABASE_URL=postgres://…/relais_bench_pages .venv/bin/python bench/page_instructions.py
    .venv/bin/python bench/page_instructions.py --requests 20 --pages person,worklist

bench/pages.py measures req/s under load, which is the issues' goal, but on a shared
2-core machine its figures move by 10–30 % from one run to the next: the neighbours take
the cores by turns, and a page that touches more memory suffers more. A change of a few
per cent cannot be seen there. Valgrind's callgrind counts the instructions a process
executes, whatever else runs (Debian's `valgrind`, on every machine here): this script
prepares the same data as bench/pages.py (the demo, a 25-entry booklet, the bench's
logins), then runs itself under callgrind, opens each page in Django's test client with
production settings (the minimal signed-in page first), and has callgrind dump its count
after each page's requests (`callgrind_control -d`).

For each page it prints the instructions per request, their multiple of the minimal
page's, the number of queries, and "minimal ÷ page": the share of the minimal page's
throughput the page would have if the workers were all that ran. It leaves out
PostgreSQL's own work (bench/pages.py's "DB ms" is that) and the web server's; compare it
between commits (a `git worktree` and `PYTHONPATH=<worktree>/src`), not with the goals.
The objects made before the counted requests are frozen out of the garbage collector's
sight (`gc.freeze()`), so that its full collections do not land in one page or another
as the selection of pages changes.
About two minutes: most of it is starting Django under valgrind.

    … bench/page_instructions.py --pages hospital --regions \
        relais.stays.views:render,relais.followup.readmissions:home_records

--regions names functions (`module:attribute`, or `module:Class.method`; a name imported
elsewhere is patched where it is looked up) whose instructions are counted apart, each a
dump when it is entered and when it returns: per request, each one's instructions with
what it calls ("with calls") and without the regions inside it ("own"). The same count,
function by function, where a sampling profiler's shares move with the machine.
"""

import argparse
import ctypes
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import summary

BENCH_DIR = Path(__file__).resolve().parent
DUMP = re.compile(r"^(?:summary|totals):\s+(\d+)", re.M)


# Counted here beside bench/pages.py's pages (not in its mix): the other pages of
# bench/person_page_scale.py's coordinator's day, opened by the same case manager.
MORE_PAGES = [("timeline", "/persons/{pk}/timeline/"), ("persons list", "/persons/"),
              ("referral inbox", "/referrals/")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="counted requests per page")
    parser.add_argument("--pages", default="", help="labels' first words, comma-separated")
    parser.add_argument("--regions", default="", help="module:function, comma-separated")
    parser.add_argument("--inner", help=argparse.SUPPRESS)  # under valgrind: the folder
    options = parser.parse_args()
    if options.inner:
        return _count(options)
    if not (shutil.which("valgrind") and Path("/usr/include/valgrind/callgrind.h").exists()
            and shutil.which("gcc")):
        print("valgrind (with its headers) and gcc are needed: apt-get install valgrind gcc",
              file=sys.stderr)
        return 1
    return _measure(options)


def _measure(options) -> int:
    os.environ.setdefault("RELAIS_VAR_DIR", tempfile.mkdtemp(prefix="relais-bench-instr-"))
    import pages
    from throwaway import setup_database

    connection = setup_database()
    pages._prepare()
    for login in (pages.VIEWER, pages.HOSPITAL):
        pages.totp_device(pages._user(login))
    folder = Path(tempfile.mkdtemp(prefix="relais-callgrind-"))
    env = dict(os.environ, RELAIS_ENV="production", SECRET_KEY="bench-" + "x" * 60,
               ALLOWED_HOSTS="testserver", DJANGO_SETTINGS_MODULE="pages_settings",
               PYTHONHASHSEED="0",  # the same dict and set orders from run to run
               PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH_DIR),
                                                        os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, "-m", "django", "collectstatic", "--no-input",  # noqa: S603
                    "-v", "0"], env=env, check=True)
    print(f"database: {connection.vendor}; counting under callgrind (about two minutes)")
    subprocess.run(  # noqa: S603 - our own arguments
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/dump.%p",
         sys.executable, __file__, "--inner", str(folder), "--requests",
         str(options.requests), "--pages", options.pages, "--regions", options.regions],
        env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _report(folder, options.requests)


def _count(options) -> int:
    """Under callgrind: each page's requests, then a dump of the count so far."""
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)  # the request log's lines go to the terminal otherwise
    import pages
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from relais.network.models import Person

    person = Person.objects.get(first_name=pages.PERSON[0], last_name=pages.PERSON[1])
    chosen = [word for word in options.pages.split(",") if word]
    every = [(label, login, path) for label, login, path, _, _ in pages._pages(person.pk)]
    every += [(label, pages.VIEWER, path.format(pk=person.pk)) for label, path in MORE_PAGES]
    shown = [(label, login, path) for label, login, path in every
             if label == "minimal page" or not chosen or label.split()[0] in chosen]
    clients = {login: _client(pages, login) for _, login, _ in shown}
    queries = {}
    for label, login, path in shown:
        for _ in range(8):  # templates compiled, statements kept, plans prepared
            _get(clients[login], path)
        with CaptureQueriesContext(connection) as captured:
            _get(clients[login], path)
        queries[label] = len(captured)
    folder = Path(options.inner)
    # A full collection of Python's garbage collector walks every object the process
    # holds (tens of millions of instructions) and falls into whichever page's requests
    # the allocations so far make it: moving the page by 3 million instructions a
    # request from one selection of pages to another. The objects of the start and the
    # warm-up are set aside (as a server that freezes them after loading would), so
    # that what each page's requests allocate is all the collector sees.
    gc.collect()
    gc.freeze()
    _dump(folder, "warm")  # the count of the start and warm-up, left out
    _wrap_regions(folder, options.regions)
    for label, login, path in shown:
        for _ in range(options.requests):
            _get(clients[login], path)
        _dump(folder, f"page {queries[label]} {label}")
    return 0


def _wrap_regions(folder: Path, regions: str) -> None:
    """Each named function dumps the count when entered and when it returns."""
    import functools
    import importlib

    for spec in filter(None, regions.split(",")):
        module_name, _, attribute = spec.partition(":")
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        found = vars(owner).get(name) if isinstance(owner, type) else None
        kind = type(found) if isinstance(found, classmethod | staticmethod) else None
        function = found.__func__ if kind else getattr(owner, name)

        def wrapped(*args, _function=function, _spec=spec, **kwargs):
            _dump(folder, f"enter {_spec}")
            try:
                return _function(*args, **kwargs)
            finally:
                _dump(folder, f"leave {_spec}")

        wrapped = functools.wraps(function)(wrapped)
        setattr(owner, name, kind(wrapped) if kind else wrapped)


def _client(pages, login):
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = pages._user(login)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=user, name="bench").persistent_id
    session.save()
    return client


def _get(client, path):
    response = client.get(path, secure=True)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code}"


# Callgrind's own client request, from C (valgrind's callgrind.h): the dump is taken at
# that instruction. `callgrind_control -d` is noticed only between time slices, so its
# dump would hold some of the next page's work.
DUMP_C = """#include <valgrind/callgrind.h>
void dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""


def _dumper(folder: Path):
    source, library = folder / "dump.c", folder / "dump.so"
    source.write_text(DUMP_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(library), str(source)],  # noqa: S603, S607
                   check=True)
    return ctypes.CDLL(str(library)).dump


def _dump(folder: Path, label: str) -> None:
    global _dump_function
    if _dump_function is None:
        _dump_function = _dumper(folder)
    _dump_function(label.encode())


_dump_function = None


def _report(folder: Path, requests: int) -> int:
    counts, regions = [], Regions()
    for dump in sorted(folder.glob("dump.*.*"), key=lambda f: int(f.name.rsplit(".", 1)[1])):
        text = dump.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
        if not trigger:
            continue
        kind, _, rest = trigger.group(1).partition(" ")
        count = int(DUMP.search(text).group(1))
        if kind == "page":
            queries, label = rest.split(" ", 1)
            counts.append((label, int(queries), (regions.total + count) / requests))
            regions.total = 0
        elif kind in ("enter", "leave"):
            regions.segment(kind, rest, count)
    if not counts or counts[0][0] != "minimal page":
        print(f"no counts found in {folder}", file=sys.stderr)
        return 1
    minimal = counts[0][2]
    print(f"{'page':<26}{'queries':>8}{'instructions':>16}{'× minimal':>11}"
          f"{'minimal ÷ page':>16}")
    for label, queries, instructions in counts:
        print(f"{label:<26}{queries:>8}{instructions / 1e6:>14.2f} M{instructions / minimal:>11.2f}"
              f"{minimal / instructions:>16.2f}")
        summary.figure(f"{label}: instructions per request", instructions / 1e6, "M")
    regions.print(requests)
    summary.emit("page_instructions")
    return 0


class Regions:
    """The dumps between a region's entry and its return, added up: with its calls, and
    without the named regions inside it."""

    def __init__(self):
        self.open, self.total = [], 0
        self.inclusive, self.own, self.calls = {}, {}, {}

    def segment(self, kind: str, spec: str, count: int) -> None:
        self.total += count  # what ran since the last dump
        for name in set(self.open):
            self.inclusive[name] = self.inclusive.get(name, 0) + count
        if self.open:
            self.own[self.open[-1]] = self.own.get(self.open[-1], 0) + count
        if kind == "enter":
            self.open.append(spec)
            self.calls[spec] = self.calls.get(spec, 0) + 1
        else:
            self.open.pop()

    def print(self, requests: int) -> None:
        if not self.calls:
            return
        print(f"\n{'region (per request)':<60}{'calls':>7}{'with calls':>13}{'own':>10}")
        for name, total in sorted(self.inclusive.items(), key=lambda item: -item[1]):
            print(f"{name[:59]:<60}{self.calls[name] / requests:>7.1f}"
                  f"{total / requests / 1e6:>11.2f} M"
                  f"{self.own.get(name, 0) / requests / 1e6:>8.2f} M")


if __name__ == "__main__":
    sys.exit(main())
