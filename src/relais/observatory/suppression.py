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
# Cells are numbered; marks, counts and bounds are lists indexed by cell number, and an
# equation is (total, parts) of numbers: the rules below run over tens of thousands of
# cells per indicator, many times.

SHOWN, SMALL, HIDDEN = 0, 1, 2
MARKS = {SHOWN: Mark.SHOWN, SMALL: Mark.SMALL, HIDDEN: Mark.HIDDEN}
MAX_AUDITS = 12  # then every shown part of a sum that still narrows a small cell is hidden


class _Table:
    def __init__(self, counts: dict, indicator: Indicator, opts: Options):
        counts = dict(counts)
        # The zeros an equation adds are cells of other equations (a zero month is the
        # total of its zero breakdown parts, a zone's zero quarter the sum of its
        # municipalities'): repeat until the cells stop growing, so that the system holds
        # every sum an attacker can write over the published cells.
        while True:
            cells = len(counts)
            system = _with_zeros(equations(counts, indicator), counts)
            if len(counts) == cells:
                break
        self.keys = list(counts)
        number = {key: n for n, key in enumerate(self.keys)}
        self.counts = [counts[key] for key in self.keys]
        self.marks = [SMALL if is_small(n, opts) else SHOWN for n in self.counts]
        self.system = [(number[total], tuple(number[p] for p in parts))
                       for total, parts in system]
        self.by_cell = [[] for _ in self.keys]
        for e, (total, parts) in enumerate(self.system):
            self.by_cell[total].append(e)
            for part in parts:
                self.by_cell[part].append(e)
        self.opts = opts

    def hide(self, cell: int, mark: int, queue: list) -> None:
        self.marks[cell] = mark
        queue.extend(self.by_cell[cell])


def protect(counts: dict[CellKey, int], indicator: Indicator, opts: Options) -> dict:
    """The mark of every cell of one indicator (cells absent from `counts` are zeros,
    shown). Deterministic: the same counts and options give the same marks."""
    if not indicator.personal:
        return {key: Mark.SHOWN for key in counts}
    table = _Table(counts, indicator, opts)
    _settle_all(table, list(range(len(table.system))))
    for audit in range(MAX_AUDITS + 1):
        exposed = _audit(table)
        if not exposed:
            break
        queue = _widen(table, exposed, everything=audit == MAX_AUDITS)
        if not queue:
            break
        _settle_all(table, queue)
    return {key: MARKS[mark] for key, mark in zip(table.keys, table.marks, strict=True)}


def _settle_all(table: _Table, queue: list) -> None:
    """Apply the rules to the queued equations, and again to those a change touches."""
    pending = set(queue)
    queue = deque(sorted(pending))
    while queue:
        e = queue.popleft()
        pending.discard(e)
        touched: list = []
        _settle(table, *table.system[e], touched)
        _blur_zeros(table, *table.system[e], touched)
        for other in touched:
            if other not in pending:
                pending.add(other)
                queue.append(other)


def _settle(table: _Table, total: int, parts: tuple, touched: list) -> None:
    """Hide one more cell of this equation while it gives a hidden one away."""
    marks, counts = table.marks, table.counts
    while True:
        hidden = [p for p in parts if marks[p] != SHOWN]
        total_hidden = marks[total] != SHOWN
        if (not hidden and not total_hidden) or (total_hidden and hidden):
            return
        if not total_hidden and _protected(table, hidden):
            return
        shown = [(counts[p], p) for p in parts if marks[p] == SHOWN and counts[p] > 0]
        if shown:
            table.hide(min(shown)[1], HIDDEN, touched)
        elif not total_hidden and counts[total] > 0:
            table.hide(total, HIDDEN, touched)
        else:
            return


def _protected(table: _Table, hidden: list) -> bool:
    """Given the shown total, each small hidden cell can still be any of 0..t−1."""
    if len(hidden) < 2:
        return False
    marks, counts, threshold = table.marks, table.counts, table.opts.threshold
    small = [counts[c] for c in hidden if marks[c] == SMALL]
    if not any(small):
        return True
    others = [counts[c] for c in hidden if marks[c] == HIDDEN]
    if not others:
        return False  # only small cells: their sum would bound each of them
    # Each small cell can be anything from 0 to t − 1 if the hidden cells leave room.
    return sum(small) + sum(n - threshold for n in others) >= threshold - 1


