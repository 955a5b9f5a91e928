"""The cooperation map (R8, R21): what the computation counts between organisations
(shared networks, referrals sent and accepted, consultations answered), agreements without
flow and flow without agreement, no person in the table, small counts never printed (page
and CSV), who opens it, its audit trail, a constant number of queries, an accessible SVG."""

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.accounts.models import Function, OrganisationType
from relais.audit.models import AuditEvent
from relais.booklet.models import Consultation, Invitation
from relais.directory.models import Agreement, AgreementKind
from relais.network.models import MemberKind, NetworkMember
from relais.observatory import compute
from relais.observatory.cooperation_map import cooperation
from relais.observatory.models import REGION, Link, LinkKind
from relais.stays.models import ReferralStatus
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

from .conftest import at
from .test_pages import client_of

YEAR = timezone.localdate().year
PAGE = "/observatory/south-east/cooperation/"
EXPORT = "/observatory/south-east/cooperation/export/"
SOUTH_EAST = "21018"  # Woluwe-Saint-Lambert, where the test world's organisations are


def member(person, organisation=None, user=None, started=None, **fields):
    return NetworkMember.objects.create(
        person=person, kind=MemberKind.ORGANISATION if organisation else MemberKind.PROFESSIONAL,
        organisation=organisation, user=user, started_on=started or date(YEAR, 1, 1), **fields)


def consult(build, person, asked_for, answering_members, answered=True):
    consultation = Consultation.objects.create(
        person=person, question="q", deadline=at(YEAR, 3, 20), asked_by=build.author,
        organisation=asked_for, created_at=at(YEAR, 3, 10))
    for number, one in enumerate(answering_members):
        Invitation.objects.create(consultation=consultation, member=one,
                                  token_hash=f"{consultation.pk}-{number}",
                                  expires_at=at(YEAR, 3, 20),
                                  answered_at=at(YEAR, 3, 12) if answered else None)
    return consultation


def links(kind, zone="south-east") -> dict:
    return {(link.organisation_a.name, link.organisation_b.name): (link.count, link.mark)
            for link in Link.objects.filter(kind=kind, zone=zone).select_related(
                "organisation_a", "organisation_b")}


@pytest.fixture
def cooperation_world(build, world, home_nurse):
    """South-East in YEAR: 12 residents cared for by the hospital and the home nursing
    (one also by its nurse in person), 3 by the hospital and the GP practice; 14
    referrals hospital → home nursing (11 accepted); 4 consultations of the coordination
    centre answered by the home nursing; an agreement hospital – coordination centre."""
    shared = build.persons(12, nis=SOUTH_EAST)
    for person in shared:
        member(person, world.hospital)
        member(person, world.home_nursing)
    member(shared[0], user=home_nurse)  # the same organisation again: counted once
    for person in build.persons(3, nis=SOUTH_EAST):
        member(person, world.hospital)
        member(person, world.gp_practice)
    for number, person in enumerate(build.persons(14, nis=SOUTH_EAST)):
        status = ReferralStatus.ACCEPTED if number < 11 else ReferralStatus.DECLINED
        build.referral(person, at(YEAR, 3, 6), status=status, decline_reason=(
            "" if number < 11 else "capacity"))
    for person in build.persons(4, nis=SOUTH_EAST):
        nursing = member(person, world.home_nursing)
        consult(build, person, world.coordination_centre, [nursing])
    Agreement.objects.create(hospital=world.hospital, partner=world.coordination_centre,
                             kind=AgreementKind.GERIATRICS, starts_on=date(YEAR - 1, 1, 1))
    compute.compute()
    return world


# --- the computation ---------------------------------------------------------------------


def test_shared_networks_count_each_person_once(cooperation_world):
    found = links(LinkKind.NETWORK)
    assert found[("Hôpital Test", "Home Nursing Test")] == (12, "shown")
    assert found[("Hôpital Test", "Dr Test")] == (3, "small")
    assert links(LinkKind.NETWORK, zone=REGION)[("Hôpital Test", "Home Nursing Test")] == (
        12, "shown")


def test_referrals_count_sent_and_accepted_from_sender_to_receiver(cooperation_world):
    assert links(LinkKind.REFERRAL_SENT) == {("Hôpital Test", "Home Nursing Test"):
                                             (14, "shown")}
    assert links(LinkKind.REFERRAL_ACCEPTED) == {("Hôpital Test", "Home Nursing Test"):
                                                 (11, "shown")}


