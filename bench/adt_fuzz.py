"""Fuzz the ADT feed's entry points for some minutes (on demand, not in CI).

    .venv/bin/python bench/adt_fuzz.py [--minutes 10] [--timeout 5] [--target all]

Two targets, run in turns:

* frames: the MLLP `Deframer` (relais.interop.mllp) on any byte stream, fed whole and in
  random pieces. It must never raise, must find the same frames however the stream is
  cut, and never keep more than its limit of a frame.
* message: the feed's own entry, `relais.interop.adt.handle(raw)` (what the listener
  calls for each frame, without the network), then the inbox's applier when Relais has
  one (`inbox.drain()`), against a throw-away database (bench/throwaway.py: a temporary
  SQLite file, or DATABASE_URL). Every input must get an acknowledgement (MSH or a batch
  envelope, with MSA-1 AA/AE/AR or CA/CE/CR), no error may be logged (the feed logs the
  internal errors it answers with AR), and no message may end "failed" in the inbox.

Inputs come from hypothesis: raw bytes; the corpus (tests/relais/interop/corpus)
mutated (bytes cut, inserted, replaced, segments repeated or dropped, separators
changed); and messages built from HL7-looking pieces (odd encoding characters, escapes,
repetitions, HL7 nulls, huge fields, batches). The corpus's sending facilities are
configured, with the persons its messages name, so inputs reach the parser and the
stays' rules, not only the sender check.

A case over `--timeout` seconds is a hang. Each crash or hang is saved under
tests/relais/interop/fuzz_seeds/ (`<target>-<sha1>.bin`), which
tests/relais/interop/test_adt_fuzz_seeds.py replays in the suite. Prints cases, cases/s,
crashes and hangs per target; exit code 1 when anything was found.
"""

import argparse
import hashlib
import logging
import os
import re
import signal
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import summary
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from throwaway import setup_database

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "relais" / "interop" / "corpus"
SEEDS = ROOT / "tests" / "relais" / "interop" / "fuzz_seeds"
ROUND = 200  # examples per hypothesis run; runs repeat until the time is up
SMALL_FRAME = 64  # the deframer's limit while fuzzed: reached often
FACILITIES = ("AZC", "HIS-ONLY", "CHU-TEST", "FUZZ")
# The corpus's persons (tests/relais/interop/test_adt_corpus.py), and one more.
PERSONS = (("Madeleine", "Lambert", "41030203610"), ("Jan", "Peeters", "50071404354"),
           ("Maria", "Janssens", "38110506875"))


class Hang(Exception):
    """A case ran over its time."""


@dataclass
class Tally:
    cases: Counter = field(default_factory=Counter)
    crashes: Counter = field(default_factory=Counter)
    hangs: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)  # in the checks
    wall: Counter = field(default_factory=Counter)  # with hypothesis's generating
    answers: Counter = field(default_factory=Counter)  # MSA-1 of the message target
    saved: list = field(default_factory=list)


# --- the world the messages land in ------------------------------------------------------


def prepare() -> None:
    """Hospitals and wards for the corpus's senders, and the persons it names."""
    from datetime import date

    from relais.accounts.models import Organisation, OrganisationType, User, Ward
    from relais.network.models import Person
    from relais.network.services import create_person
    from relais.stays.models import AdtSource

    hospital, _ = Organisation.objects.get_or_create(
        name="Fuzz hospital", defaults={"type": OrganisationType.HOSPITAL})
    for code in ("GER", "CAR", "SU"):
        Ward.objects.get_or_create(organisation=hospital, code=code, defaults={"name": code})
    for facility in FACILITIES:
        AdtSource.objects.get_or_create(sending_facility=facility,
                                        defaults={"hospital": hospital})
    actor, _ = User.objects.get_or_create(email="fuzz@bench.relais.example")
    for first, last, niss in PERSONS:
        if not Person.objects.filter(niss=niss).exists():
            create_person({"first_name": first, "last_name": last, "niss": niss,
                           "birth_date": date(1941, 3, 2), "sex": "F"}, actor=actor,
                          organisation=hospital)


# --- inputs ------------------------------------------------------------------------------


def corpus_messages() -> list[bytes]:
    return [path.read_bytes() for path in sorted(CORPUS.glob("*.hl7"))]


SEGMENT_NAMES = ("MSH", "EVN", "PID", "PV1", "PV2", "MRG", "NK1", "ZXY", "FHS", "BHS",
                 "BTS", "FTS", "MSA", "ERR", "OBX", "", "MS", "M")
