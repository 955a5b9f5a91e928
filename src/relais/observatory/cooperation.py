"""The cooperation map's computation (R8, R21; issue 14): who actually works with whom.

For each year and each pair of organisations, among the residents of each zone:
- `network`: the persons whose care network held both organisations that year (an
  organisation member, or a professional member working for it), counted once each;
- `referral_sent` / `referral_accepted`: the referrals from the sending organisation to
  the receiving one, and those of them accepted (accepted, started or completed);
- `consultation`: the consultations asked for one organisation that a member for the
  other answered.

Like `compute`, this module reads person data only in set-based queries that GROUP BY
the three columns placing a person, the year and the two organisations: the database
never returns a person row. Persons are placed in zones by the same rule as every other
figure (`places.Places`), zones add up to Brussels, and each kind's cells are marked by
`suppression.protect` over the whole year (Brussels = the sum of the zones; for
referrals, the pairs add up to the zone's referrals, which the dashboard publishes).
"""

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Membership
from relais.booklet.models import Consultation, Invitation
from relais.network.models import NetworkMember, Person
from relais.observatory import suppression
from relais.observatory.indicators import Indicator
from relais.observatory.models import REGION, WHOLE, Computation, Link, LinkKind, PeriodKind
from relais.observatory.places import Places
from relais.stays.models import Referral, ReferralStatus

YEARS = 5  # the map is computed for this year and the four before
BATCH = 5000
PAIR = "pair"  # the breakdown whose parts are the pairs ("a>b")
ACCEPTED = (ReferralStatus.ACCEPTED, ReferralStatus.STARTED, ReferralStatus.COMPLETED)

# How suppression sees each kind. Referrals of a pair add up to the zone's referrals (a
# referral has one sender and one receiver): an additive breakdown with its total. A
# person shares networks with many pairs, a consultation may be answered by several
# organisations: those pairs overlap, each is protected on its own and by Brussels' sum.
INDICATORS = {
    LinkKind.NETWORK: Indicator("link_network", _("Shared care networks"),
                                overlapping=(PAIR,)),
    LinkKind.REFERRAL_SENT: Indicator("link_referral_sent", _("Referrals sent"),
                                      additive=(PAIR,)),
    LinkKind.REFERRAL_ACCEPTED: Indicator("link_referral_accepted", _("Referrals accepted"),
                                          additive=(PAIR,)),
    LinkKind.CONSULTATION: Indicator("link_consultation", _("Consultations answered"),
                                     overlapping=(PAIR,)),
}

# (zone override id, municipality id, postcode, organisation a, organisation b, count)
Row = tuple[int | None, int | None, str | None, int, int, int]


def compute_links(run: Computation, places: Places, now: datetime, opts) -> int:
    """Write the links of the last YEARS years under `run`; returns the rows written."""
    this_year = timezone.localtime(now).year
    written = 0
    for year in range(this_year - YEARS + 1, this_year + 1):
        for kind, rows in _kinds(year):
            cube = _cube(rows, places, date(year, 1, 1))
            written += _write(run, kind, cube, opts)
    return written


def _kinds(year: int) -> Iterator[tuple[str, list[Row]]]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    yield LinkKind.NETWORK, _network_rows(start, end)
    yield LinkKind.REFERRAL_SENT, _referral_rows(year, accepted=False)
    yield LinkKind.REFERRAL_ACCEPTED, _referral_rows(year, accepted=True)
    yield LinkKind.CONSULTATION, _consultation_rows(year, start, end)


# --- the queries ------------------------------------------------------------------------
# Plain SQL for the networks and the consultations: a self-join of "which organisations
# stand in this person's network" that the ORM would write as four joins. Both are
# portable (SQLite and PostgreSQL); dates and booleans are parameters.


def _tables() -> dict:
    return {"member": NetworkMember._meta.db_table, "membership": Membership._meta.db_table,
            "person": Person._meta.db_table, "consultation": Consultation._meta.db_table,
            "invitation": Invitation._meta.db_table}


# The organisations in a person's network during [start, end]: organisation members, and
# the organisations professional members worked for then ("never inform" ones excluded).
_MEMBER_ORGANISATIONS = """
    SELECT m.person_id AS person_id, m.organisation_id AS organisation_id
      FROM {member} m
     WHERE m.organisation_id IS NOT NULL AND m.never_inform = %(no)s
       AND m.started_on <= %(end)s AND (m.ended_on IS NULL OR m.ended_on > %(start)s)
    UNION
    SELECT m.person_id, ms.organisation_id
      FROM {member} m JOIN {membership} ms ON ms.user_id = m.user_id
     WHERE m.user_id IS NOT NULL AND m.organisation_id IS NULL AND m.never_inform = %(no)s
       AND m.started_on <= %(end)s AND (m.ended_on IS NULL OR m.ended_on > %(start)s)
       AND ms.started_on <= %(end)s AND (ms.ended_on IS NULL OR ms.ended_on > %(start)s)
"""

