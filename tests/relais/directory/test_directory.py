"""The directory: search in NL/FR/EN, filters, matching, who edits, bad input, speed."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from relais.accounts.models import Function, OrganisationType
from relais.audit.models import AuditEvent
from relais.core.models import CareZone, Municipality
from relais.directory import search as search_module
from relais.directory import services
from relais.directory.matching import match_services
from relais.directory.models import Category, Service
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.helpers import SIGNED_IN_QUERIES

pytestmark = pytest.mark.django_db


def municipality(nis):
    return Municipality.objects.get(nis_code=nis)


SCHAERBEEK, WSL, IXELLES = "21015", "21018", "21009"


@pytest.fixture
def directory(world, platform_admin):
    """Three home-nursing services and a home-help one, in different places and states."""
    def add(organisation, **data):
        data.setdefault("category", Category.HOME_NURSING)
        return services.create_service(organisation, data, actor=platform_admin)

    nursing = world.home_nursing
    other = OrganisationFactory(name="Infirmiers Nord", municipality=municipality(SCHAERBEEK),
                                postcode="1030")
    return {
        "schaerbeek_fast": add(other, name_fr="Soins infirmiers à domicile Schaerbeek",
                               name_nl="Thuisverpleging Schaarbeek", languages=["fr", "ar"],
                               municipalities=[municipality(SCHAERBEEK)], urgent_start="24h",
                               contact_phone="+32 2 500 00 01", contact_name="Nadia"),
        "schaerbeek_full": add(other, name_fr="Infirmières de quartier", languages=["fr"],
                               municipalities=[municipality(SCHAERBEEK)], capacity="full"),
        "woluwe_dutch": add(nursing, name_nl="Thuisverpleging Woluwe", languages=["nl"],
                            care_zones=[CareZone.objects.get(code="south-east")],
                            urgent_start="72h"),
        "help": add(OrganisationFactory(name="Gezinszorg Brussel", type=OrganisationType.HOME_HELP),
                    category=Category.HOME_HELP, name_fr="Aide familiale",
                    name_nl="Gezinszorg", languages=["fr", "nl"], serves_all_brussels=True,
                    capacity="waiting_list", typical_wait_days=14),
    }


def search(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("directory:service_search"), params)
    return [s.pk for s in response.context["page"].object_list]


@pytest.mark.parametrize("query", ["thuisverpleging", "soins infirmiers à domicile",
                                   "SOINS INFIRMIERS", "Soins Infirmiers A Domicile",
                                   "home nursing", "verpleging"])
def test_search_finds_home_nursing_in_every_language(client, home_nurse, directory, query):
    found = search(client, home_nurse, q=query)
    assert set(found) == {directory[k].pk for k in ("schaerbeek_fast", "schaerbeek_full",
                                                      "woluwe_dutch")}


@pytest.mark.parametrize("query", ["Schaerbeek", "schaarbeek", "SCHAARBEEK", "Schaërbeek"])
def test_place_names_work_in_french_and_dutch(client, home_nurse, directory, query):
    found = search(client, home_nurse, q=query)
    assert directory["schaerbeek_fast"].pk in found and directory["woluwe_dutch"].pk not in found


def test_a_word_in_the_name_ranks_first(client, home_nurse, directory):
    found = search(client, home_nurse, q="quartier infirmier")
    assert found[0] == directory["schaerbeek_full"].pk


def test_kept_searches_answer_each_their_own_words(client, home_nurse, directory):
    """The ranking is kept per number of words: each search puts its own words in it."""
    for query in ["schaerbeek", "verpleging", "gezinszorg", "quartier infirmier",
                  "home nursing", "zzzz", "", "schaerbeek"]:
        expected = search_module.matching(
            Service.objects.visible_to(home_nurse).exclude(status__in=["inactive", "defunct"]),
            query) if query else Service.objects.visible_to(home_nurse).active().order_by(
            "category", "name_fr", "pk")
        assert search(client, home_nurse, q=query) == [s.pk for s in expected], query


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="psycopg's prepared statements and PostgreSQL's plans")
@pytest.mark.parametrize("via", ["page", "hsds"])
def test_a_search_is_planned_for_its_own_words_every_time(client, home_nurse, directory,
                                                          via):
    """Prepared, a search's statement would get one generic plan for every word after
    five runs (search.planned_for_its_words): 31 ms where its words' own took 8."""
    client.force_login(home_nurse)
    url, name = ((reverse("directory:service_search"), "q") if via == "page"
                 else ("/hsds/services", "search"))
    for word in ["verpleging", "gezinszorg", "schaerbeek", "quartier", "soins", "aide",
                 "infirmier", "woluwe"]:
        assert client.get(url, {name: word}).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements "
                       "WHERE statement LIKE '%%search_vector%%'")
        assert cursor.fetchall() == []
    # Not a statement prepared elsewhere on the way: the others still are.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] > 0