PIECES = (b"", b'""', b"^", b"~", b"\\", b"&", b"|", b"\\F\\", b"\\X0D\\", b"\\E\\",
          b"\x0b", b"\x1c", b"\r", b"\n", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3\xa9",
          b"\xe9", b"A01", b"A40", b"ADT^A01^ADT_A01", b"2.5", b"2.3", b"P0001", b"V0001",
          b"41030203610", b"P0001^^^AZC^PI~41030203610^^^BE^NN", b"20260310083000",
          b"2026133", b"99999999999999", b"-0500", b"GER^101^1", b"AZC", b"HIS-ONLY", b"I",
          b"O", b"AL", b"NE", b"ER",
          # the edges of a timestamp (years 1 and 9999, the largest offsets)
          b"00010101000000", b"99991231235959", b"-2359", b"+2359", b"20260310083000.1234",
          b"99991231235959-2359", b"00010101000000+2359", b"0001", b"9999",
          # text that grows when folded for search ("\u00df" is "ss", a ligature 3 letters)
          "\u00df".encode() * 60, "\ufb03".encode() * 40, "\u00c9".encode() * 90)


def fields() -> st.SearchStrategy:
    piece = st.one_of(st.sampled_from(PIECES), st.binary(max_size=12))
    return st.lists(piece, max_size=6).map(b"".join)


@st.composite
def built_message(draw) -> bytes:
    """A message from HL7-looking pieces: MSH with any encoding characters, segments
    with random fields, sometimes a huge field or a batch envelope."""
    separator = draw(st.sampled_from([b"|", b"#", b"^", b"\r", b"\xe9", b" "]))
    encoding = draw(st.one_of(st.just(b"^~\\&"), st.binary(min_size=0, max_size=6)))
    facility = draw(st.sampled_from([b"AZC", b"", b"FUZZ", b"NOBODY"]))
    header = separator.join([b"MSH", encoding, b"HIS", facility, b"RELAIS", b"RELAIS",
                             draw(fields()), b"", draw(st.sampled_from(
                                 [b"ADT^A01", b"ADT^A08", b"ADT^A40", b"ADT^A03", b"ORU^R01",
                                  b"ADT"])), draw(fields()), b"P",
                             draw(st.sampled_from([b"2.5", b"2.3", b"3", b""])),
                             *draw(st.lists(fields(), max_size=8))])
    segments = [header]
    for _ in range(draw(st.integers(0, 8))):
        name = draw(st.sampled_from(SEGMENT_NAMES)).encode()
        segments.append(separator.join([name, *draw(st.lists(fields(), max_size=50))]))
    if draw(st.booleans()) and len(segments) > 1:
        segments[-1] += b"X" * draw(st.sampled_from([10_000, 200_000]))
    if draw(st.integers(0, 9)) == 0:
        segments = [b"FHS|^~\\&|HIS|AZC", b"BHS|^~\\&|HIS|AZC", *segments, b"BTS|1", b"FTS|1"]
    end = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b""]))
    return end.join(segments) + end


@st.composite
def mutated_corpus(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(corpus_messages())))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 6]))):  # mostly light
        kind = draw(st.integers(0, 7))
        at = draw(st.integers(0, len(data)))
        if kind == 0:  # cut
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == 1:  # insert
            data[at:at] = draw(st.one_of(st.sampled_from(PIECES), st.binary(max_size=20)))
        elif kind == 2 and data:  # replace a byte
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == 3:  # repeat or drop a segment
            lines = bytes(data).split(b"\r")
            index = draw(st.integers(0, len(lines) - 1))
            if draw(st.booleans()):
                lines.insert(index, lines[index])
            else:
                del lines[index]
            data = bytearray(b"\r".join(lines))
        elif kind == 4:  # another segment end
            data = bytearray(bytes(data).replace(b"\r", draw(st.sampled_from(
                [b"\n", b"\r\n", b"\n\r", b"\x00", b""]))))
        elif kind == 5:  # other field separator, or other encoding characters
            data = bytearray(bytes(data).replace(b"|", draw(st.sampled_from(
                [b"#", b"^", b"~", b"\\", b"&", b"||"]))))
        else:  # one field of one segment replaced (the structure kept)
            data = bytearray(replace_field(bytes(data), draw))
    return bytes(data)


# Where HL7 puts times and dates (field numbers): a time there gets edge values.
TIME_FIELDS = {b"MSH": (7,), b"EVN": (2, 6), b"PID": (7,), b"PV1": (44, 45), b"PV2": (9,)}


