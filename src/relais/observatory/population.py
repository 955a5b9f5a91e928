"""Residents per municipality: the public figures shipped in `data/population.csv`.

Used for rates per 10,000 inhabitants (the directory's coverage). The file's source,
licence and reference date are in `data/SOURCE.md`; pages show the date beside any rate
computed with it.
"""

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "population.csv"


@dataclass(frozen=True)
class Population:
    nis_code: str
    residents: int
    reference_date: date


@cache
def populations() -> dict[str, Population]:
    """Every municipality's residents, keyed on its NIS code (read once per process)."""
    with DATA.open(encoding="utf-8", newline="") as handle:
        return {row["nis_code"]: Population(row["nis_code"], int(row["population"]),
                                            date.fromisoformat(row["reference_date"]))
                for row in csv.DictReader(handle)}


def residents(nis_code: str) -> int | None:
    """The municipality's residents, None for a code the file does not know."""
    found = populations().get(nis_code)
    return found.residents if found else None


def reference_date() -> date:
    """The date the figures count residents on (the same for every row)."""
    return min(p.reference_date for p in populations().values())


def per_10000(count: int | None, nis_codes: list[str]) -> float | None:
    """`count` per 10,000 residents of these municipalities; None when it cannot be said."""
    known = [residents(code) for code in nis_codes]
    if count is None or not known or None in known or not sum(known):
        return None
    return count * 10000 / sum(known)
