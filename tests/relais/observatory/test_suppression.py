"""Small cells: the rules, an adversary that tries to recover them, and a property test
that nothing published lies between 1 and threshold − 1."""

import random
from collections import Counter
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relais.observatory.compute import _fold
from relais.observatory.indicators import BY_CODE
from relais.observatory.suppression import Mark, Options, label, options, protect, published

from .attack import attack

REFERRALS = BY_CODE["referrals"]
OPTS = Options(threshold=10, rounding=5)
PLACES = [("north", "21003"), ("north", "21008"), ("north", "21010"), ("south", "21016"),
          ("south", "21007"), ("unknown", "unknown")]
CATEGORIES = ["home_nursing", "meals", "gp", "palliative"]


def cube(events) -> dict:
    """Fold (place index, month 1–12, category index, n) events as the computation does,
    with a "category" breakdown and the total."""
    months = Counter()
    for place, month, category, n in events:
        zone, nis = PLACES[place % len(PLACES)]
        start = date(2025, month, 1)
        months[(zone, nis, start, "", "")] += n
        months[(zone, nis, start, "category", CATEGORIES[category % len(CATEGORIES)])] += n
    return dict(_fold(months))


def random_events(seed, size=120) -> list:
    rng = random.Random(seed)
    return [(rng.randrange(6), rng.randint(1, 12), rng.randrange(4),
             rng.choice([1, 1, 2, 3, 5, 8, 13, 40])) for _ in range(size)]


# --- the options -----------------------------------------------------------------------


def test_the_defaults_come_from_the_settings(settings):
    settings.RELAIS_OBSERVATORY_THRESHOLD = 11
    assert options() == Options(11, 5)
    assert options("5", 10) == Options(5, 10)


@pytest.mark.parametrize(("threshold", "rounding", "message"), [
    (4, None, "Le seuil des petits nombres ne peut pas être inférieur à 5."),
    ("ten", None, "Le seuil doit être un nombre entier."),
    (10, 0, "Les nombres peuvent être arrondis à un multiple de 1 à 100."),
])
def test_bad_options_are_refused_with_a_translated_message(threshold, rounding, message):
    with translation.override("fr"):
        with pytest.raises(ValidationError) as refused:
            options(threshold, rounding)
        assert refused.value.messages == [message]


def test_small_counts_read_below_the_threshold_and_others_are_rounded():
    assert label(3, Mark.SMALL, OPTS) == "<10"
    assert label(12, Mark.SHOWN, OPTS) == "10"
    assert label(13, Mark.SHOWN, OPTS) == "15"
    assert label(40, Mark.HIDDEN, OPTS) == "–"
    assert published(7, Mark.SHOWN, Options(7, 5)) == 10  # never rounded under the threshold
    assert published(0, Mark.SHOWN, OPTS) == 0


# --- complementary suppression ---------------------------------------------------------


def test_one_small_municipality_hides_a_second_one_so_the_zone_total_gives_nothing_away():
    counts = {("north", "", "year", date(2025, 1, 1), "", ""): 63,
              ("north", "21003", "year", date(2025, 1, 1), "", ""): 3,
              ("north", "21008", "year", date(2025, 1, 1), "", ""): 20,
              ("north", "21010", "year", date(2025, 1, 1), "", ""): 40}

    marks = protect(counts, REFERRALS, OPTS)

    assert [marks[key] for key in counts] == [Mark.SHOWN, Mark.SMALL, Mark.HIDDEN, Mark.SHOWN]


def test_a_complement_too_small_to_hide_the_small_cell_brings_a_third():
    # 3 + 10 = 13 shown as a difference: the small cell would be at most 3.
    counts = {("north", "", "year", date(2025, 1, 1), "", ""): 53,
              ("north", "21003", "year", date(2025, 1, 1), "", ""): 3,
              ("north", "21008", "year", date(2025, 1, 1), "", ""): 10,
              ("north", "21010", "year", date(2025, 1, 1), "", ""): 40}

    marks = protect(counts, REFERRALS, OPTS)

    assert [marks[key] for key in counts] == [Mark.SHOWN, Mark.SMALL, Mark.HIDDEN, Mark.HIDDEN]