@st.composite
def timestamps(draw) -> bytes:
    """HL7 times at their edges: the first and last moments HL7 can write (years 1 and
    9999), impossible months, days and hours, the largest offsets and beyond."""
    moment = draw(st.one_of(
        st.sampled_from(["99991231235959", "99991231", "00010101000000", "00010101", "9999",
                         "0001", "20260229", "20260332", "20261301", "202603102400",
                         "20260310083000.1234", "2026031008", "20260330023000"]),
        st.builds("{:04d}{:02d}{:02d}{:02d}{:02d}".format, st.integers(0, 9999),
                  st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
                  st.integers(0, 61))))
    offset = draw(st.sampled_from(["", "+0000", "-2359", "+2359", "-2400", "+2400", "+1400",
                                   "-1200", "+0060", "+9999"]))
    return (moment + offset).encode()


def replace_field(data: bytes, draw) -> bytes:
    lines = data.split(b"\r")
    index = draw(st.integers(0, len(lines) - 1))
    parts = lines[index].split(b"|")
    times = TIME_FIELDS.get(parts[0], ())
    if times and draw(st.booleans()):
        # MSH-1 is the separator itself: MSH-n is the n-1th piece, other segments' nth.
        at = draw(st.sampled_from(times)) - (parts[0] == b"MSH")
        value = draw(timestamps())
    else:
        at, value = draw(st.integers(1, max(1, len(parts) + 2))), draw(fields())
    parts += [b""] * (at + 1 - len(parts))
    parts[at] = value
    lines[index] = b"|".join(parts)
    return b"\r".join(lines)


def messages() -> st.SearchStrategy:
    return st.one_of(st.binary(max_size=400), mutated_corpus(), mutated_corpus(),
                     built_message())


def streams() -> st.SearchStrategy:
    """Byte streams rich in MLLP's start and end blocks."""
    piece = st.one_of(st.sampled_from([b"\x0b", b"\x1c", b"\r", b"\x1c\r", b"\n", b" ",
                                       b"\x00", b"MSH|^~\\&|", b"A" * 70]),
                      st.binary(max_size=30))
    return st.lists(piece, max_size=40).map(b"".join)


# --- the checks --------------------------------------------------------------------------


ACK_CODES = {"AA", "AE", "AR", "CA", "CE", "CR"}


def check_ack(answer) -> str | None:
    """What is wrong with an answer, or None."""
    if not isinstance(answer, bytes) or not answer:
        return f"no answer ({answer!r:.60})"
    try:
        text = answer.decode("ascii")
    except UnicodeDecodeError:
        return "the answer is not ASCII"
    if not re.match(r"(MSH|FHS|BHS)", text):
        return f"the answer does not start with MSH/FHS/BHS: {text[:40]!r}"
    codes = [line[4:6] for line in re.split(r"[\r\n]", text) if line.startswith("MSA")]
    if not codes or not set(codes) <= ACK_CODES:
        return f"no MSA-1 AA/AE/AR in the answer: {codes}"
    return None


def frames_of(deframer_class, stream: bytes, cuts: list[int]):
    deframer = deframer_class(max_size=SMALL_FRAME)
    found = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        found += deframer.feed(stream[start:end])
    return found + deframer.close()


def check_frames(stream: bytes, cuts: list[int]) -> str | None:
    from relais.interop.mllp import Deframer

    whole = frames_of(Deframer, stream, [])
    pieces = frames_of(Deframer, stream, sorted(set(cuts)))
    if whole != pieces:
        return f"{len(whole)} frames whole, {len(pieces)} when cut at {sorted(set(cuts))}"
    if any(len(frame.data) > SMALL_FRAME or frame.size < len(frame.data) for frame in whole):
        return "a frame keeps more than its limit"
    return None