def test_filters_combine(client, home_nurse, directory):
    schaerbeek = municipality(SCHAERBEEK).pk
    assert search(client, home_nurse, category="home_nursing", municipality=schaerbeek,
                  language="fr", urgent="24h") == [directory["schaerbeek_fast"].pk]
    assert set(search(client, home_nurse, municipality=municipality(WSL).pk)) == {
        directory["woluwe_dutch"].pk, directory["help"].pk}
    assert set(search(client, home_nurse, zone="north-east")) == {
        directory["schaerbeek_fast"].pk, directory["schaerbeek_full"].pk, directory["help"].pk}
    assert directory["schaerbeek_full"].pk not in search(client, home_nurse, accepting="on")
    assert set(search(client, home_nurse, urgent="72h")) == {
        directory["schaerbeek_fast"].pk, directory["woluwe_dutch"].pk}


def test_matching_explains_why_best_first(directory):
    with translation.override("en"):
        matches = match_services(Service.objects.all(), category=Category.HOME_NURSING,
                                 municipality=municipality(SCHAERBEEK), language="fr",
                                 urgency="24h")
    assert [m.service.pk for m in matches] == [directory["schaerbeek_fast"].pk,
                                               directory["schaerbeek_full"].pk,
                                               directory["woluwe_dutch"].pk]
    best, full, far = matches
    assert best.suitable and not full.suitable and not far.suitable
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert (False, f"Full (confirmed on {today})") in full.reasons
    assert (True, "Has room (never confirmed)") in best.reasons
    assert (False, "Does not work in Schaerbeek") in far.reasons
    assert (False, "Does not speak the person's language") in far.reasons


def test_stale_and_waiting_list_are_warnings_not_refusals(directory):
    Service.objects.filter(pk=directory["help"].pk).update(
        verified_on=timezone.localdate() - timedelta(days=200))
    [match] = match_services(Service.objects.all(), category=Category.HOME_HELP,
                             municipality=municipality(IXELLES))
    assert match.suitable
    assert (None, "Not verified for more than 6 months") in match.reasons
    assert (None, "Waiting list (confirmed on "
                  f"{timezone.localdate().strftime('%d/%m/%Y')})") in match.reasons


CAPACITY_SENTENCES = ("Has room", "Waiting list", "Full")


@pytest.mark.parametrize(("capacity", "expected"), [
    ("accepting", (True, "Has room (confirmed on 12/03/2026)")),
    ("waiting_list", (None, "Waiting list (confirmed on 12/03/2026)")),
    ("full", (False, "Full (confirmed on 12/03/2026)"))])
def test_matching_says_one_capacity_state_with_the_day_it_was_confirmed(directory, capacity,
                                                                         expected):
    Service.objects.filter(pk=directory["help"].pk).update(
        capacity=capacity, capacity_confirmed_on=date(2026, 3, 12))
    with translation.override("en"):
        [match] = match_services(Service.objects.all(), category=Category.HOME_HELP)
    said = [reason for reason in match.reasons if reason[1].startswith(CAPACITY_SENTENCES)]
    assert said == [expected]
    with translation.override("fr"):
        [match] = match_services(Service.objects.all(), category=Category.HOME_HELP)
    assert any("12/03/2026" in text for _ok, text in match.reasons)