_NETWORK = """
    WITH member_organisations AS ({members})
    SELECT p.care_zone_override_id, p.municipality_id, p.postcode,
           a.organisation_id, b.organisation_id, COUNT(DISTINCT a.person_id)
      FROM member_organisations a
      JOIN member_organisations b
        ON b.person_id = a.person_id AND b.organisation_id > a.organisation_id
      JOIN {person} p ON p.id = a.person_id
     GROUP BY p.care_zone_override_id, p.municipality_id, p.postcode,
              a.organisation_id, b.organisation_id
"""

_CONSULTATION = """
    SELECT p.care_zone_override_id, p.municipality_id, p.postcode,
           c.organisation_id, COALESCE(m.organisation_id, ms.organisation_id),
           COUNT(DISTINCT c.id)
      FROM {consultation} c
      JOIN {invitation} i ON i.consultation_id = c.id AND i.answered_at IS NOT NULL
      JOIN {member} m ON m.id = i.member_id AND m.never_inform = %(no)s
      LEFT JOIN {membership} ms
        ON m.organisation_id IS NULL AND ms.user_id = m.user_id
       AND ms.started_on <= %(end)s AND (ms.ended_on IS NULL OR ms.ended_on > %(start)s)
      JOIN {person} p ON p.id = c.person_id
     WHERE c.organisation_id IS NOT NULL
       AND c.created_at >= %(from)s AND c.created_at < %(until)s
       AND COALESCE(m.organisation_id, ms.organisation_id) IS NOT NULL
       AND COALESCE(m.organisation_id, ms.organisation_id) <> c.organisation_id
     GROUP BY p.care_zone_override_id, p.municipality_id, p.postcode,
              c.organisation_id, COALESCE(m.organisation_id, ms.organisation_id)
"""


def _fetch(template: str, params: dict) -> list[Row]:
    tables = _tables()
    sql = template.format(members=_MEMBER_ORGANISATIONS.format(**tables), **tables)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _network_rows(start: date, end: date) -> list[Row]:
    return _fetch(_NETWORK, {"no": False, "start": start, "end": end})


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (timezone.make_aware(datetime(year, 1, 1)),
            timezone.make_aware(datetime(year + 1, 1, 1)))


def _consultation_rows(year: int, start: date, end: date) -> list[Row]:
    since, until = _year_bounds(year)
    return _fetch(_CONSULTATION, {"no": False, "start": start, "end": end, "from": since,
                                  "until": until})


def _referral_rows(year: int, *, accepted: bool) -> list[Row]:
    since, until = _year_bounds(year)
    referrals = Referral.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
        sender_organisation_id=F("organisation_id"))
    if accepted:
        referrals = referrals.filter(status__in=ACCEPTED)
    return list(referrals.order_by().values_list(
        "person__care_zone_override_id", "person__municipality_id", "person__postcode",
        "sender_organisation_id", "organisation_id").annotate(n=Count("pk")))


# --- cells and marks --------------------------------------------------------------------


def _cube(rows: list[Row], places: Places, year: date) -> Counter:
    """{(zone, "", "year", year, "pair", "a>b"): count} for the zones and Brussels, with
    each zone's and Brussels' total ("" breakdown) for the additive kinds."""
    cube: Counter = Counter()
    for override, municipality, postcode, a, b, n in rows:
        zone, _nis = places.of(override, municipality, postcode)
        for place in (zone, REGION):
            cube[(place, WHOLE, PeriodKind.YEAR, year, PAIR, f"{a}>{b}")] += n
            cube[(place, WHOLE, PeriodKind.YEAR, year, "", "")] += n
    return cube


def _write(run: Computation, kind: str, cube: Counter, opts) -> int:
    indicator = INDICATORS[kind]
    if not indicator.additive:  # overlapping pairs have no total
        cube = Counter({key: n for key, n in cube.items() if key[4] == PAIR})
    marks = suppression.protect(dict(cube), indicator, opts)
    links = []
    for key, mark in marks.items():
        zone, _nis, _period, year, dimension, pair = key
        count = cube.get(key, 0)
        if dimension != PAIR or (count == 0 and mark == suppression.Mark.SHOWN):
            continue
        a, b = pair.split(">")
        links.append(Link(computation=run, zone=zone, year=year, kind=kind,
                          organisation_a_id=int(a), organisation_b_id=int(b), count=count,
                          mark=mark))
    return len(Link.objects.bulk_create(links, batch_size=BATCH))