def test_consultations_count_those_answered_from_asker_to_answerer(build, world, gp):
    person = build.person(nis=SOUTH_EAST)
    nursing, doctor = member(person, world.home_nursing), member(person, user=gp)
    consult(build, person, world.coordination_centre, [nursing, doctor])
    consult(build, person, world.coordination_centre, [nursing], answered=False)
    compute.compute()

    assert links(LinkKind.CONSULTATION) == {
        ("Coordination Test", "Home Nursing Test"): (1, "small"),
        ("Coordination Test", "Dr Test"): (1, "small"),  # through the GP's membership
    }


def test_excluded_and_past_members_do_not_count(build, world):
    person = build.person(nis=SOUTH_EAST)
    member(person, world.hospital)
    member(person, world.home_nursing, never_inform=True)
    member(person, world.gp_practice, started=date(YEAR - 9, 1, 1),
           ended_on=date(YEAR - 8, 1, 1))
    compute.compute()
    assert links(LinkKind.NETWORK) == {}


def test_residents_of_another_zone_count_there(build, world):
    for person in build.persons(2, nis="21015"):  # Schaerbeek: the North-East zone
        member(person, world.hospital)
        member(person, world.home_nursing)
    compute.compute()
    assert links(LinkKind.NETWORK) == {}
    assert links(LinkKind.NETWORK, zone="north-east") == {
        ("Hôpital Test", "Home Nursing Test"): (2, "small")}


def test_the_table_holds_no_person_and_no_identifier_but_organisations():
    fields = {f.name for f in Link._meta.get_fields()}
    assert fields == {"id", "computation", "zone", "year", "kind", "organisation_a",
                      "organisation_b", "count", "mark"}


# --- what the map says ----------------------------------------------------------------------


def test_agreement_without_flow_and_flow_without_agreement(cooperation_world):
    found = cooperation("south-east", YEAR)

    assert [(p.a.name, p.b.name) for p in found.agreements_without_flow] == [
        ("Hôpital Test", "Coordination Test")]
    assert [(p.a.name, p.b.name) for p in found.flows_without_agreement] == [
        ("Hôpital Test", "Home Nursing Test")]
    page = client_of(cooperation_world_analyst(cooperation_world)).get(PAGE).content.decode()
    gaps = page.split('id="coop-gaps"')[1].split("</section>")[0]
    assert "Hôpital Test – Coordination Test (Geriatrics)" in gaps
    assert "Hôpital Test – Home Nursing Test" in gaps


def cooperation_world_analyst(world):
    user = UserFactory()
    MembershipFactory(user=user, organisation=world.care_zone_team,
                      function=Function.CARE_ZONE_ANALYST)
    return user


def test_the_page_prints_small_counts_as_such_and_rounds_the_others(analyst,
                                                                    cooperation_world):
    page = client_of(analyst).get(PAGE).content.decode()
    table = page.split('id="coop-caption"')[1].split("</table>")[0]

    row = re.search(r"<th scope=\"row\">Hôpital Test</th><td>Home Nursing Test</td>(.*?)</tr>",
                    table).group(1)
    # 12 persons → 10; 14 sent → 15; 11 accepted → 10; nothing back; no agreement.
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == [
        "10", "15", "10", "0", "0", "0", "0"]
    assert "&lt;10" in table  # the GP practice's 3 persons
    for cell in re.findall(r'<td class="num">([^<]*)</td>', table):
        assert cell in {"0", "&lt;10", "–"} or int(cell) >= 10
    assert not re.search(r"[^0-9<][1-9] (sent|accepted)|: [1-9];", page)


def test_the_csv_never_holds_a_count_between_1_and_9(analyst, cooperation_world):
    response = client_of(analyst).get(EXPORT, {"year": YEAR})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {(r["organisation"], r["with_organisation"]) for r in rows} == {
        ("Hôpital Test", "Home Nursing Test"), ("Hôpital Test", "Dr Test"),
        ("Hôpital Test", "Coordination Test"), ("Coordination Test", "Home Nursing Test")}
    counts = [value for r in rows for key, value in r.items()
              if key not in {"zone", "year", "organisation", "sector", "with_organisation",
                             "with_sector", "agreement"}]
    assert all(value in {"0", "<10", "–"} or int(value) >= 10 for value in counts)
    assert "<10" in counts
    assert AuditEvent.objects.filter(action="observatory.exported",
                                     detail__what="cooperation").count() == 1