def test_stale_listings_are_marked(client, home_nurse, directory):
    Service.objects.filter(pk=directory["help"].pk).update(
        verified_on=timezone.localdate() - timedelta(days=200))
    client.force_login(home_nurse)
    page = client.get(reverse("directory:service_detail", args=[directory["help"].pk]))
    assert "not verified since" in page.content.decode()


def test_service_and_organisation_pages_offer_to_print(client, home_nurse, directory):
    client.force_login(home_nurse)
    service = directory["help"]
    for url in (reverse("directory:service_detail", args=[service.pk]),
                reverse("accounts:organisation_detail", args=[service.organisation_id])):
        assert b"data-print" in client.get(url).content


# --- who edits -----------------------------------------------------------------------


@pytest.fixture
def nursing_manager(world):
    user = UserFactory(email="nursing-manager@test.relais.example")
    MembershipFactory(user=user, organisation=world.home_nursing, function=Function.MANAGER,
                      is_manager=True)
    return user


@pytest.fixture
def zone_team_member(world):
    user = UserFactory(email="zone@test.relais.example")
    team = OrganisationFactory(type=OrganisationType.CARE_ZONE_TEAM,
                               municipality=municipality(WSL), postcode="1200")
    MembershipFactory(user=user, organisation=team, function=Function.COORDINATOR)
    return user


@pytest.mark.parametrize(("persona", "own", "other"), [
    ("nursing_manager", 200, 404),
    ("zone_team_member", 200, 404),   # the zone team edits its zone (Woluwe), not Schaerbeek
    ("platform_admin", 200, 200),
    ("home_nurse", 404, 404),         # a member, not a manager
    ("coordinator", 404, 404),        # manages another organisation
])
def test_who_may_edit_which_service(persona, own, other, directory, persona_client):
    client = persona_client(persona)
    assert client.get(reverse("directory:service_edit",
                              args=[directory["woluwe_dutch"].pk])).status_code == own
    assert client.get(reverse("directory:service_edit",
                              args=[directory["schaerbeek_fast"].pk])).status_code == other