def _blur_zeros(table: _Table, total: int, parts: tuple, touched: list) -> None:
    """Under a total that is not shown, a zero part reads "<10" too: knowing which
    parts are empty would narrow the others."""
    if table.marks[total] == SHOWN:
        return
    for part in parts:
        if table.counts[part] == 0 and table.marks[part] == SHOWN:
            table.hide(part, SMALL, touched)


def _widen(table: _Table, exposed: set, *, everything: bool) -> list:
    """Hide one more shown cell (all of them, the last time) in each equation that holds
    an exposed small cell, else in the equations of the hidden cells beside it; returns
    the equations to settle again."""
    queue: list = []
    for cell in sorted(exposed):
        around = table.by_cell[cell]
        if not any(_hide_more(table, e, everything, queue) for e in around):
            beside = {c for e in around for c in (table.system[e][0], *table.system[e][1])
                      if table.marks[c] != SHOWN and c != cell}
            for other in sorted(beside):
                for e in table.by_cell[other]:
                    _hide_more(table, e, everything, queue)
    return queue


def _hide_more(table: _Table, e: int, everything: bool, queue: list) -> bool:
    total, parts = table.system[e]
    marks, counts = table.marks, table.counts
    shown = sorted((counts[p], p) for p in parts if marks[p] == SHOWN and counts[p] > 0)
    if not shown and marks[total] == SHOWN and counts[total] > 0:
        shown = [(counts[total], total)]
    for _count, cell in shown if everything else shown[:1]:
        table.hide(cell, HIDDEN, queue)
    return bool(shown)


# --- the audit: what an attacker who knows every shown cell and every sum can infer ----


def _known(count: int, mark: int, opts: Options) -> tuple[float, float]:
    if mark == SMALL:
        return 0, opts.threshold - 1  # "<10" may be an empty part under a hidden total
    if mark == HIDDEN:
        return opts.threshold, math.inf
    shown = rounded(count, opts)
    if shown == 0:
        return 0, 0
    half = opts.rounding // 2
    low = opts.threshold if shown < opts.threshold + opts.rounding else shown - half
    return low, shown + half


def _audit(table: _Table) -> set:
    """The small, non-empty cells an attacker can narrow below 0..threshold − 1
    (interval propagation through every equation until nothing moves)."""
    marks, opts = table.marks, table.opts
    known = [_known(n, m, opts) for n, m in zip(table.counts, marks, strict=True)]
    low, high = [k[0] for k in known], [k[1] for k in known]
    queue = deque(e for e, (total, parts) in enumerate(table.system)
                  if marks[total] != SHOWN or any(marks[p] != SHOWN for p in parts))
    queued = set(queue)
    while queue:
        e = queue.popleft()
        queued.discard(e)
        for cell in _tighten(low, high, *table.system[e]):
            for other in table.by_cell[cell]:
                if other not in queued:
                    queued.add(other)
                    queue.append(other)
    top = opts.threshold - 1
    return {c for c, mark in enumerate(marks)
            if mark == SMALL and table.counts[c] and (low[c] > 0 or high[c] < top)}


def _tighten(low: list, high: list, total: int, parts: tuple) -> list:
    """Narrow the bounds of one equation's cells; the cells that moved."""
    moved = []
    low_sum = sum(low[p] for p in parts)
    high_sum = sum(high[p] for p in parts)
    if low_sum > low[total] or high_sum < high[total]:
        low[total], high[total] = max(low[total], low_sum), min(high[total], high_sum)
        moved.append(total)
    t_low, t_high = low[total], high[total]
    for p in parts:
        new_low = max(low[p], t_low - (high_sum - high[p]))
        new_high = min(high[p], t_high - (low_sum - low[p]))
        if new_low != low[p] or new_high != high[p]:
            low_sum += new_low - low[p]
            high_sum += new_high - high[p]
            low[p], high[p] = new_low, new_high
            moved.append(p)
    return moved