def test_the_svg_is_a_named_image(analyst, cooperation_world):
    page = client_of(analyst).get(PAGE).content.decode()

    assert page.count('role="img"') == 1
    title, desc = re.search(r'<svg[^>]* aria-labelledby="([^"]+)"', page).group(1).split()
    assert f'<title id="{title}">Who works with whom</title>' in page
    assert f'<desc id="{desc}">' in page
    assert 'stroke-dasharray="7 4"' in page  # a flow without agreement, dashed
    assert 'stroke-dasharray="2 3"' in page  # an agreement without flow, dotted
    assert "viewBox=" in page and 'width="' not in page.split("<svg")[1].split(">")[0]


# --- who opens it --------------------------------------------------------------------------


@pytest.fixture
def decision_maker(db):
    office = OrganisationFactory(name="Commune", type=OrganisationType.OTHER)
    user = UserFactory()
    MembershipFactory(user=user, organisation=office, function=Function.DECISION_MAKER)
    return user


@pytest.mark.parametrize(("persona", "status"), [
    ("analyst", 200), ("hospital_manager", 200), ("coordinator", 200),
    ("decision_maker", 200), ("platform_admin", 200), ("liaison_nurse", 404),
    ("home_nurse", 404), ("outsider", 404),
])
def test_who_opens_the_map_and_its_csv(request, persona, status, cooperation_world):
    client = client_of(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == status
    assert client.get(EXPORT).status_code == status
    assert client.get("/observatory/brussels/cooperation/").status_code == status


def test_another_zone_is_a_404_and_audited(analyst, cooperation_world):
    client = client_of(analyst)
    assert client.get("/observatory/north/cooperation/").status_code == 404
    assert client.get("/observatory/atlantis/cooperation/export/").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied",
                                     target_type="core.carezone").count() == 2


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(PAGE).status_code == 302


def test_opening_the_map_is_audited(analyst, cooperation_world):
    client_of(analyst).get(PAGE, {"year": YEAR})
    event = AuditEvent.objects.get(action="observatory.cooperation_viewed")
    assert (event.actor, event.target_id, event.detail) == (analyst, "south-east",
                                                            {"year": YEAR})


@pytest.mark.parametrize("year", ["1999", "abc", str(YEAR - 30)])
def test_an_impossible_year_is_refused_with_a_message(analyst, cooperation_world, year):
    response = client_of(analyst).get(PAGE, {"year": year})
    assert response.status_code == 200
    page = response.content.decode()
    assert ("Choose a year from the list." in page
            or "There are no cooperation figures for that year." in page)
    assert f'<option value="{YEAR}" selected>' in page
    assert client_of(analyst).get(EXPORT, {"year": year}).status_code == 400


def test_the_dashboard_links_the_map(analyst, cooperation_world):
    page = client_of(analyst).get("/observatory/south-east/").content.decode()
    assert f'href="{PAGE}"' in page


def test_the_page_answers_before_any_computation(analyst):
    page = client_of(analyst).get(PAGE).content.decode()
    assert "The figures have not been computed yet." in page
    assert page.count('role="img"') == 1


def test_the_map_is_readable_in_french_and_dutch(analyst, cooperation_world):
    assert "Carte de la coopération" in client_of(analyst, "fr").get(PAGE).content.decode()
    assert "Samenwerkingskaart" in client_of(analyst, "nl").get(PAGE).content.decode()


def test_the_page_reads_a_constant_number_of_queries(analyst, build, cooperation_world):
    client = client_of(analyst)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as small:
        assert client.get(PAGE).status_code == 200
    for number in range(8):  # eight more organisations, each with residents and flows
        other = OrganisationFactory(name=f"Extra {number}")
        for person in build.persons(2, nis=SOUTH_EAST):
            member(person, cooperation_world.hospital)
            member(person, other)
    compute.compute()
    with CaptureQueriesContext(connection) as large:
        assert client.get(PAGE).status_code == 200
    assert len(large) == len(small)


def test_the_csv_for_excel_has_semicolons_and_a_byte_order_mark(analyst, cooperation_world):
    text = client_of(analyst).get(EXPORT, {"format": "excel"}).content.decode("utf-8")
    assert text.startswith("\ufeffzone;year;organisation;")
    assert "\r\n" in text
