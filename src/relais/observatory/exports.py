"""Exports of published figures (R22): CSV or JSON, with the very suppression the pages
use (they read `figures.table`, which returns published cells only).

A file is never half-written: it is written beside its destination under a temporary
name, flushed to disk, then renamed over it in one step (`write_file`); a failure
removes the temporary file and leaves any earlier export untouched. The web streams the
same lines (`lines`), so a large zone never sits in memory.
"""

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from relais.observatory.figures import Cell

FIELDS = ["indicator", "zone", "municipality", "period", "period_start", "dimension", "key",
          "shown", "count", "value"]
FORMATS = ("csv", "json")


def row(cell: Cell) -> dict:
    return {"indicator": cell.indicator, "zone": cell.zone, "municipality": cell.municipality,
            "period": str(cell.period), "period_start": cell.period_start.isoformat(),
            "dimension": cell.dimension, "key": cell.key, "shown": cell.shown,
            "count": cell.count, "value": cell.value}


def lines(cells: Iterable[Cell], fmt: str, about: dict) -> Iterator[str]:
    """The export as text chunks: CSV (a header line, one line per cell) or JSON (an
    object with `about` — zone, periods, options, when computed — and `figures`)."""
    if fmt == "csv":
        yield from _csv_lines(cells)
    else:
        yield from _json_chunks(cells, about)


def _csv_lines(cells) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for cell in cells:
        writer.writerow(row(cell))
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json_chunks(cells, about) -> Iterator[str]:
    head = json.dumps(about, ensure_ascii=False, default=str)
    yield head[:-1] + (', "figures": [' if about else '{"figures": [')
    for number, cell in enumerate(cells):
        yield ("," if number else "") + "\n" + json.dumps(row(cell), ensure_ascii=False)
    yield "\n]}\n"


def write_file(path: Path, chunks: Iterable[str]) -> int:
    """Write `chunks` to `path` whole or not at all; returns the bytes written."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return size