class Errors(logging.Handler):
    """Errors the feed logs (an internal error it answered with AR is one)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.found: list[str] = []

    def emit(self, record):
        self.found.append(record.getMessage())


def check_message(raw: bytes, framed: bool, errors: Errors, answers: Counter) -> str | None:
    from relais.interop import adt
    from relais.stays.models import AdtMessage

    errors.found.clear()
    answer = adt.handle(raw, framed=framed)
    problem = check_ack(answer)
    if problem is None:
        answers.update(re.findall(r"MSA.(A[AER]|C[AER])", answer.decode("ascii")))
    drain = getattr(adt, "drain", None)  # the inbox's applier, when Relais has one
    if drain is not None:
        drain()
    failed = AdtMessage.objects.filter(status="failed")
    if problem is None and failed.exists():
        problem = f"a message failed in the inbox: {failed.first().problem[:200]}"
        failed.delete()  # one finding at a time
    if problem is None and errors.found:
        problem = "logged: " + errors.found[0][:200]
    return problem


# --- running -----------------------------------------------------------------------------


def run_case(tally: Tally, target: str, data: bytes, check, timeout: float) -> None:
    tally.cases[target] += 1
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        problem = check()
    except Hang:
        tally.hangs[target] += 1
        save(tally, target, data, f"hang: over {timeout} s")
        return
    except Exception:  # noqa: BLE001 - a crash is what we look for
        problem = "raised: " + traceback.format_exc(limit=6)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        tally.seconds[target] += time.perf_counter() - started
    if problem is not None:
        tally.crashes[target] += 1
        save(tally, target, data, problem)


def save(tally: Tally, target: str, data: bytes, problem: str) -> None:
    """The input as a seed file; the first problem seen for it beside it."""
    name = f"{target}-{hashlib.sha1(data).hexdigest()[:16]}"  # noqa: S324 - a name
    SEEDS.mkdir(parents=True, exist_ok=True)
    (SEEDS / f"{name}.bin").write_bytes(data)
    (SEEDS / f"{name}.txt").write_text(problem + "\n")
    tally.saved.append(name)
    print(f"  found ({target}): {problem.splitlines()[-1][:150]} -> {name}.bin", flush=True)


def fuzz_frames(tally: Tally, deadline: float, timeout: float) -> None:
    @settings(max_examples=ROUND, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(stream=streams(), cuts=st.lists(st.integers(0, 1200), max_size=6))
    def one(stream, cuts):
        if time.monotonic() < deadline:
            cuts = [cut for cut in cuts if cut <= len(stream)]
            run_case(tally, "frames", stream, lambda: check_frames(stream, cuts), timeout)

    one()


def fuzz_messages(tally: Tally, deadline: float, timeout: float, errors: Errors) -> None:
    @settings(max_examples=ROUND, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(raw=messages(), framed=st.sampled_from([True, True, True, True, False]))
    def one(raw, framed):
        if time.monotonic() < deadline:
            run_case(tally, "message", raw,
                     lambda: check_message(raw, framed, errors, tally.answers), timeout)

    one()


def report(tally: Tally, elapsed: float) -> None:
    print(f"\nran {elapsed / 60:.1f} min")
    for target in sorted(tally.cases):
        cases = tally.cases[target]
        print(f"{target:8} {cases:8} cases  {cases / (tally.wall[target] or 1e-9):8.1f} "
              f"cases/s ({cases / (tally.seconds[target] or 1e-9):.1f}/s in the checks "
              f"alone)  {tally.crashes[target]} crashes  {tally.hangs[target]} hangs")
    print("answers: " + ", ".join(f"{code} {n}" for code, n in sorted(tally.answers.items())))
    if tally.saved:
        print(f"seeds saved in {SEEDS.relative_to(ROOT)}: {', '.join(tally.saved)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per case")
    parser.add_argument("--target", choices=["all", "frames", "message"], default="all")
    options = parser.parse_args()
    os.environ.setdefault("DEBUG", "false")  # DEBUG keeps every query in memory
    connection = setup_database()
    prepare()
    errors = Errors()
    logging.getLogger("relais").addHandler(errors)
    logging.getLogger("relais").propagate = False  # found problems are printed once, here
    signal.signal(signal.SIGALRM, _hang)
    print(f"database: {connection.vendor}; {options.minutes:g} min; timeout "
          f"{options.timeout:g} s per case; target {options.target}", flush=True)
    tally, started = Tally(), time.monotonic()
    deadline = started + options.minutes * 60
    while time.monotonic() < deadline:
        if options.target in ("all", "frames"):
            timed(tally, "frames", lambda: fuzz_frames(tally, deadline, options.timeout))
        if options.target in ("all", "message"):
            timed(tally, "message", lambda: fuzz_messages(tally, deadline, options.timeout,
                                                          errors))
    report(tally, time.monotonic() - started)
    summary.figure("cases", sum(tally.cases.values()))
    summary.at_most("crashes and hangs", sum(tally.crashes.values()) + sum(
        tally.hangs.values()), "", 0)
    summary.emit("adt_fuzz")
    return 1 if tally.saved else 0


def timed(tally: Tally, target: str, run) -> None:
    started = time.monotonic()
    run()
    tally.wall[target] += time.monotonic() - started


def _hang(signum, frame):
    raise Hang


if __name__ == "__main__":
    sys.exit(main())
