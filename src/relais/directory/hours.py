"""Opening hours typed as a short line: "mon-fri 8:00-17:00; sat 9-12".

Day names are accepted in English, French and Dutch (first letters suffice); ranges of
days with "-". Each problem is reported in the user's language and nothing is saved.
"""

import re
from datetime import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relais.core.text import fold

DAY_NAMES = [
    ("monday", "lundi", "maandag"), ("tuesday", "mardi", "dinsdag"),
    ("wednesday", "mercredi", "woensdag"), ("thursday", "jeudi", "donderdag"),
    ("friday", "vendredi", "vrijdag"), ("saturday", "samedi", "zaterdag"),
    ("sunday", "dimanche", "zondag"),
]
# Two-letter Dutch abbreviations, which would otherwise be ambiguous ("ma", "di").
SHORT = {"ma": 0, "di": 1, "wo": 2, "do": 3, "vr": 4, "za": 5, "zo": 6}
PART = re.compile(r"^(?P<days>[^\d\s,-]+(?:\s*[-,]\s*[^\d\s,-]+)*)\s+(?P<ranges>\d.*)$")
RANGE = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?$")


def parse_hours(text: str) -> list[tuple[int, time, time]]:
    """[(weekday, opens, closes), ...]; ValidationError listing every problem."""
    rows, problems = [], []
    for part in [p.strip() for p in re.split(r"[;\n]", text or "") if p.strip()]:
        try:
            rows += _parse_part(part)
        except ValidationError as error:
            problems += error.messages
    if problems:
        raise ValidationError(problems, code="opening_hours")
    return rows


def _parse_part(part: str) -> list[tuple[int, time, time]]:
    # "8h30" is how French and Dutch speakers often write 8:30.
    normal = re.sub(r"(\d)h(\d*)", lambda m: f"{m[1]}:{m[2] or '00'}", part.lower())
    match = PART.match(normal.strip())
    if not match:
        raise ValidationError(_("“%(part)s”: write a day and hours, e.g. mon-fri 8:00-17:00.")
                              % {"part": part})
    days = _days(match["days"], part)
    hours = [_range(r.strip(), part) for r in match["ranges"].split(",")]
    return [(day, opens, closes) for day in days for opens, closes in hours]


def _day(name: str, part: str) -> int:
    if name in SHORT:
        return SHORT[name]
    matches = {index for index, names in enumerate(DAY_NAMES)
               for full in names if len(name) >= 2 and full.startswith(name)}
    if len(matches) == 1:
        return matches.pop()
    raise ValidationError(_("“%(part)s”: unknown day “%(day)s”.") % {"part": part, "day": name})


def _days(text: str, part: str) -> list[int]:
    """"mon-fri", "mon,wed,fri" or a single day."""
    days = []
    for piece in text.split(","):
        ends = [_day(fold(d), part) for d in piece.split("-")]
        if len(ends) == 1:
            days += ends
            continue
        first, last = ends[0], ends[-1]
        days += (list(range(first, last + 1)) if first <= last
                 else [*range(first, 7), *range(0, last + 1)])
    return sorted(set(days))


def _range(text: str, part: str) -> tuple[time, time]:
    match = RANGE.match(text.replace(" ", ""))
    if not match:
        raise ValidationError(_("“%(part)s”: hours look like 8:00-17:00.") % {"part": part})
    try:
        opens = time(int(match[1]), int(match[2] or 0))
        closes = time(int(match[3]) % 24, int(match[4] or 0)) if match[3] != "24" else time(
            23, 59)
    except ValueError:
        raise ValidationError(_("“%(part)s”: that is not a time of day.") % {"part": part}
                              ) from None
    if closes <= opens:
        raise ValidationError(_("“%(part)s”: the closing time is before the opening time.")
                              % {"part": part})
    return opens, closes


def format_hours(rows) -> str:
    """Back to the short line, for the edit form."""
    by_hours: dict[tuple, list[int]] = {}
    for row in rows:
        by_hours.setdefault((row.opens_at, row.closes_at), []).append(row.weekday)
    parts = []
    for (opens, closes), days in by_hours.items():
        names = ",".join(DAY_NAMES[d][0][:3] for d in sorted(days))
        parts.append(f"{names} {opens:%H:%M}-{closes:%H:%M}")
    return "; ".join(parts)
