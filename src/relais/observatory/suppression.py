"""Small cells: what the observatory may publish (R22; the rules in docs/observatory.md).

1. A count from 1 to threshold − 1 is *small*: shown as "<10" (the threshold), never as
   a number. The threshold defaults to RELAIS_OBSERVATORY_THRESHOLD (10) and is never
   below 5, whoever asks.
2. Every other count is rounded to the nearest `rounding` (5), and never below the
   threshold (a 7 with a threshold of 7 is shown as 10, not 5).
3. *Complementary* suppression: the cells of one indicator are bound by equations — a
   zone's count is the sum of its municipalities', Brussels' the sum of its zones', a
   quarter the sum of its months, a year of its quarters, a total the sum of an additive
   breakdown's parts. In every equation whose total is shown, the hidden cells are
   either none or at least two, and together they hide enough: each small cell could
   still be anything from 1 to threshold − 1 given the shown total (the hidden parts
   other than the small ones exceed the threshold by at least threshold − 2 in all).
   Otherwise the smallest shown part is hidden too ("–", not "<10": it is not small), or
   the total when no part is left. Hiding one cell can break another equation, so the
   rule runs until nothing changes. Zeros are shown and never hidden (hiding a zero
   hides nothing).
4. The pattern is computed over the whole of an indicator (every place, period and
   breakdown) and is the same whatever slice a page asks for, so two requests cannot be
   differenced into a hidden cell.
5. A rate is shown only when both its counts are shown; a median or percentile only
   when it was computed over a count that is not small.

Counts of things that are not people (the directory's services) are published as they
are. Equations are only exact within one indicator; see docs/observatory.md for what
is known to remain (inequalities between indicators).
"""

import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from relais.observatory.indicators import Indicator
from relais.observatory.models import REGION, WHOLE, PeriodKind

MINIMUM_THRESHOLD = 5

# (zone, municipality, period, period start, breakdown, part)
CellKey = tuple[str, str, str, object, str, str]


