"""Case reviews (R12): anonymised when written, read by their team and the zone's team.

Simone Lemaire lives at Rue des Tilleuls 12, 1200; the coordination centre keeps her
record; her daughter Sophie Lemaire (an informal caregiver with a phone and an e-mail
address) and her GP are in her network.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from relais.access.models import ConsentScope
from relais.accounts.models import Function, OrganisationType
from relais.audit.models import AuditEvent
from relais.core.models import Municipality
from relais.followup import reviews
from relais.followup.models import CaseReview, ReviewKind
from relais.network import services as network_services
from relais.network.models import MemberKind, Relation, Role
from tests.conftest import login_as
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

BRUSSELS = ZoneInfo("Europe/Brussels")
NISS = "85073003328"
CLEAN = {"situation": "An 86-year-old woman living alone refused home help in March.",
         "tried": "The daughter and the GP talked with her twice.",
         "blocked": "", "lessons": "Ask earlier who she trusts.", "proposals": ""}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=BRUSSELS), tick=False):
        yield


@pytest.fixture
def simone(world, coordinator, gp):
    municipality = Municipality.objects.get(nis_code="21018")
    person = network_services.create_person(
        {"first_name": "Simone", "last_name": "Lemaire", "birth_date": date(1985, 7, 30),
         "sex": "F", "niss": NISS, "street": "Rue des Tilleuls 12", "postcode": "1200",
         "municipality": municipality, "phone": "02 555 01 02"},
        actor=coordinator, organisation=world.coordination_centre)
    network_services.add_member(person, kind=MemberKind.INFORMAL, name="Sophie Lemaire",
                                relation=Relation.CHILD, phone="+32 470 11 22 33",
                                email="sophie.l@example.be", roles=[Role.INFORMAL_CAREGIVER],
                                actor=coordinator)
    network_services.add_member(person, kind=MemberKind.PROFESSIONAL, user=gp,
                                roles=[Role.GP], actor=coordinator)
    return person


def write(actor, organisation, person=None, **texts):
    fields = {**CLEAN, **texts}
    return reviews.write_review(person=person, kind=ReviewKind.REFUSAL,
                                themes=["refusal_of_help", "isolation"], actor=actor,
                                organisation=organisation, **fields)


@pytest.mark.parametrize(("field", "text", "found"), [
    ("situation", "Mrs Lemaire lives alone.", "Lemaire"),
    ("situation", "First line.\nsimone lemaire refused.", "simone lemaire"),
    ("tried", "Sophie called the GP.", "Sophie"),
    ("tried", "We called Dr {gp}.", "{gp}"),
    ("situation", "Her number 85.07.30-033.28 was wrong.", "85.07.30-033.28"),
    ("situation", "Her number 85073003328 was wrong.", "85073003328"),
    ("lessons", "Call the daughter at 0470 11 22 33.", "0470 11 22 33"),
    ("lessons", "Call her at 02/555.01.02.", "02/555.01.02"),
    ("lessons", "Mail sophie.l@example.be first.", "sophie.l@example.be"),
    ("situation", "She lives rue des tilleuls.", "rue des tilleuls"),
    ("situation", "Discharged on 14/03/2026 at noon.", "14/03/2026"),
    ("situation", "Ontslagen op 3 maart 2026.", "3 maart 2026"),
    ("situation", "Sortie le 1er mars 2026.", "1er mars 2026"),
])
def test_identifying_text_is_refused_and_nothing_saved(simone, coordinator, world, gp,
                                                       field, text, found):
    text, found = (s.replace("{gp}", gp.last_name) for s in (text, found))
    with pytest.raises(ValidationError) as refused:
        write(coordinator, world.coordination_centre, simone, **{field: text})
    messages = refused.value.message_dict[field]
    assert any(found in message for message in messages), messages
    assert CaseReview.objects.count() == 0


def test_the_message_says_where_and_what_to_do(simone, coordinator, world):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        write(coordinator, world.coordination_centre, simone,
              situation="She lives alone.\nSimone Lemaire refused.")
    assert refused.value.message_dict["situation"] == [
        "The text names Simone Lemaire (the situation, line 2): replace names by roles, "
        "e.g. “the daughter”, “the GP”."]


def test_the_message_is_translated(simone, coordinator, world):
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        write(coordinator, world.coordination_centre, simone, situation="Simone weigert.")
    assert refused.value.message_dict["situation"] == [
        "De tekst noemt Simone (de situatie, regel 1): vervang namen door rollen, bv. "
        "“de dochter”, “de huisarts”."]


@pytest.mark.parametrize("text", [
    "Her national number 41.03.02-002.44 was on the letter.",  # anyone's, valid digits
    "Write to someone@example.org.",
    "The hospital called +32 2 477 41 11.",
    "Seen on 2 January 2026.",
    "Gezien op 2026-01-02.",
])
def test_without_a_person_numbers_addresses_and_dates_are_still_refused(coordinator, world,
                                                                        text):
    with pytest.raises(ValidationError):
        write(coordinator, world.coordination_centre, situation=text)
    assert CaseReview.objects.count() == 0


def test_a_clean_review_keeps_the_month_the_zone_and_the_team_only(simone, coordinator,
                                                                   world):
    review = write(coordinator, world.coordination_centre, simone)
    review.refresh_from_db()
    assert review.month == date(2026, 11, 1)
    assert review.care_zone == simone.care_zone is not None
    assert review.organisation == world.coordination_centre
    assert review.themes == ["refusal_of_help", "isolation"]
    assert not [f.name for f in CaseReview._meta.get_fields()
                if f.is_relation and f.related_model.__name__ == "Person"]


def test_an_earlier_month_is_kept_as_its_first_day(coordinator, world):
    review = reviews.write_review(kind=ReviewKind.WENT_WRONG, themes=["housing"],
                                  situation="A discharge without a home to go to.",
                                  month=date(2026, 3, 17), actor=coordinator,
                                  organisation=world.coordination_centre)
    assert review.month == date(2026, 3, 1)


def test_a_month_ahead_or_no_theme_is_refused(coordinator, world):
    with pytest.raises(ValidationError) as refused:
        reviews.write_review(kind=ReviewKind.WENT_WRONG, themes=["housing"],
                             situation="x", month=date(2026, 12, 1), actor=coordinator,
                             organisation=world.coordination_centre)
    assert "month" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        reviews.write_review(kind=ReviewKind.WENT_WRONG, themes=[], situation="x",
                             actor=coordinator, organisation=world.coordination_centre)
    assert "themes" in refused.value.message_dict
    assert CaseReview.objects.count() == 0


def test_a_review_for_another_team_is_refused(coordinator, world):
    with pytest.raises(ValidationError):
        write(coordinator, world.home_nursing)
    assert CaseReview.objects.count() == 0


def test_the_audit_event_names_no_person(simone, coordinator, world):
    review = write(coordinator, world.coordination_centre, simone)
    events = AuditEvent.objects.filter(target_type="followup.casereview",
                                       target_id=str(review.pk))
    assert [e.action for e in events] == ["followup.review_written"]
    assert not events.filter(person_id__isnull=False).exists()
    assert "Simone" not in str(events.get().detail)


# --- pages -----------------------------------------------------------------------------


def form_data(**overrides):
    return {"kind": "refusal", "themes": ["refusal_of_help"], "month": "2026-11",
            **CLEAN, **overrides}


def test_writing_from_the_person_page_refuses_a_name_and_saves_a_clean_text(
        simone, coordinator, persona_client):
    client = persona_client("coordinator")
    url = reverse("followup:review_new_for_person", args=[simone.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, form_data(situation="Simone refused."))
    assert refused.status_code == 200
    assert "The text names Simone" in refused.content.decode()
    assert CaseReview.objects.count() == 0
    saved = client.post(url, form_data())
    review = CaseReview.objects.get()
    assert saved.url == reverse("followup:review_detail", args=[review.pk])
    page = client.get(saved.url).content.decode()
    assert "Lemaire" not in page
    assert reverse("network:person_detail", args=[simone.pk]) not in page


def test_a_person_not_seen_gives_404(simone, persona_client):
    response = persona_client("home_nurse").get(
        reverse("followup:review_new_for_person", args=[simone.pk]))
    assert response.status_code == 404


@pytest.fixture
def other_zone_team(world):
    team = OrganisationFactory(name="Team Anderlecht", type=OrganisationType.HOME_NURSING,
                               municipality=Municipality.objects.get(nis_code="21001"),
                               postcode="1070")
    user = UserFactory(email="anderlecht@test.relais.example")
    MembershipFactory(user=user, organisation=team, function=Function.HOME_NURSE)
    return team, user


def test_the_list_shows_the_teams_reviews_not_other_teams(coordinator, gp, world,
                                                          other_zone_team):
    ours = write(coordinator, world.coordination_centre, situation="Ours: a refusal.")
    team, user = other_zone_team
    write(user, team, situation="Theirs: a fall at home.")
    page = login_as(_client(), coordinator).get(reverse("followup:review_list"))
    assert list(page.context["page"]) == [ours]
    assert "Theirs" not in page.content.decode()
    gp_page = login_as(_client(), gp).get(reverse("followup:review_list"))
    assert list(gp_page.context["page"]) == []


def test_the_care_zone_team_sees_its_zone_only(coordinator, analyst, world, other_zone_team):
    ours = write(coordinator, world.coordination_centre)
    team, user = other_zone_team
    write(user, team, situation="Elsewhere.")
    page = login_as(_client(), analyst).get(reverse("followup:review_list"))
    assert list(page.context["page"]) == [ours]
    assert login_as(_client(), analyst).get(
        reverse("followup:review_detail", args=[ours.pk])).status_code == 200


def test_filters_by_theme_and_kind(coordinator, world):
    refusal = write(coordinator, world.coordination_centre)
    went_wrong = reviews.write_review(kind=ReviewKind.WENT_WRONG, themes=["housing"],
                                      situation="No home to go to.", actor=coordinator,
                                      organisation=world.coordination_centre)
    client = login_as(_client(), coordinator)
    url = reverse("followup:review_list")
    assert list(client.get(url, {"theme": "housing"}).context["page"]) == [went_wrong]
    assert list(client.get(url, {"kind": "refusal"}).context["page"]) == [refusal]
    assert list(client.get(url, {"theme": "violence"}).context["page"]) == []


@pytest.mark.parametrize("persona", ["caregiver", "outsider", "anonymous"])
def test_portal_users_and_outsiders_get_nothing(coordinator, world, persona, request):
    review = write(coordinator, world.coordination_centre)
    client = _client()
    if persona != "anonymous":
        login_as(client, request.getfixturevalue(persona))
    for name, args in [("followup:review_list", []), ("followup:review_new", []),
                       ("followup:review_detail", [review.pk])]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == (302 if persona == "anonymous" else 404), name
    response = client.post(reverse("followup:review_discussed", args=[review.pk]),
                           {"discussed_on": "2026-11-17"})
    assert response.status_code in {302, 404}
    review.refresh_from_db()
    assert review.discussed_on is None


def test_only_the_team_marks_it_discussed(coordinator, analyst, world):
    review = write(coordinator, world.coordination_centre)
    url = reverse("followup:review_discussed", args=[review.pk])
    refused = login_as(_client(), analyst).post(url, {"discussed_on": "2026-11-17"})
    assert refused.status_code == 404
    review.refresh_from_db()
    assert review.discussed_on is None
    login_as(_client(), coordinator).post(url, {"discussed_on": "2026-11-17"})
    review.refresh_from_db()
    assert review.discussed_on == date(2026, 11, 17)


def test_a_session_in_the_future_is_refused(coordinator, world):
    review = write(coordinator, world.coordination_centre)
    with pytest.raises(ValidationError):
        reviews.mark_discussed(review, on=date(2026, 11, 19), actor=coordinator)
    review.refresh_from_db()
    assert review.discussed_on is None


def _client():
    from django.test import Client
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_the_person_page_offers_a_review_to_professionals_only(simone, coordinator, caregiver,
                                                               persona_client):
    url = reverse("followup:review_new_for_person", args=[simone.pk])
    page = persona_client("coordinator").get(reverse("network:person_detail",
                                                     args=[simone.pk]))
    assert url in page.content.decode()
    network_services.add_member(simone, kind=MemberKind.INFORMAL, user=caregiver,
                                name="A friend", relation=Relation.FRIEND,
                                roles=[Role.INFORMAL_CAREGIVER], actor=coordinator)
    network_services.record_consent(simone, scope=ConsentScope.NETWORK, given_by="Simone",
                                    given_on=date(2026, 11, 1), actor=coordinator)
    portal_page = login_as(_client(), caregiver).get(reverse("network:person_detail",
                                                             args=[simone.pk]))
    assert portal_page.status_code == 200
    assert url not in portal_page.content.decode()


def test_the_menu_has_case_reviews_for_team_members(persona_client):
    url = reverse("followup:review_list")
    assert f'href="{url}"' in persona_client("coordinator").get(
        reverse("accounts:home")).content.decode()
    assert f'href="{url}"' not in persona_client("outsider").get(
        reverse("accounts:home")).content.decode()


def test_the_demo_review_loads_once_and_names_no_one(db):
    from relais.accounts.demo import load_demo
    from relais.followup.demo import load_demo_reviews
    from relais.network.demo import load_demo_persons
    load_demo()
    load_demo_persons()
    assert load_demo_reviews() == 1
    assert load_demo_reviews() == 0
    review = CaseReview.objects.get()
    assert review.organisation.memberships.filter(
        user__email="coordinator@demo.relais.example").exists()
    assert review.month == date(2026, 11, 1)
    assert not AuditEvent.objects.filter(target_type="followup.casereview",
                                         person_id__isnull=False).exists()


def test_the_list_reads_a_constant_number_of_queries(coordinator, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    client = login_as(_client(), coordinator)
    url = reverse("followup:review_list")
    write(coordinator, world.coordination_centre)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(4):
        write(coordinator, world.coordination_centre, situation=f"Another case, number {n}.")
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(url).context["page"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)
