"""Searches from candidates (candidates.py): the gate asked about a page's candidates
only gives exactly the answer it gives over every row, for every type searched that way
and every kind of caller; and a search's queries do not grow with the number of persons.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.access import decisions
from relais.access.models import ConsentScope
from relais.accounts.models import Function
from relais.interop.fhir import candidates, includes, registry, resources
from relais.network import services
from relais.network.models import MemberKind, Person, Relation, Role
from relais.stays import services as stay_services
from relais.stays.models import Stay
from tests.conftest import _member
from tests.factories import OrganisationFactory, UserFactory
from tests.relais.interop.fhir.test_fhir_access import hers  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

resources.register_all()
SERVED = sorted(name for name, resource in registry.TYPES.items()
                if candidates.is_served(resource))
# A search each type is asked (none: every row), beside the search without parameters.
SEARCHES = {"Encounter": [("status", "in-progress")], "Consent": [("status", "active")]}


def test_the_types_of_a_persons_data_are_searched_from_candidates():
    assert SERVED == ["CareTeam", "Communication", "Consent", "Encounter", "Flag",
                      "Patient", "RelatedPerson", "ServiceRequest"]


@pytest.fixture
def crowd(hers, world, coordinator, gp, home_nurse, excluded_organisation):  # noqa: F811
    """Besides Madeleine: persons in the home-nursing service's network with and without
    consent, one who excluded it, one who excluded the GP in person, one kept by the
    coordination centre alone; each in hospital now or before."""
    people = {}
    for name, consent in (("Consenting", True), ("Silent", False),
                          ("Excluding", True), ("Excluding GP", True), ("Kept", False)):
        person = services.create_person(
            {"first_name": name, "last_name": "Crowd", "birth_date": date(1940, 1, 1)},
            actor=coordinator, organisation=world.coordination_centre)
        if consent:
            services.record_consent(person, scope=ConsentScope.NETWORK, given_by=name,
                                    given_on=date(2026, 1, 5), actor=coordinator)
        if name != "Kept":
            nursing = services.add_member(person, kind=MemberKind.ORGANISATION,
                                          organisation=world.home_nursing,
                                          roles=[Role.HOME_NURSE], actor=coordinator)
            doctor = services.add_member(person, kind=MemberKind.PROFESSIONAL, user=gp,
                                         roles=[Role.GP], actor=coordinator)
            services.add_member(person, kind=MemberKind.INFORMAL, name=f"{name} Junior",
                                relation=Relation.CHILD, roles=[Role.INFORMAL_CAREGIVER],
                                actor=coordinator)
            if name == "Excluding":
                services.exclude_member(nursing, actor=coordinator)
            if name == "Excluding GP":
                services.exclude_member(doctor, actor=coordinator)
        stay = stay_services.open_stay(person, hospital=world.hospital,
                                       admitted_at=timezone.now() - timedelta(days=3))
        if name in ("Silent", "Kept"):
            stay_services.discharge(stay, discharged_at=timezone.now(), destination="home",
                                    reason="test")
        people[name] = person
    return people


@pytest.fixture
def callers(crowd, home_nurse, gp, outsider, liaison_nurse, coordinator,
            excluded_organisation):
    """A home nurse of the organisation in the networks, a GP, an outsider, the hospital's
    liaison nurse, the coordinator who keeps the records, and a member of the
    organisation Madeleine excluded."""
    excluded = _member(excluded_organisation, Function.SOCIAL_WORKER,
                       email="excluded@test.relais.example")
    return {"home nurse": home_nurse, "GP": gp, "outsider": outsider,
            "liaison nurse": liaison_nurse, "coordinator": coordinator,
            "excluded": excluded}


def _through_the_whole_gate(user, resource, search) -> set:
    rows = resource.visible(user)
    for name, value in search:
        rows = resource.param(name).apply(rows, value, "")
    return {row.pk for row in rows}


def _from_candidates(user, resource, search, count: int) -> tuple[set, int | None]:
    """Every page of the search from candidates, `count` a page: the rows and the last
    page's total."""
    rows = resource.candidates()
    for name, value in search:
        rows = resource.param(name).apply(rows, value, "")
    found, offset = [], 0
    while True:
        page = candidates.page(user, resource, rows, resource.order, offset, count)
        found += [row.pk for row in page.rows]
        if not page.more:
            break
        offset += count
    assert len(found) == len(set(found)), "a row on two pages"
    return set(found), page.total


