"""`relais generate`: the whole run — the check that the database may be touched, the
marker, the world, then the persons chunk by chunk, each in one transaction with its audit
events sealed, recorded as done so that an interrupted run resumes where it stopped.
"""

import math
import random
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from relais.accounts.models import Organisation, User
from relais.audit import partitions, sealing
from relais.demo.generate import tables as bulk
from relais.demo.generate.names import Names
from relais.demo.generate.persons import LIMIT, MODELS, Chunk, municipalities
from relais.demo.generate.world import World, build_world
from relais.demo.models import GeneratedChunk, GeneratedDataset
from relais.followup.protocols import ensure_default_protocol
from relais.network.models import Person


class Refused(Exception):
    """The database may not be touched, or not with these options (a translated reason)."""


@dataclass(frozen=True)
class Options:
    persons: int
    seed: int
    chunk_size: int
    as_of: datetime
    ratios: dict  # stays, referrals, followups, entries, audit

    @property
    def chunks(self) -> int:
        return math.ceil(self.persons / self.chunk_size)


def generate(options: Options, progress) -> GeneratedDataset:
    """Generate, or resume, the dataset `options` describe; `progress(done, rows)` is told
    after each chunk (inside its transaction: an exception there undoes the chunk)."""
    check_options(options)
    with one_writer(progress):
        return _generate(options, progress)


def _generate(options: Options, progress) -> GeneratedDataset:
    dataset = check_database(options)
    ensure_default_protocol()  # its own transaction: the same protocol whatever follows
    names = Names()
    if dataset is None:
        dataset = _write_world(options, names)
    as_of = dataset.as_of
    # The audit events' months (persons are made up to 5 years back) get their partition
    # first, on PostgreSQL: else they would all fill the default partition.
    partitions.ensure_span(as_of - timedelta(days=5 * 366 + 31), as_of)
    done = set(dataset.chunks.values_list("number", flat=True))
    progress.start(persons_done=sum(_count(options, n) for n in done if n))
    todo = [number for number in range(1, options.chunks + 1) if number not in done]
    if todo:
        _mark_analyzed(dataset, None)  # before the first chunk: an interruption re-analyses
        _write_chunks(dataset, options, todo, names, progress)
    if todo or dataset.analyzed_at is None:
        # Not on a run that found everything done: VACUUM reads every table (70 s at a
        # million persons), which a bench calling `generate` before it measures would pay,
        # and its reads would push the persons it is about to open out of memory.
        bulk.analyze()
        _mark_analyzed(dataset, timezone.now())
    return dataset


def _mark_analyzed(dataset: GeneratedDataset, moment: datetime | None) -> None:
    dataset.analyzed_at = moment
    dataset.save(update_fields=["analyzed_at"])


def _write_chunks(dataset, options: Options, todo: list[int], names: Names, progress) -> None:
    """The chunks `todo`, in order, each written in its own transaction, while the next is
    built in a thread. Building is Python and reads nothing from the database (the world
    and the places are read once, the ids follow where the chunk before ended), and
    writing is mostly PostgreSQL's work (COPY, the indexes, the commit): done one after
    the other, each waited for the other (a third of the time at 10,000 persons)."""
    world, places = World.load(), municipalities()

    def build(number: int, first_ids: dict | None) -> list[bulk.Table]:
        chunk = Chunk(world=world, names=names, seed=options.seed, number=number,
                      as_of=dataset.as_of, ratios=options.ratios, first_ids=first_ids,
                      places=places)
        return chunk.build((number - 1) * options.chunk_size, _count(options, number))

    # Chunks are written in order, each committed before the next: the ones not done
    # follow each other, and each one's ids follow the one before's.
    builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relais-generate")
    try:
        next_chunk = builder.submit(build, todo[0], _highest_ids())
        for position, number in enumerate(todo):
            written = next_chunk.result()
            if position + 1 < len(todo):
                next_chunk = builder.submit(build, todo[position + 1], {
                    table.model: table.next_id for table in written})
            _write_chunk(dataset, number, _count(options, number), written, progress)
    finally:
        # Interrupted: the chunk being built is not wanted (a few seconds' work at most).
        builder.shutdown(wait=True, cancel_futures=True)


