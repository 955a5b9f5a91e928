"""The computation: person data in, aggregate figures without identifiers out."""

from datetime import date, timedelta

import pytest

from relais.directory.models import Category
from relais.network.models import PriorityGroup
from relais.observatory import compute
from relais.observatory.models import Computation, ComputationStatus, Figure
from relais.stays.models import DeclineReason, PlanItem, ReferralStatus

from .conftest import at


def cell(indicator, zone="north-east", nis="", period="month", start=date(2025, 3, 1),
         dimension="", key=""):
    row = Figure.objects.filter(
        computation=compute.latest_done(), indicator=indicator, zone=zone, municipality=nis,
        period=period, period_start=start, dimension=dimension, key=key).first()
    return row


def count(*args, **kwargs):
    row = cell(*args, **kwargs)
    return row.count if row else 0


def test_admissions_are_counted_per_municipality_zone_brussels_and_period(build):
    for person in build.persons(3, nis="21015"):  # Schaerbeek, north-east
        build.stay(person, at(2025, 3, 5))
    build.stay(build.person(nis="21006"), at(2025, 4, 2))  # Evere, north-east
    build.stay(build.person(nis="21016"), at(2025, 3, 20))  # Uccle, south

    run = compute.compute()

    assert run.status == ComputationStatus.DONE
    assert count("admissions", nis="21015") == 3
    assert count("admissions") == 3
    assert count("admissions", zone="south", nis="21016") == 1
    assert count("admissions", zone="") == 4
    assert count("admissions", period="quarter", start=date(2025, 1, 1)) == 3
    assert count("admissions", period="quarter", start=date(2025, 4, 1)) == 1
    assert count("admissions", period="year", start=date(2025, 1, 1)) == 4
    assert count("admissions", zone="", period="year", start=date(2025, 1, 1)) == 5


def test_brussels_city_is_split_by_postcode_and_a_hand_set_zone_wins(build):
    from relais.core.models import CareZone

    build.stay(build.person(nis="21004", postcode="1020"), at(2025, 3, 5))  # Laeken: north
    build.stay(build.person(nis="21004", postcode="1000"), at(2025, 3, 5))  # centre-west
    build.stay(build.person(nis="21004", postcode=""), at(2025, 3, 5))  # zone not known
    build.stay(build.person(nis="21016", care_zone_override=CareZone.objects.get(
        code="north")), at(2025, 3, 5))

    compute.compute()

    assert count("admissions", zone="north", nis="21004") == 1
    assert count("admissions", zone="centre-west", nis="21004") == 1
    assert count("admissions", zone="unknown", nis="21004") == 1
    assert count("admissions", zone="north", nis="21016") == 1
    assert count("admissions", zone="north") == 2


def test_discharges_without_a_plan_readmissions_and_length_of_stay(build):
    person = build.person()
    first = build.stay(person, at(2025, 3, 1), days=4)  # no plan item at all
    planned = build.stay(build.person(), at(2025, 3, 2), days=10)
    PlanItem.objects.create(stay=planned, domain="care", text_en="x")
    build.stay(build.person(), at(2025, 3, 3), days=6, discharge_reason="Left anyway")
    build.stay(person, at(2025, 3, 20), previous_stay=first)  # unplanned readmission
    build.stay(build.person(), at(2025, 3, 21), previous_stay=planned,
               readmission_planned=True)

    compute.compute()

    assert count("discharges") == 5
    assert count("discharges_without_plan") == 4
    assert count("discharges_without_plan", dimension="why", key="open_items") == 0
    assert count("discharges_without_plan", dimension="why", key="no_plan") == 4
    assert count("readmissions_30d") == 1
    median = cell("length_of_stay_median")
    assert (median.count, median.value) == (5, 5.0)
    assert cell("length_of_stay_p90").value == 10.0