@pytest.mark.parametrize("chunk", [128, 2], ids=["one chunk", "chunks of 2"])
def test_candidates_give_what_the_whole_gate_gives(crowd, callers, chunk, monkeypatch):
    monkeypatch.setattr(candidates, "CHUNK", chunk)
    compared = 0
    for name in SERVED:
        resource = registry.TYPES[name]
        for search in ([], *([SEARCHES[name]] if name in SEARCHES else [])):
            for label, user in callers.items():
                for count in (1, 3, 100):
                    with decisions.deciding_once():  # the request's memo, as in a request
                        new, total = _from_candidates(user, resource, search, count)
                        old = _through_the_whole_gate(user, resource, search)
                    assert new == old, (name, search, label, count)
                    if total is not None:
                        assert total == len(old), (name, search, label, count)
                    compared += bool(old)
    assert compared > 60  # most comparisons are about something seen


def test_the_patients_vouch_for_the_gps_the_whole_gate_shows(crowd, callers):
    """`_include=Patient:general-practitioner` takes the GPs of the page's patients
    without asking the gate (their networks vouch for them): exactly the GPs the
    Practitioner gate shows, for every caller."""
    patient, practitioner = registry.TYPES["Patient"], registry.TYPES["Practitioner"]
    wanted = includes.read_include(patient, "Patient:general-practitioner", reverse=False)
    compared = 0
    for label, user in callers.items():
        page = list(patient.visible(user))
        with decisions.deciding_once():
            found = {(target.name, row.pk)
                     for target, row in includes.gather(user, patient, page, wanted)}
        gps = {pk for row in page for pk in wanted[0].refs(row)}
        shown = set(practitioner.visible(user).filter(pk__in=gps).values_list("pk", flat=True))
        assert found == {("Practitioner", pk) for pk in shown}, label
        compared += bool(found)
    assert compared >= 3


def test_the_whole_gate_after_candidates_in_one_request_is_not_narrowed(crowd, callers):
    """The narrowed answers are not kept for the request: asked again about every row in
    the same request, the gate answers about every row."""
    nurse = callers["home nurse"]
    stays = registry.TYPES["Encounter"]
    with decisions.deciding_once():
        old_first = _through_the_whole_gate(nurse, stays, [])
        candidates.page(nurse, stays, stays.candidates().filter(person=crowd["Silent"]),
                        stays.order, 0, 1)
        assert _through_the_whole_gate(nurse, stays, []) == old_first
    with decisions.deciding_once():
        candidates.page(nurse, stays, stays.candidates().filter(person=crowd["Silent"]),
                        stays.order, 0, 1)
        assert _through_the_whole_gate(nurse, stays, []) == old_first
    assert {s.person_id for s in Stay.objects.filter(pk__in=old_first)} >= {
        crowd["Consenting"].pk, crowd["Excluding GP"].pk}
    assert crowd["Excluding"].pk not in {s.person_id for s in
                                          Stay.objects.filter(pk__in=old_first)}


def test_the_api_answers_the_same_with_and_without_an_accurate_total(crowd, api, world):
    """Over HTTP: the search from candidates and `_total=accurate` (the whole gate) list
    the same resources, with the included patients through the gate too."""
    nursing = api(world.home_nursing)
    url = "/fhir/Encounter?status=in-progress&_include=Encounter:patient&_count=100"
    fast = nursing.get(url).json()
    exact = nursing.get(url + "&_total=accurate").json()

    def ids(bundle, mode):
        return {e["fullUrl"].split("/fhir/")[1] for e in bundle.get("entry", [])
                if e["search"]["mode"] == mode}

    assert ids(fast, "match") == ids(exact, "match")
    assert ids(fast, "include") == ids(exact, "include")
    assert fast["total"] == exact["total"] == len(ids(exact, "match"))
    assert f"Patient/{crowd['Excluding'].pk}" not in ids(fast, "include")
    assert f"Patient/{crowd['Consenting'].pk}" in ids(fast, "include")


def test_a_broad_search_leaves_the_total_out_and_pages_on(crowd, api, world, monkeypatch):
    """Candidates left that the gate was not asked about: no total (unless asked for),
    and a `next` link that goes on where the page ended."""
    monkeypatch.setattr(candidates, "CHUNK", 2)
    nursing = api(world.coordination_centre)
    first = nursing.get("/fhir/Patient?family=crowd&_count=2").json()
    assert "total" not in first  # more candidates than the page were not asked about
    following = [link["url"] for link in first["link"] if link["relation"] == "next"]
    assert following
    rest = nursing.get(following[0].split("testserver")[1]).json()
    names = [e["resource"]["name"][0]["given"][0] for b in (first, rest)
             for e in b["entry"]]
    assert len(names) == len(set(names)) == 4
    counted = nursing.get("/fhir/Patient?family=crowd&_total=accurate&_count=2").json()
    assert counted["total"] == 5
    assert "total" not in nursing.get("/fhir/Patient?family=crowd&_total=none").json()
    assert nursing.get("/fhir/Patient?family=crowd&_count=10").json()["total"] == 5