def _highest_ids() -> dict:
    """Where each table's ids end now (the next chunk's first ids)."""
    return {model: bulk.highest_id(model) + 1 for model in MODELS}


# The key of the session lock one run holds on PostgreSQL (any constant; `hashtext` of a name
# would do as well, but a number is the same on every server version).
WRITER_LOCK = 7_265_110_001


@contextmanager
def one_writer(progress):
    """One run at a time per database. A second run (a bench starting its own while one runs
    in the background) waits for the first, then resumes, finding its chunks done: two runs
    writing the same chunk would collide on its rows and seal each other's events. Not on
    SQLite (a demo's database, not a bench's): there the second run fails on the first one's
    rows, and its chunk's transaction is undone."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [WRITER_LOCK])
        if not cursor.fetchone()[0]:
            progress.waiting()
            cursor.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK])


def check_options(options: Options) -> None:
    if not 1 <= options.persons <= LIMIT:
        raise Refused(_("Choose between 1 and %(limit)s persons.") % {
            "limit": number_format(LIMIT, force_grouping=True)})
    if options.chunk_size < 1:
        raise Refused(_("A chunk holds at least one person."))
    if any(value < 0 for value in options.ratios.values()):
        raise Refused(_("Ratios cannot be negative."))


def check_database(options: Options) -> GeneratedDataset | None:
    """The dataset to resume, None for an empty database; refuses real data and a
    synthetic dataset made with other options."""
    dataset = GeneratedDataset.objects.first()
    if dataset is None:
        # Not only persons: an installation's organisations and accounts come before its
        # first person, and generated ones (with their own logins) must not join them.
        if any(model.objects.exists() for model in (Person, Organisation, User)):
            raise Refused(_("This database holds persons, organisations or accounts that "
                            "relais generate did not make: it may hold real data, so nothing "
                            "was changed. Use an empty database."))
        return None
    stored = (dataset.seed, dataset.persons, dataset.chunk_size, dataset.ratios)
    if stored != (options.seed, options.persons, options.chunk_size, options.ratios):
        raise Refused(_("This database holds a synthetic dataset made with other options "
                        "(seed %(seed)s, %(persons)s persons, %(chunk)s per chunk, ratios "
                        "%(ratios)s). Give the same options to resume it, or use another "
                        "database.") % {"seed": dataset.seed, "persons": dataset.persons,
                                        "chunk": dataset.chunk_size,
                                        "ratios": dataset.ratios})
    return dataset


@transaction.atomic
def _write_world(options: Options, names: Names) -> GeneratedDataset:
    """The marker and the world (chunk 0), together: a database is marked synthetic from
    the moment it holds anything generated."""
    started = time.perf_counter()
    dataset = GeneratedDataset.objects.create(
        seed=options.seed, persons=options.persons, chunk_size=options.chunk_size,
        as_of=options.as_of, ratios=options.ratios)
    rng = random.Random(f"{options.seed}:0")  # a chunk's generator, as each chunk has
    written = build_world(options.persons, rng, names, options.as_of)
    rows = sum(table.write() for table in written)
    bulk.move_sequences(table.model for table in written)
    GeneratedChunk.objects.create(dataset=dataset, number=0, rows=rows,
                                  seconds=time.perf_counter() - started)
    return dataset


def _write_chunk(dataset, number: int, persons: int, written: list, progress) -> None:
    """One built chunk (of `persons` persons), written in one transaction with its audit
    events sealed and the chunk recorded as done (in the time it took to write)."""
    started = time.perf_counter()
    with transaction.atomic():
        rows = sum(table.write() for table in written)
        bulk.move_sequences(table.model for table in written)
        # Sealed as of the dataset's moment (every generated event is before it), so a
        # chunk written again seals the same batches.
        sealing.seal(dataset.as_of, grace=timedelta(0))
        GeneratedChunk.objects.create(dataset=dataset, number=number, rows=rows,
                                      seconds=time.perf_counter() - started)
        progress.chunk(persons, rows)


def _count(options: Options, number: int) -> int:
    """Persons in chunk `number` (1-based; the last may be smaller)."""
    return min(options.chunk_size, options.persons - (number - 1) * options.chunk_size)
