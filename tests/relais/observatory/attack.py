"""An attacker who knows every published cell and every equation between them, and
tightens each hidden cell's possible values until nothing moves (interval propagation,
the differencing of totals, of zones minus municipalities and of periods minus months)."""

import math

from relais.observatory.suppression import Mark, equations

INFINITY = math.inf


def seen(count, mark, opts) -> tuple[float, float]:
    """What the attacker knows of one cell from what is published."""
    if mark == Mark.SMALL:
        return 0, opts.threshold - 1  # "<10": fewer than ten, perhaps none
    if mark == Mark.HIDDEN:
        return opts.threshold, INFINITY
    from relais.observatory.suppression import rounded

    shown = rounded(count, opts)
    if shown == 0:
        return 0, 0
    half = opts.rounding // 2
    low = opts.threshold if shown < opts.threshold + opts.rounding else shown - half
    return low, shown + half


def attack(counts, marks, indicator, opts, rounds=200) -> dict:
    bounds = {key: seen(counts.get(key, 0), marks[key], opts) for key in marks}
    system = [(total, parts) for total, parts in equations(marks, indicator)]
    for _ in range(rounds):
        moved = False
        for total, parts in system:
            moved |= _tighten(bounds, total, parts)
        if not moved:
            break
    return bounds


def _tighten(bounds, total, parts) -> bool:
    moved = False
    get = lambda key: bounds.get(key, (0, 0))  # noqa: E731 – absent cells are zeros
    low_sum = sum(get(p)[0] for p in parts)
    high_sum = sum(get(p)[1] for p in parts)
    t_low, t_high = get(total)
    new_total = (max(t_low, low_sum), min(t_high, high_sum))
    if new_total != (t_low, t_high):
        bounds[total], moved = new_total, True
    t_low, t_high = bounds.get(total, (0, 0))
    for part in parts:
        low, high = get(part)
        others_low = low_sum - low
        others_high = high_sum - high
        new = (max(low, t_low - others_high), min(high, t_high - others_low))
        if new != (low, high):
            bounds[part], moved = new, True
            low_sum += new[0] - low
            high_sum += new[1] - high
    return moved
