"""What the fuzz (bench/adt_fuzz.py) found, and inputs no sender should send, replayed in
the suite: through the MLLP deframer, then the feed's entry (`adt.handle`) and the
inbox's applier when Relais has one. Nothing may raise, nothing may be logged as an
error, no message may end "failed", and every frame gets an acknowledgement."""

import logging
import re
from datetime import date
from pathlib import Path

import pytest

from relais.interop import adt
from relais.interop.mllp import Deframer, frame
from relais.network.models import Person
from relais.network.services import create_person
from relais.stays.models import AdtMessage, AdtSource
from tests.factories import WardFactory
from tests.relais.interop.test_adt import adt_message, connect_hospital

SEEDS = Path(__file__).parent / "fuzz_seeds"
ACK_CODES = {"AA", "AE", "AR", "CA", "CE", "CR"}
MESSAGE = adt_message("A01").decode()
FUZZ_PERSONS = (("Madeleine", "Lambert", "41030203610"), ("Jan", "Peeters", "50071404354"),
                ("Maria", "Janssens", "38110506875"))

# Each with what it must be answered: none of these is a message Relais can use.
NASTY = {
    "empty": (b"", {"AE"}),
    "only field separators": (b"|" * 40, {"AE"}),
    "only segment ends": (b"\r\n\r\r\n\n", {"AE"}),
    "only encoding characters": (b"^~\\&", {"AE"}),
    "MSH with 2 characters": (b"MS", {"AE"}),
    "MSH alone": (b"MSH", {"AE"}),
    "MSH and its separator": (b"MSH|", {"AE"}),
    "no encoding characters": (MESSAGE.replace("|^~\\&|", "||", 1).encode(), {"AE"}),
    "encoding characters repeated": (MESSAGE.replace("^~\\&", "^^^^", 1).encode(), {"AE"}),
    "encoding characters not ASCII": (MESSAGE.replace("^~\\&", "é~\\&", 1).encode(),
                                      {"AE", "AR"}),
    "letters as encoding characters": (MESSAGE.replace("^~\\&", "abcd", 1).encode(), {"AE"}),
    "separator a newline": (MESSAGE.replace("|", "\n").encode(), {"AE"}),
    "huge field, over the limit": (
        MESSAGE.replace("Lambert", "L" * (adt.MAX_MESSAGE_BYTES + 10)).encode(), {"AR"}),
    "NUL bytes only": (b"\x00" * 100, {"AE"}),
    "byte-order mark only": (b"\xef\xbb\xbf", {"AE"}),
    "batch header alone": (b"FHS|^~\\&|HIS|CHU-TEST\r", {"AR"}),
    "batch of batch headers": (b"BHS|^~\\&\rBHS|^~\\&\rBTS|x\r", {"AR"}),
    "not HL7 at all": ("Grüß Gott, ceci n'est pas un message\r".encode("latin-1"), {"AE"}),
}


@pytest.fixture
def feed(world, liaison_nurse):
    """The world bench/adt_fuzz.py fuzzes in (its `prepare`): the corpus's senders and the
    persons it names, so the messages reach the parser and the stays' rules, not only the
    sender check."""
    connect_hospital(world)  # CHU-TEST, ward GER
    for facility in ("AZC", "HIS-ONLY", "FUZZ"):
        AdtSource.objects.create(sending_facility=facility, hospital=world.hospital)
    for code in ("CAR", "SU"):
        WardFactory(organisation=world.hospital, name=code, code=code)
    for first, last, niss in FUZZ_PERSONS:
        create_person({"first_name": first, "last_name": last, "niss": niss,
                       "birth_date": date(1941, 3, 2), "sex": "F"}, actor=liaison_nurse,
                      organisation=world.hospital)
    return world


@pytest.fixture
def errors(caplog):
    caplog.set_level(logging.ERROR, logger="relais")
    return caplog


def answer_to(data: bytes, *, framed: bool = True) -> str:
    answer = adt.handle(data, framed=framed)
    drain = getattr(adt, "drain", None)  # the inbox's applier, when Relais has one
    if drain is not None:
        drain()
    return answer.decode("ascii")


