"""Exports of published figures (R22): CSV or JSON, with the very suppression the pages
use (they read `figures.table`, which returns published cells only).

A file is never half-written: it is written beside its destination under a temporary
name, flushed to disk, then renamed over it in one step (`write_file`); a failure
removes the temporary file and leaves any earlier export untouched. The web streams the
same lines (`lines`), so a large zone never sits in memory.

Two CSVs: `csv` is for scripts and stays as it is — quoted as RFC 4180 says, comma,
decimal point, no byte-order mark, lines ending with LF; `excel` is what a spreadsheet
in Belgium opens with a double click — `;` between fields, a UTF-8 byte-order mark (or
Excel reads the accents as Latin-1) and, in Dutch or French, a decimal comma (Excel's
NL/FR locales read "12.5" as text or as a date). Both carry the same published cells
under the same column codes.
"""

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.utils import translation

from relais.core.text import is_digits
from relais.observatory.figures import Cell

FIELDS = ["indicator", "zone", "municipality", "period", "period_start", "dimension", "key",
          "shown", "count", "value"]
FORMATS = ("csv", "excel", "json")
BOM = "\ufeff"
# The extension and media type of each format's file.
EXTENSIONS = {"csv": "csv", "excel": "csv", "json": "json"}
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "excel": "text/csv; charset=utf-8",
                 "json": "application/json"}


def row(cell: Cell) -> dict:
    return {"indicator": cell.indicator, "zone": cell.zone, "municipality": cell.municipality,
            "period": str(cell.period), "period_start": cell.period_start.isoformat(),
            "dimension": cell.dimension, "key": cell.key, "shown": cell.shown,
            "count": cell.count, "value": cell.value}


def lines(cells: Iterable[Cell], fmt: str, about: dict) -> Iterator[str]:
    """The export as text chunks: CSV (a header line, one line per cell) or JSON (an
    object with `about` — zone, periods, options, when computed — and `figures`)."""
    if fmt == "csv":
        return _csv_lines(cells)
    if fmt == "excel":
        # The decimal mark is decided now, in the request's language: the chunks are
        # written later, when a streamed response is sent.
        return _excel_lines(cells, decimal_mark())
    return _json_chunks(cells, about)


def _excel_lines(cells, decimal: str) -> Iterator[str]:
    yield BOM
    yield from _csv_lines(cells, delimiter=";", decimal=decimal)


def decimal_mark() -> str:
    """The decimal separator of a spreadsheet in the reader's language (Belgian Excel:
    a comma in Dutch and French)."""
    return "," if (translation.get_language() or "")[:2] in ("nl", "fr") else "."


def _csv_lines(cells, delimiter: str = ",", decimal: str = ".") -> Iterator[str]:
    buffer = io.StringIO()
    # Excel writes CRLF; the scripts' CSV keeps the LF it always had.
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, delimiter=delimiter,
                            lineterminator="\n" if delimiter == "," else "\r\n")
    writer.writeheader()
    for cell in cells:
        writer.writerow(row(cell) if decimal == "." else _with_decimal(row(cell), decimal))
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _with_decimal(values: dict, decimal: str) -> dict:
    """A median or percentile written with the locale's decimal mark ("12,5")."""
    for name in ("value", "shown"):
        if isinstance(values[name], float):
            values[name] = f"{values[name]:g}".replace(".", decimal)
        elif name == "shown" and _is_decimal(values[name]):
            values[name] = values[name].replace(".", decimal)
    return values


def _is_decimal(text: str) -> bool:
    whole, dot, fraction = text.partition(".")
    return bool(dot) and is_digits(whole.lstrip("-")) and is_digits(fraction)


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