def test_a_total_with_only_a_small_part_is_hidden_itself():
    counts = {("north", "", "year", date(2025, 1, 1), "", ""): 14,
              ("north", "21003", "year", date(2025, 1, 1), "", ""): 14,
              ("north", "", "year", date(2025, 1, 1), "category", "gp"): 4,
              ("north", "", "year", date(2025, 1, 1), "category", "meals"): 10}

    marks = protect(counts, REFERRALS, OPTS)

    assert marks[("north", "", "year", date(2025, 1, 1), "category", "meals")] == Mark.HIDDEN


@pytest.mark.parametrize("seed", range(25))
def test_the_adversary_recovers_no_small_cell(seed):
    counts = cube(random_events(seed))
    marks = protect(counts, REFERRALS, OPTS)

    bounds = attack(counts, marks, REFERRALS, OPTS)

    small = [key for key, mark in marks.items() if mark == Mark.SMALL and counts.get(key)]
    assert small  # the data has small cells to attack
    for key in small:
        low, high = bounds[key]
        assert low <= counts[key] <= high  # the attacker reasons soundly
        # At least half of 0..9 stays possible: never pinned, never nearly so.
        assert high - low >= (OPTS.threshold - 1) // 2, (key, counts[key], bounds[key])


def test_differencing_a_zone_and_its_municipalities_or_a_quarter_and_its_months():
    counts = cube([(0, 1, 0, 3), (1, 1, 0, 40), (2, 1, 0, 25), (0, 2, 0, 30), (0, 3, 0, 30)])
    marks = protect(counts, REFERRALS, OPTS)
    january_berchem = ("north", "21003", "month", date(2025, 1, 1), "", "")
    assert marks[january_berchem] == Mark.SMALL

    def shown(zone, nis, period, start):
        key = (zone, nis, period, start, "", "")
        return published(counts.get(key, 0), marks.get(key, Mark.SHOWN), OPTS)

    zone = shown("north", "", "month", date(2025, 1, 1))
    others = [shown("north", nis, "month", date(2025, 1, 1)) for nis in ("21008", "21010")]
    assert zone is None or None in others  # zone minus the other municipalities: unknown
    quarter = shown("north", "21003", "quarter", date(2025, 1, 1))
    months = [shown("north", "21003", "month", date(2025, m, 1)) for m in (2, 3)]
    assert quarter is None or None in months  # the quarter minus its other months: unknown


# --- the property: nothing published is between 1 and threshold − 1 --------------------

events = st.lists(st.tuples(st.integers(0, 5), st.integers(1, 12), st.integers(0, 3),
                            st.integers(1, 30)), min_size=1, max_size=60)


# Derandomised: CI asks the same 150 cases each run (a failure is a regression, not
# luck); run it with `--hypothesis-seed=random` to look for new ones.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(events=events, threshold=st.integers(5, 15), rounding=st.sampled_from([1, 2, 5, 10]))
def test_no_published_count_is_between_1_and_the_threshold(events, threshold, rounding):
    opts = Options(threshold, rounding)
    counts = cube(events)
    marks = protect(counts, REFERRALS, opts)

    for key, mark in marks.items():
        value = published(counts.get(key, 0), mark, opts)
        assert value is None or value == 0 or value >= threshold
        assert label(counts.get(key, 0), mark, opts) in {f"<{threshold}", "–", str(value)}
    bounds = attack(counts, marks, REFERRALS, opts)
    for key, mark in marks.items():
        if mark == Mark.SMALL and counts.get(key):
            assert bounds[key][0] < bounds[key][1], "a small cell was pinned down"


# Found by the property above with a random seed on 3 Dec 2026: the protection's own audit
# passed these marks, yet the attacker pinned South's first quarter to exactly 4 (the year,
# 9, shown; the second quarter, hidden, pinned to 5 through the zone's and the breakdown's
# sums). The protection had not written the sums whose total is a zero cell it added.
def test_a_quarter_is_not_pinned_through_the_year_and_a_hidden_quarter():
    events = [(0, 1, 0, 1), (0, 1, 0, 1), (0, 1, 0, 1), (0, 1, 0, 1), (0, 1, 0, 4),
              (0, 5, 1, 1), (3, 1, 0, 4), (3, 4, 2, 5)]
    opts = Options(5, 1)
    counts = cube(events)
    marks = protect(counts, REFERRALS, opts)
    bounds = attack(counts, marks, REFERRALS, opts)
    pinned = [key for key, mark in marks.items()
              if mark == Mark.SMALL and counts.get(key) and bounds[key][0] >= bounds[key][1]]
    assert pinned == []