class Mark(StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # primary: 1 to threshold − 1
    HIDDEN = "hidden"  # complementary: hidden so that a small cell cannot be recovered


@dataclass(frozen=True)
class Options:
    threshold: int = 10
    rounding: int = 5


def options(threshold=None, rounding=None) -> Options:
    """Validated publication options; a threshold below 5 or a rounding base out of
    1–100 is refused with a translated message (ValidationError, nothing else done)."""
    threshold = _whole(threshold, settings.RELAIS_OBSERVATORY_THRESHOLD,
                       _("The threshold must be a whole number."))
    rounding = _whole(rounding, settings.RELAIS_OBSERVATORY_ROUNDING,
                      _("The rounding must be a whole number."))
    if threshold < MINIMUM_THRESHOLD:
        raise ValidationError(
            _("The threshold for small counts cannot be below %(minimum)s."),
            code="threshold", params={"minimum": MINIMUM_THRESHOLD})
    if threshold > 1000:
        raise ValidationError(_("The threshold for small counts cannot be above 1,000."),
                              code="threshold")
    if not 1 <= rounding <= 100:
        raise ValidationError(_("Counts can be rounded to a multiple of 1 to 100."),
                              code="rounding")
    return Options(threshold, rounding)


def _whole(value, default, message) -> int:
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(message, code="invalid") from None


# --- showing one count -----------------------------------------------------------------


def is_small(count: int, opts: Options) -> bool:
    return 1 <= count < opts.threshold


def rounded(count: int, opts: Options) -> int:
    """The shown value of a count that is not small: nearest multiple, never under the
    threshold (then the first multiple at or above it)."""
    if count == 0:
        return 0
    shown = int(opts.rounding * round(count / opts.rounding))
    if shown < opts.threshold:
        shown = -(-opts.threshold // opts.rounding) * opts.rounding
    return shown


def published(count: int, mark: Mark, opts: Options) -> int | None:
    return rounded(count, opts) if mark == Mark.SHOWN else None


def label(count: int | None, mark: Mark, opts: Options) -> str:
    """What a page or an export prints for a count."""
    if mark == Mark.SMALL:
        return f"<{opts.threshold}"
    if mark == Mark.HIDDEN:
        return "–"
    return str(rounded(count or 0, opts))


# --- the equations ---------------------------------------------------------------------


def equations(keys: Iterable[CellKey], indicator: Indicator) -> list[tuple[CellKey, list]]:
    """(total, parts) for every sum that holds between the indicator's cells. The parts
    are complete: a municipality, month or breakdown part with no row is a zero part."""
    keys = set(keys)
    found = _geography(keys) + _time(keys) + _breakdowns(keys, indicator)
    return found


def _with_zeros(system: list, counts: dict) -> list:
    """Add the zero parts an attacker knows exist: the other months of a quarter, the
    other quarters of a year, the zone's other municipalities, the breakdown's other
    parts (as seen anywhere in the indicator); they join `counts` as zeros."""
    municipalities, zones, parts_of = defaultdict(set), set(), defaultdict(set)
    for zone, nis, _period, _start, dimension, key in counts:
        if nis != WHOLE:
            municipalities[zone].add(nis)
        elif zone != REGION:
            zones.add(zone)
        if dimension:
            parts_of[dimension].add(key)
    completed = []
    for total, parts in system:
        family = _family(total, parts, municipalities, zones, parts_of)
        for part in family:
            counts.setdefault(part, 0)
        counts.setdefault(total, sum(counts[part] for part in family))
        completed.append((total, family))
    return completed


def _family(total, parts, municipalities, zones, parts_of) -> list:
    zone, nis, period, start, dimension, key = parts[0]
    if parts[0][:2] != total[:2]:  # a geography equation
        if total[0] == REGION:
            return [(z, WHOLE, period, start, dimension, key) for z in sorted(zones)]
        return [(zone, n, period, start, dimension, key)
                for n in sorted(municipalities[zone])]
    if parts[0][2] != total[2]:  # months of a quarter, quarters of a year
        step = 1 if period == PeriodKind.MONTH else 3
        count = 3 if period == PeriodKind.MONTH else 4
        return [(zone, nis, period, total[3].replace(month=total[3].month + step * i),
                 dimension, key) for i in range(count)]
    return [(zone, nis, period, start, dimension, k) for k in sorted(parts_of[dimension])]


def _geography(keys) -> list:
    zones, places = defaultdict(set), defaultdict(set)
    for zone, nis, period, start, dimension, key in keys:
        if zone != REGION and nis == WHOLE:
            zones[(period, start, dimension, key)].add((zone, WHOLE, period, start,
                                                         dimension, key))
        elif zone != REGION:
            places[(zone, period, start, dimension, key)].add((zone, nis, period, start,
                                                                dimension, key))
    found = [((REGION, WHOLE, *rest), sorted(parts))
             for rest, parts in zones.items()]
    found += [((zone, WHOLE, period, start, dimension, key), sorted(parts))
              for (zone, period, start, dimension, key), parts in places.items()]
    return found


def _time(keys) -> list:
    groups = defaultdict(set)
    for zone, nis, period, start, dimension, key in keys:
        if period == PeriodKind.MONTH:
            quarter = start.replace(month=3 * ((start.month - 1) // 3) + 1)
            groups[(zone, nis, PeriodKind.QUARTER, quarter, dimension, key)].add(
                (zone, nis, period, start, dimension, key))
        elif period == PeriodKind.QUARTER:
            groups[(zone, nis, PeriodKind.YEAR, start.replace(month=1), dimension, key)].add(
                (zone, nis, period, start, dimension, key))
    return [(total, sorted(parts)) for total, parts in groups.items()]


def _breakdowns(keys, indicator: Indicator) -> list:
    groups = defaultdict(set)
    nested = {name: (of, part) for name, of, part in indicator.nested}
    for zone, nis, period, start, dimension, key in keys:
        if dimension in indicator.additive:
            groups[(zone, nis, period, start, "", "")].add(
                (zone, nis, period, start, dimension, key))
        elif dimension in nested:
            of, part = nested[dimension]
            groups[(zone, nis, period, start, of, part)].add(
                (zone, nis, period, start, dimension, key))
    # One equation per breakdown: the parts of "category" and of "outcome" each add up.
    found = []
    for total, parts in groups.items():
        by_dimension = defaultdict(list)
        for part in parts:
            by_dimension[part[4]].append(part)
        found += [(total, sorted(group)) for group in by_dimension.values()]
    return found


# --- the marks -------------------------------------------------------------------------


def protect(counts: dict[CellKey, int], indicator: Indicator, opts: Options) -> dict:
    """The mark of every cell of one indicator (cells absent from `counts` are zeros,
    shown). Deterministic: the same counts and options give the same marks."""
    if not indicator.personal:
        return {key: Mark.SHOWN for key in counts}
    counts = dict(counts)
    system = _with_zeros(equations(counts, indicator), counts)
    marks = {key: Mark.SMALL if is_small(n, opts) else Mark.SHOWN for key, n in counts.items()}
    by_cell = defaultdict(list)
    for number, (total, parts) in enumerate(system):
        for cell in (total, *parts):
            by_cell[cell].append(number)
    while True:
        _settle_all(system, counts, marks, opts)
        exposed = _audit(system, by_cell, counts, marks, opts)
        if not exposed or not _widen(exposed, system, by_cell, counts, marks):
            return marks


def _settle_all(system, counts, marks, opts) -> None:
    changed = True
    while changed:
        changed = False
        for total, parts in system:
            changed |= _settle(total, parts, counts, marks, opts)
            changed |= _blur_zeros(total, parts, counts, marks)


def _blur_zeros(total, parts, counts, marks) -> bool:
    """Under a total that is not shown, a zero part reads "<10" too: knowing which
    parts are empty would narrow the others."""
    if marks[total] == Mark.SHOWN:
        return False
    blurred = False
    for part in parts:
        if counts[part] == 0 and marks[part] == Mark.SHOWN:
            marks[part] = Mark.SMALL
            blurred = True
    return blurred


def _widen(exposed, system, by_cell, counts, marks) -> bool:
    """Hide one more shown cell in each equation that narrowed an exposed small cell; when
    those equations have nothing left to hide, in the equations of their hidden cells."""
    widened = False
    for cell in sorted(exposed):
        frontier, seen = {cell}, set()
        while frontier and not widened:
            numbers = {n for c in frontier for n in by_cell[c]} - seen
            seen |= numbers
            for number in sorted(numbers):
                widened |= _hide_one_more(*system[number], counts, marks)
            frontier = {c for n in numbers for c in (system[n][0], *system[n][1])
                        if marks.get(c, Mark.SHOWN) != Mark.SHOWN} - frontier
    return widened


def _hide_one_more(total, parts, counts, marks) -> bool:
    candidates = sorted((counts[p], p) for p in parts
                        if marks.get(p, Mark.SHOWN) == Mark.SHOWN and counts.get(p, 0))
    if candidates:
        marks[candidates[0][1]] = Mark.HIDDEN
        return True
    if marks.get(total, Mark.SHOWN) == Mark.SHOWN and counts.get(total, 0):
        marks[total] = Mark.HIDDEN
        return True
    return False


# --- the audit: what an attacker who knows every shown cell and every sum can infer ----


def _known(count: int, mark: Mark, opts: Options) -> tuple[float, float]:
    if mark == Mark.SMALL:
        return 0, opts.threshold - 1  # "<10" may be an empty part under a hidden total
    if mark == Mark.HIDDEN:
        return opts.threshold, math.inf
    shown = rounded(count, opts)
    if shown == 0:
        return 0, 0
    half = opts.rounding // 2
    low = opts.threshold if shown < opts.threshold + opts.rounding else shown - half
    return low, shown + half


def _audit(system, by_cell, counts, marks, opts) -> set:
    """The small cells an attacker can narrow below 1..threshold − 1 (interval
    propagation through every equation until nothing moves)."""
    bounds = {key: _known(counts[key], marks[key], opts) for key in counts}
    queue = deque(number for number, (total, parts) in enumerate(system)
                  if any(marks.get(cell) != Mark.SHOWN for cell in (total, *parts)))
    queued = set(queue)
    while queue:
        number = queue.popleft()
        queued.discard(number)
        for cell in _tighten(bounds, *system[number]):
            for other in by_cell[cell]:
                if other not in queued:
                    queued.add(other)
                    queue.append(other)
    return {key for key, mark in marks.items() if mark == Mark.SMALL and counts[key]
            and (bounds[key][0] > 0 or bounds[key][1] < opts.threshold - 1)}


def _tighten(bounds, total, parts) -> list:
    """Narrow the bounds of one equation's cells; the cells that moved."""
    moved = []
    get = lambda key: bounds.get(key, (0, 0))  # noqa: E731 – an absent cell is a zero
    low_sum = sum(get(p)[0] for p in parts)
    high_sum = sum(get(p)[1] for p in parts)
    t_low, t_high = get(total)
    new = (max(t_low, low_sum), min(t_high, high_sum))
    if new != (t_low, t_high):
        bounds[total] = new
        moved.append(total)
        t_low, t_high = new
    for part in parts:
        low, high = get(part)
        new = (max(low, t_low - (high_sum - high)), min(high, t_high - (low_sum - low)))
        if new != (low, high):
            bounds[part] = new
            moved.append(part)
            low_sum += new[0] - low
            high_sum += new[1] - high
    return moved


def _settle(total, parts, counts, marks, opts) -> bool:
    """Hide one more cell of this equation if it gives a hidden one away; True if so."""
    hidden = [part for part in parts if marks[part] != Mark.SHOWN]
    total_hidden = marks[total] != Mark.SHOWN
    if not hidden and not total_hidden:
        return False
    if total_hidden and hidden:
        return False
    if not total_hidden and _protected(hidden, counts, marks, opts):
        return False
    shown = sorted((counts[part], part) for part in parts
                   if marks.get(part, Mark.SHOWN) == Mark.SHOWN and counts.get(part, 0) > 0)
    if shown:
        marks[shown[0][1]] = Mark.HIDDEN
    elif not total_hidden and counts.get(total, 0) > 0:
        marks[total] = Mark.HIDDEN
    else:
        return False
    return True


def _protected(hidden, counts, marks, opts) -> bool:
    """Given the shown total, each small hidden cell can still be any of 1..t−1."""
    if len(hidden) < 2:
        return False
    small = [counts[cell] for cell in hidden if marks[cell] == Mark.SMALL]
    if not any(small):
        return True
    others = [counts[cell] for cell in hidden if marks[cell] == Mark.HIDDEN]
    if not others:
        return False  # only small cells: their sum would bound each of them
    # Each small cell can be anything from 0 to t − 1 if the hidden cells leave room.
    slack = sum(small) + sum(n - opts.threshold for n in others)
    return slack >= opts.threshold - 1