def codes(answer: str) -> set[str]:
    return set(re.findall(r"(?:^|[\r\n])MSA.(\w\w)", answer))


def assert_sound(answer: str, errors) -> None:
    assert re.match(r"(MSH|FHS|BHS)", answer), answer[:60]
    assert codes(answer) and codes(answer) <= ACK_CODES, answer
    assert [r.getMessage() for r in errors.records if r.levelno >= logging.ERROR] == []
    assert not AdtMessage.objects.filter(status="failed").exists()


@pytest.mark.parametrize("name", sorted(NASTY))
def test_a_nasty_input_is_answered_and_refused(feed, errors, name):
    data, expected = NASTY[name]

    answer = answer_to(data)

    assert_sound(answer, errors)
    assert codes(answer) <= expected, (name, answer[:200])


def test_nested_start_blocks_each_get_an_answer(feed, errors):
    """A sender that gives up on a frame and starts another, twice, then ends one."""
    message = adt_message("A01")
    stream = b"\x0b\x0b" + message[:30] + b"\x0b" + message + b"\x1c\r"
    deframer = Deframer()
    frames = deframer.feed(stream) + deframer.close()

    answers = [answer_to(found.data, framed=found.framed) for found in frames]

    assert [found.framed for found in frames] == [False, False, True]
    for answer in answers:
        assert_sound(answer, errors)
    assert [codes(answer) for answer in answers] == [{"AR"}, {"AR"}, {"AA"}]


def seeds() -> list[Path]:
    return sorted(SEEDS.glob("*.bin"))


@pytest.mark.parametrize("seed", seeds(), ids=[path.stem for path in seeds()])
def test_what_the_fuzz_found_is_answered(feed, errors, seed):
    data = seed.read_bytes()
    for cut in (1, 7, len(data) or 1):  # the deframer, whatever the pieces
        deframer = Deframer(max_size=64)
        found = [f for start in range(0, len(data), cut) for f in deframer.feed(
            data[start:start + cut])] + deframer.close()
        assert all(len(f.data) <= 64 for f in found)
    for framed in (True, False):
        assert_sound(answer_to(data, framed=framed), errors)
    assert_sound(answer_to(frame(data)), errors)  # the frame's bytes as one message


@pytest.mark.parametrize("admitted", ["99991231235959-2359", "00010101000000+1400",
                                      "20260310083000+2400", "20260310083000-9999"])
def test_a_time_utc_cannot_hold_is_refused_with_ae(feed, errors, admitted):
    """HL7 can write the last minute of 9999 in a negative offset, the first of year 1 in
    a positive one, or an offset of a day and more; none is a moment Relais can store."""
    answer = adt.deliver(adt_message("A01", niss="41030203610", admitted=admitted))

    assert_sound(answer.decode("ascii"), errors)
    assert codes(answer.decode("ascii")) == {"AE"}
    assert f"PV1-44 (admission) '{admitted}' is not a valid date." in answer.decode("ascii")


def test_a_name_that_grows_when_folded_updates_the_person(feed, errors):
    """"ß" folds to "ss" for the name search: 60 of them made a 120-letter key, which
    PostgreSQL refused (the A08 failed and held the patient's later messages)."""
    name = "ß" * 60
    answer = adt.deliver(adt_message("A08", niss="41030203610", family=name))

    assert_sound(answer.decode("ascii"), errors)
    assert codes(answer.decode("ascii")) == {"AA"}
    person = Person.objects.get(niss="41030203610")
    assert person.last_name == name
    assert person.last_name_key == "ss" * 50


def test_a_broken_escape_sequence_puts_no_patient_data_in_the_logs(feed, caplog):
    caplog.set_level(logging.DEBUG)
    raw = adt_message("A08", niss="41030203610", family="Lam\\Zbert\\\\", given="Hélène\\X0Z\\")

    answer = adt.deliver(raw).decode("ascii")

    assert codes(answer) <= {"AA", "AE"}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Lam" not in logged and "Hélène" not in logged
