"""The catalogue of indicators: what each counts, its breakdowns, and how it publishes.

`additive` breakdowns split the total into parts that sum to it (a referral has one
category): suppression treats "total = sum of parts" as an equation an attacker could
use. A breakdown whose parts overlap (a person can be in several priority groups) is not
additive: each part is still suppressed on its own. `personal=False` marks counts of
things that are not people (directory services): they are published exactly.
A `nested` breakdown splits one part of another (the declined referrals by reason).
`values` indicators carry a derived value (a median, a percentile) and the count of
items it was computed over; the value is shown only when that count is publishable.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    unit: str = "count"  # "count", "hours", "days"
    additive: tuple[str, ...] = ()  # breakdowns whose parts sum to the total
    overlapping: tuple[str, ...] = ()  # breakdowns whose parts overlap
    # Breakdowns of one part of another: (breakdown, of breakdown, part), e.g. the reasons
    # of the declined referrals add up to the "declined" outcome.
    nested: tuple[tuple[str, str, str], ...] = ()
    base: str = ""  # the indicator a rate divides by (same place, period, breakdown)
    personal: bool = True
    is_value: bool = False
    dimensions: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        nested = tuple(name for name, _of, _part in self.nested)
        object.__setattr__(self, "dimensions", self.additive + self.overlapping + nested)


CATALOGUE = [
    Indicator("admissions", _("Hospital admissions"),
              additive=("admission_type", "hospital", "hospital_zone")),
    Indicator("admissions_priority", _("Admissions of people in a priority group"),
              overlapping=("priority_group",), base="admissions"),
    Indicator("discharges", _("Discharges"), additive=("destination",)),
    Indicator("discharges_without_plan", _("Discharges without a plan"), additive=("why",),
              base="discharges"),
    Indicator("length_of_stay_median", _("Length of stay, median"), unit="days",
              is_value=True),
    Indicator("length_of_stay_p90", _("Length of stay, 90th percentile"), unit="days",
              is_value=True),
    Indicator("readmissions_30d", _("Unplanned readmissions within 30 days"),
              base="discharges"),
    Indicator("screenings", _("Screenings"), additive=("band",)),
    # Each count is published once: no breakdown repeats another indicator's cells (an
    # equal cell suppressed in one and shown in the other would give it away).
    Indicator("referrals", _("Referrals sent"), additive=("category", "outcome"),
              nested=(("reason", "outcome", "declined"),)),
    Indicator("answer_hours_median", _("Time to answer a referral, median"), unit="hours",
              is_value=True),
    Indicator("answer_hours_p90", _("Time to answer a referral, 90th percentile"),
              unit="hours", is_value=True),
    Indicator("urgent_referrals", _("Urgent referrals"), additive=("urgency",)),
    Indicator("urgent_started_in_time", _("Urgent referrals started in time (24/72 h)"),
              additive=("urgency",), base="urgent_referrals"),
    Indicator("followup_contacts", _("Follow-up contacts due"), additive=("timeliness",)),
    Indicator("refusals", _("Refusals of help"), overlapping=("reason",)),
    Indicator("watches", _("Situations kept in view (watches started)")),
    Indicator("restarts", _("Support restarted after a refusal")),
    Indicator("consultations", _("Consultations asked"), additive=("answered",)),
    Indicator("services", _("Directory services serving the municipality"),
              additive=("category",), personal=False),
]

BY_CODE = {indicator.code: indicator for indicator in CATALOGUE}