def _hospital_persons(world, coordinator, number: int) -> None:
    hospital_organisation = world.hospital
    for n in range(number):
        person = services.create_person(
            {"first_name": f"Many{n}", "last_name": "Many", "birth_date": date(1950, 1, 1)},
            actor=coordinator, organisation=world.coordination_centre)
        Stay.objects.create(person=person, hospital=hospital_organisation,
                            admitted_at=timezone.now() - timedelta(hours=n + 1))


def _queries(caller, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert caller.get(url).status_code == 200
    return len(captured)


def test_a_searchs_queries_do_not_grow_with_the_persons(api, world, coordinator):
    """The Encounter search a home-care system polls, and a Patient search: the same
    number of queries with 4 and with 24 persons in hospital (each kept statement built
    before counting, as in a running server)."""
    centre = api(world.coordination_centre)
    urls = ["/fhir/Encounter?status=in-progress&_include=Encounter:patient&_count=3",
            "/fhir/Patient?family=many&_count=3"]
    _hospital_persons(world, coordinator, 4)
    for url in urls:
        centre.get(url)
    few = [_queries(centre, url) for url in urls]
    _hospital_persons(world, coordinator, 20)
    many = [_queries(centre, url) for url in urls]
    assert many == few
    # The token and its client, candidates, the gate on them, the page, the include's
    # candidates and gate, the audit events: a fixed handful.
    assert few[0] <= 12, few


def test_a_patient_found_by_ssin_costs_a_fixed_handful_of_queries(api, world, hers):  # noqa: F811
    centre = api(world.coordination_centre)
    url = ("/fhir/Patient?identifier=https://www.ehealth.fgov.be/standards/fhir/core/"
           f"NamingSystem/ssin|{hers.madeleine.niss}")
    centre.get(url)
    with CaptureQueriesContext(connection) as captured:
        bundle = centre.get(url).json()
    assert bundle["total"] == 1
    assert len(captured) <= 8, [q["sql"][:80] for q in captured]


def test_outsiders_find_nothing_among_the_candidates(crowd):
    stranger = UserFactory(email="stranger@test.relais.example")
    OrganisationFactory(name="Unrelated")
    patients = registry.TYPES["Patient"]
    found = candidates.page(stranger, patients, Person.objects.all(), patients.order, 0, 20)
    assert (found.rows, found.more, found.total) == ([], False, 0)


def test_the_persons_questions_asked_per_row_give_what_the_whole_set_gives(crowd, callers,
                                                                           referral):
    """`persons.asking_per_row` (the person page's stays and declined referrals): each
    row's person asked about, rather than the set of every person the user may read —
    the same rows for every kind of caller and every person, for each rule built on the
    persons' questions."""
    from relais.access import persons, policy
    from relais.network.models import NetworkMember
    from relais.stays.models import Referral

    compared = 0
    for model in (Stay, Referral, NetworkMember):
        for person in Person.objects.all():
            rows = model.objects.filter(person_id=person.pk).order_by("pk")
            for label, user in callers.items():
                with decisions.deciding_once():
                    whole = list(policy.visible(user, rows).values_list("pk", flat=True))
                with decisions.deciding_once(), persons.asking_per_row():
                    per_row = list(policy.visible(user, rows).values_list("pk", flat=True))
                assert per_row == whole, (model.__name__, person.last_name, label)
                compared += bool(whole)
    assert compared > 30  # most comparisons are about something seen


def test_the_timeline_shows_each_caller_the_stays_and_referrals_the_whole_gate_gives(
        crowd, callers, referral):
    """The timeline asks about its person's rows one by one, in SQL kept per kind of
    caller (booklet/timeline.py): each caller sees there the stays and referrals the
    whole gate gives them, whoever asked before."""
    from django.urls import reverse

    from relais.access import policy
    from relais.booklet import timeline
    from relais.stays.models import Referral

    compared = 0
    for _ in range(2):  # the second time round, from the kept SQL
        for person in Person.objects.all():
            for label, user in callers.items():
                with decisions.deciding_once():
                    shown = {e.link for e in timeline.events(user, person,
                                                             {"stays", "referrals"})}
                    stays = policy.visible(user, Stay.objects.filter(person=person))
                    referrals = policy.visible(user, Referral.objects.filter(
                        person=person, events__isnull=False))
                    whole = {reverse("stays:stay_detail", args=[pk])
                             for pk in stays.values_list("pk", flat=True)} | {
                        reverse("stays:referral_detail", args=[pk])
                        for pk in referrals.values_list("pk", flat=True)}
                assert shown == whole, (person.last_name, label)
                compared += bool(whole)
    assert compared > 20