def test_priority_groups_overlap_and_are_counted_each(build):
    build.stay(build.person(priority_groups=[PriorityGroup.ISOLATED_PARENT]), at(2025, 3, 1))
    build.stay(build.person(priority_groups=[PriorityGroup.ISOLATED, PriorityGroup.HOMELESS]),
               at(2025, 3, 1))

    compute.compute()

    def group(key):
        return count("admissions_priority", dimension="priority_group", key=key)
    assert (group("isolated"), group("isolated_parent"), group("homeless")) == (1, 1, 1)


def test_referrals_by_category_outcome_reason_and_answer_times(build):
    person = build.person()
    sent = at(2025, 3, 3)
    build.referral(person, sent, ReferralStatus.ACCEPTED, timedelta(hours=3))
    build.referral(person, sent, ReferralStatus.DECLINED, timedelta(hours=30),
                   category=Category.MEALS, decline_reason=DeclineReason.NO_CAPACITY)
    build.referral(build.person(), sent, ReferralStatus.STARTED, timedelta(hours=10))
    build.referral(build.person(), sent)

    compute.compute()

    assert count("referrals") == 4
    assert count("referrals", dimension="category", key="meals") == 1
    assert count("referrals", dimension="outcome", key="accepted") == 2
    assert count("referrals", dimension="outcome", key="pending") == 1
    assert count("referrals", dimension="reason", key="no_capacity") == 1
    assert (cell("answer_hours_median").count, cell("answer_hours_median").value) == (3, 10.0)
    assert cell("answer_hours_p90").value == 30.0


def test_flows_say_whether_residents_stay_in_their_zone(build, second_hospital):
    # Auderghem's residents (south-east), in Woluwe-Saint-Lambert (south-east) and Uccle.
    build.stay(build.person(nis="21002"), at(2025, 3, 1))
    build.stay(build.person(nis="21002"), at(2025, 3, 1), hospital=second_hospital)

    compute.compute()

    def flow(key, dimension="hospital_zone"):
        return count("admissions", zone="south-east", dimension=dimension, key=key)
    assert (flow("inside"), flow("outside")) == (1, 1)
    assert flow(str(second_hospital.pk), "hospital") == 1


def test_no_figure_carries_an_identifier():
    names = {f.name for f in Figure._meta.get_fields()}
    assert names == {"id", "computation", "indicator", "zone", "municipality", "period",
                     "period_start", "dimension", "key", "count", "value", "mark"}


def test_a_failed_run_is_never_shown(build, monkeypatch):
    build.stay(build.person(), at(2025, 3, 1))
    good = compute.compute()

    def broken():
        raise RuntimeError("database went away")
    spec = compute.Spec("admissions", broken, "admitted_at", "person__")
    with pytest.raises(RuntimeError):
        compute.compute(specs=[spec])

    assert compute.latest_done() == good
    assert Computation.objects.filter(status=ComputationStatus.FAILED).count() == 1
    assert count("admissions") == 1


def test_since_keeps_earlier_years_and_recomputes_the_rest(build):
    build.stay(build.person(), at(2024, 3, 1))
    build.stay(build.person(), at(2025, 3, 1))
    compute.compute()

    build.stay(build.person(), at(2025, 3, 2))
    compute.compute(since=date(2025, 6, 1))

    assert count("admissions", start=date(2024, 3, 1)) == 1
    assert count("admissions") == 2
    assert count("admissions", zone="", period="year", start=date(2024, 1, 1)) == 1


def test_one_zone_recomputed_keeps_the_others_and_brussels_adds_up(build):
    build.stay(build.person(nis="21016"), at(2025, 3, 1))  # south
    build.stay(build.person(nis="21002"), at(2025, 3, 1))  # south-east
    compute.compute()
    build.stay(build.person(nis="21016"), at(2025, 3, 2))
    build.stay(build.person(nis="21002"), at(2025, 3, 2))

    compute.compute(zone="south")

    assert count("admissions", zone="south") == 2
    assert count("admissions", zone="south-east") == 1  # kept from the last run
    assert count("admissions", zone="") == 3  # the sum of the zones shown
