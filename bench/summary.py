"""One machine-readable line per bench script, collected by `make bench` (bench/run_all.py).

A script adds its figures as it prints them and emits them once at the end, after its own
output, which stays as it was:

    summary.at_most("overall p95", p95, "ms", 25)       # a goal: met when value ≤ 25
    summary.figure("built in", seconds, "s")            # a figure without a goal
    summary.emit("directory_search")  # BENCH-SUMMARY {"script": …, "figures": [...]}
"""

import json

PREFIX = "BENCH-SUMMARY "
_figures: list[dict] = []


def figure(name: str, value, unit: str = "", *, goal: str = "", met: bool | None = None):
    _figures.append({"name": name, "value": value, "unit": unit, "goal": goal, "met": met})
    return value


def at_most(name: str, value, unit: str, limit) -> float:
    return figure(name, value, unit, goal=f"≤ {limit:g} {unit}".strip(), met=value <= limit)


def at_least(name: str, value, unit: str, limit) -> float:
    return figure(name, value, unit, goal=f"≥ {limit:g} {unit}".strip(), met=value >= limit)


def emit(script: str) -> None:
    print(PREFIX + json.dumps({"script": script, "figures": _figures}, ensure_ascii=False),
          flush=True)
    _figures.clear()


def percentile(values: list[float], share: float) -> float:
    """The value at `share` of the sorted values (the nearest rank), as the scripts print."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