def test_a_manager_cannot_change_another_organisations_service(client, nursing_manager,
                                                               directory):
    client.force_login(nursing_manager)
    target = directory["schaerbeek_fast"]
    response = client.post(reverse("directory:service_confirm", args=[target.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="service.confirm").exists()


def test_still_accurate_is_one_click_and_audited(client, nursing_manager, directory):
    target = directory["woluwe_dutch"]
    Service.objects.filter(pk=target.pk).update(verified_on=timezone.localdate()
                                                - timedelta(days=300))
    client.force_login(nursing_manager)
    client.post(reverse("directory:service_confirm", args=[target.pk]))
    target.refresh_from_db()
    assert (target.verified_on, target.verified_by) == (timezone.localdate(), nursing_manager)
    assert target.capacity_confirmed_on == timezone.localdate()
    confirmed = AuditEvent.objects.filter(action="service.confirm", target_id=str(target.pk))
    assert confirmed.count() == 1


def service_form(service, **changes):
    data = {"category": service.category, "name_nl": service.name_nl,
            "name_fr": service.name_fr, "capacity": service.capacity, "status": service.status,
            "urgent_start": service.urgent_start, "version": service.version,
            "languages": service.languages.split(),
            "care_zones": [z.pk for z in service.care_zones.all()],
            "municipalities": [m.pk for m in service.municipalities.all()],
            "serves_all_brussels": "on" if service.serves_all_brussels else None}
    return {k: v for k, v in (data | changes).items() if v is not None}


def test_inconsistent_ages_are_refused_and_nothing_changes(client, nursing_manager, directory):
    target = directory["woluwe_dutch"]
    client.force_login(nursing_manager)
    response = client.post(reverse("directory:service_edit", args=[target.pk]),
                           service_form(target, minimum_age=65, maximum_age=18,
                                        name_nl="Renamed"))
    assert response.status_code == 200
    assert "maximum age cannot be below the minimum age" in response.content.decode()
    target.refresh_from_db()
    assert (target.name_nl, target.minimum_age) == ("Thuisverpleging Woluwe", None)


def test_an_edit_updates_search_and_is_audited(client, nursing_manager, home_nurse, directory):
    target = directory["woluwe_dutch"]
    client.force_login(nursing_manager)
    response = client.post(reverse("directory:service_edit", args=[target.pk]),
                           service_form(target, name_nl="Wijkverpleging Kapelleveld",
                                        capacity="full"))
    assert response.status_code == 302
    assert search(client, home_nurse, q="kapelleveld") == [target.pk]
    event = AuditEvent.objects.get(action="service.change")
    assert set(event.detail["fields"]) == {"name_nl", "capacity", "capacity_confirmed_on"}


def test_anonymous_visitors_see_the_directory_only_when_public(client, directory, settings):
    url = reverse("directory:service_search")
    assert client.get(url).status_code == 302
    settings.RELAIS_PUBLIC_DIRECTORY = True
    response = client.get(url, {"q": "thuisverpleging"})
    assert response.status_code == 200 and response.context["page"].paginator.count == 3


# --- speed ------------------------------------------------------------------------------


def test_search_page_query_count_does_not_grow(client, home_nurse, directory, platform_admin,
                                               world, django_assert_num_queries):
    for n in range(30):
        services.create_service(world.home_nursing, {
            "category": Category.HOME_NURSING, "name_fr": f"Soins {n}", "languages": ["fr"]},
            actor=platform_admin)
    client.force_login(home_nurse)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 4):  # zones, municipalities, count, page
        response = client.get(reverse("directory:service_search"), {"q": "soins"})
    assert len(response.context["page"].object_list) == 25
    # The filters' choices are kept with the form's HTML (core.forms.kept_fields_html).
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):  # ranking and count, page
        client.get(reverse("directory:service_search"), {"q": "soins", "page": "2"})


DIRECTORY_PERSONAS = ["liaison_nurse", "coordinator", "gp", "home_nurse", "analyst",
                      "platform_admin", "outsider", "nursing_manager", "anonymous"]


@pytest.mark.parametrize("persona", DIRECTORY_PERSONAS)
def test_every_persona_on_every_directory_page(persona, directory, world, persona_client,
                                               request):
    if persona == "nursing_manager":
        request.getfixturevalue("nursing_manager")
    client = persona_client(persona)
    woluwe = directory["woluwe_dutch"]
    pages = {
        reverse("directory:service_search"): 200,
        reverse("directory:service_detail", args=[woluwe.pk]): 200,
        reverse("directory:service_edit", args=[woluwe.pk]): 404,
        reverse("directory:service_create", args=[world.home_nursing.pk]): 404,
    }
    if persona in ("platform_admin", "nursing_manager", "analyst"):  # analyst: zone team
        pages |= {reverse("directory:service_edit", args=[woluwe.pk]): 200,
                  reverse("directory:service_create", args=[world.home_nursing.pk]): 200}
    for url, status in pages.items():
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response.url, url
        else:
            assert response.status_code == status, (persona, url)


# --- opening hours -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "days", "first"), [
    ("mon-fri 8:00-17:00; sat 9-12", [0, 1, 2, 3, 4, 5], ("08:00", "17:00")),
    ("lun-ven 8h-12h, 13h30-17h", [0, 1, 2, 3, 4], ("08:00", "12:00")),
    ("ma-vr 8:30-16:30", [0, 1, 2, 3, 4], ("08:30", "16:30")),
    ("mar 9-12", [1], ("09:00", "12:00")),
    ("zaterdag 10:00-14:00", [5], ("10:00", "14:00")),
])
def test_opening_hours_are_read_in_three_languages(text, days, first):
    from relais.directory.hours import parse_hours

    rows = parse_hours(text)
    assert sorted({day for day, _, _ in rows}) == days
    assert (f"{rows[0][1]:%H:%M}", f"{rows[0][2]:%H:%M}") == first


@pytest.mark.parametrize(("language", "text", "message"), [
    ("en", "mon 17:00-08:00", "the closing time is before the opening time"),
    ("fr", "lun 17h-8h", "avant"),
    ("nl", "ma 17:00-8:00", "voor"),
    ("en", "someday 9-12", "unknown day"),
])
def test_a_closing_time_before_opening_is_refused_and_nothing_changes(
    client, nursing_manager, directory, language, text, message
):
    target = directory["woluwe_dutch"]
    nursing_manager.language = language
    nursing_manager.save()
    client.force_login(nursing_manager)
    response = client.post(reverse("directory:service_edit", args=[target.pk]),
                           service_form(target, hours=text, name_nl="Renamed"))
    assert response.status_code == 200 and message in response.content.decode()
    target.refresh_from_db()
    assert target.name_nl == "Thuisverpleging Woluwe" and not target.opening_hours.exists()


def test_opening_hours_are_saved_shown_and_audited(client, nursing_manager, directory):
    target = directory["woluwe_dutch"]
    client.force_login(nursing_manager)
    client.post(reverse("directory:service_edit", args=[target.pk]),
                service_form(target, hours="mon-fri 8:00-17:00"))
    assert target.opening_hours.count() == 5
    with translation.override("en"):
        page = client.get(reverse("directory:service_detail", args=[target.pk]))
    assert "08:00–17:00" in page.content.decode()
    edit = client.get(reverse("directory:service_edit", args=[target.pk]))
    assert edit.context["form"].initial["hours"] == "mon,tue,wed,thu,fri 08:00-17:00"
    assert "opening_hours" in AuditEvent.objects.get(action="service.change").detail["fields"]


# --- agreements ----------------------------------------------------------------------


def agreement_form(world, **changes):
    data = {"hospital": world.hospital.pk, "ward": world.ward.pk, "partner": world.home_nursing.pk,
            "kind": "geriatrics", "starts_on": "2026-01-01", "ends_on": "",
            "hospital_contact": "Dr Geriatrics", "partner_contact": "Head nurse"}
    return data | changes


def test_a_manager_records_an_agreement_shown_on_both_pages(client, nursing_manager, world,
                                                            home_nurse):
    client.force_login(nursing_manager)
    url = reverse("directory:agreement_create", args=[world.home_nursing.pk])
    response = client.post(url, agreement_form(world))
    assert response.status_code == 302
    client.force_login(home_nurse)
    for organisation in (world.hospital, world.home_nursing):
        page = client.get(reverse("accounts:organisation_detail", args=[organisation.pk]))
        assert [a.kind for a in page.context["agreements"]] == ["geriatrics"]
    assert AuditEvent.objects.filter(action="agreement.create").count() == 1


def test_an_agreement_ending_before_it_starts_is_refused(client, nursing_manager, world):
    from relais.directory.models import Agreement

    client.force_login(nursing_manager)
    url = reverse("directory:agreement_create", args=[world.home_nursing.pk])
    response = client.post(url, agreement_form(world, ends_on="2025-01-01"))
    assert "cannot end before it starts" in response.content.decode()
    assert not Agreement.objects.exists()


def test_only_either_sides_managers_record_or_end_agreements(client, coordinator, world,
                                                             nursing_manager):
    from relais.directory.models import Agreement

    client.force_login(coordinator)
    url = reverse("directory:agreement_create", args=[world.home_nursing.pk])
    assert client.post(url, agreement_form(world)).status_code == 404
    agreement = Agreement.objects.create(hospital=world.hospital, partner=world.home_nursing,
                                         kind="diabetes", starts_on=timezone.localdate())
    end = reverse("directory:agreement_end", args=[agreement.pk])
    assert client.post(end).status_code == 404
    client.force_login(nursing_manager)
    assert client.post(end, {"next": "https://evil.example/"}).url == reverse(
        "directory:service_search")
    agreement.refresh_from_db()
    assert agreement.ends_on == timezone.localdate()
