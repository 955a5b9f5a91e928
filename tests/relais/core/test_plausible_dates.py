"""Plausible dates (issue 12): births from 1900 to today, what happened from 2000 to today,
stays and plans from 2000 to a year ahead, ends of mandates within 30 years; refused in the
forms with a message naming the window, and by the stay services (the ADT feed too)."""

import html
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from relais.access.models import Consent
from relais.booklet.models import Consultation
from relais.core import validators
from relais.network import services as network_services
from relais.network.models import Mandate, Person
from relais.stays import services as stays
from relais.stays.models import Referral, Stay
from tests.relais.network import conftest as network_fixtures
from tests.relais.stays import conftest as stay_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of
hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay
nursing_service = stay_fixtures.nursing_service

TODAY = timezone.localdate()
A_YEAR_AHEAD = TODAY + timedelta(days=validators.PLANNED_DAYS_AHEAD)


@pytest.fixture(autouse=True)
def _still_the_day_the_windows_were_computed(time_machine):
    """TODAY is computed when pytest collects this module; a run that crosses midnight in
    Brussels (23:00 UTC) would hold it against the next day's windows. Such a test runs
    in the last second of TODAY instead (only then: the database's own clock stays
    near Python's)."""
    if timezone.localdate() != TODAY:
        last_second = datetime.combine(TODAY, time(23, 59, 59),
                                       tzinfo=timezone.get_current_timezone())
        time_machine.move_to(last_second, tick=False)


def shown(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def message_of(check, value) -> str:
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        check(value)
    with translation.override("en"):
        return refused.value.messages[0]


def page_text(response) -> str:
    return html.unescape(response.content.decode())


# --- the windows ---------------------------------------------------------------------------


@pytest.mark.parametrize(("check", "accepted", "refused"), [
    (validators.validate_birth_date, [date(1900, 1, 1), TODAY],
     [date(1000, 1, 1), date(1899, 12, 31), TODAY + timedelta(days=1)]),
    (validators.validate_past_date, [date(2000, 1, 1), TODAY],
     [date(1999, 12, 31), TODAY + timedelta(days=1)]),
    (validators.validate_planning_date, [date(2000, 1, 1), A_YEAR_AHEAD],
     [date(1999, 12, 31), A_YEAR_AHEAD + timedelta(days=1), date(2207, 1, 1)]),
    (validators.validate_end_date, [date(2000, 1, 1), date(TODAY.year + 30, 12, 31)],
     [date(1999, 12, 31), date(TODAY.year + 31, 1, 1)]),
])
def test_each_window_has_its_edges(check, accepted, refused):
    for day in accepted:
        check(day)
    for day in refused:
        with pytest.raises(ValidationError):
            check(day)
    check(None)  # an empty date is for `required` to judge


def test_the_message_names_the_window():
    assert message_of(validators.validate_birth_date, date(1000, 1, 1)) == (
        "Enter a birth date between 01/01/1900 and today.")
    assert message_of(validators.validate_planning_date, date(2207, 1, 1)) == (
        f"Enter a date between 01/01/2000 and {shown(A_YEAR_AHEAD)}.")


def test_a_date_time_is_judged_by_its_day_in_brussels():
    validators.validate_planning_date(timezone.now())
    with pytest.raises(ValidationError):
        validators.validate_planning_date(timezone.now().replace(year=1999))


# --- birth dates -----------------------------------------------------------------------------


def person_post(birth_date: str) -> dict:
    return {"first_name": "Jeanne", "last_name": "Peeters", "birth_date": birth_date,
            "sex": "F", "language": "nl", "living_situation": "alone"}


@pytest.mark.parametrize("birth_date", ["1000-01-01", "1899-12-31",
                                        (TODAY + timedelta(days=1)).isoformat()])
def test_an_impossible_birth_date_is_refused_by_the_person_form(client, coordinator,
                                                                birth_date):
    client.force_login(coordinator)

    response = client.post(reverse("network:person_create"), person_post(birth_date))

    assert response.status_code == 200
    assert "Enter a birth date between 01/01/1900 and today." in page_text(response)
    assert not Person.objects.exists()


def test_a_plausible_birth_date_opens_the_record(client, coordinator):
    client.force_login(coordinator)

    response = client.post(reverse("network:person_create"), person_post("1941-03-02"))

    assert response.status_code == 302
    assert Person.objects.get().birth_date == date(1941, 3, 2)


def test_the_message_is_in_the_readers_language(client, coordinator):
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    client.force_login(coordinator)

    response = client.post(reverse("network:person_create"), person_post("1000-01-01"))

    assert ("Indiquez une date de naissance entre le 01/01/1900 et aujourd'hui."
            in page_text(response))


# --- stays ---------------------------------------------------------------------------------


def test_an_admission_before_2000_is_refused_by_the_stay_form(client, liaison_nurse, world):
    person = network_services.create_person({"first_name": "Jan", "last_name": "Peeters"},
                                            actor=liaison_nurse, organisation=world.hospital)
    client.force_login(liaison_nurse)

    response = client.post(reverse("stays:stay_new", args=[person.pk]),
                           {"hospital": world.hospital.pk, "admitted_at": "1999-12-31T10:00"})

    assert response.status_code == 200
    assert (f"Enter a date between 01/01/2000 and {shown(A_YEAR_AHEAD)}."
            in page_text(response))
    assert not Stay.objects.exists()


def test_the_stay_services_refuse_what_no_form_checked(madeleine, world, liaison_nurse):
    with pytest.raises(ValidationError) as refused:
        stays.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse,
                        admitted_at=timezone.now().replace(year=2207))

    assert set(refused.value.message_dict) == {"admitted_at"}
    assert not Stay.objects.exists()


def test_an_expected_discharge_two_years_ahead_is_refused_and_said(client, stay, liaison_nurse):
    client.force_login(liaison_nurse)
    before = stay.expected_discharge_on

    response = client.post(reverse("stays:expected_date", args=[stay.pk]),
                           {"expected_discharge_on": (TODAY + timedelta(days=730)).isoformat(),
                            "version": stay.version}, follow=True)

    assert f"Enter a date between 01/01/2000 and {shown(A_YEAR_AHEAD)}." in page_text(response)
    stay.refresh_from_db()
    assert stay.expected_discharge_on == before


def test_a_discharge_before_the_admission_is_still_refused(client, stay, liaison_nurse):
    client.force_login(liaison_nurse)

    response = client.post(reverse("stays:discharge", args=[stay.pk]), {
        "discharged_at": (timezone.localtime(stay.admitted_at) - timedelta(days=1)).strftime(
            "%Y-%m-%dT%H:%M"), "destination": "home", "reason": "Family takes over."})

    assert "The discharge cannot be before the admission." in page_text(response)
    stay.refresh_from_db()
    assert stay.discharged_at is None


# --- contacts, consents, mandates, referrals, consultations ---------------------------------


def test_a_consent_given_before_2000_is_refused(client, madeleine, coordinator):
    client.force_login(coordinator)
    before = Consent.objects.count()

    response = client.post(reverse("network:consent", args=[madeleine.pk]),
                           {"scope": "hospitals", "given_by": "Madeleine",
                            "given_on": "1999-12-31"})

    assert "Enter a date between 01/01/2000 and today." in page_text(response)
    assert Consent.objects.count() == before


def test_a_consent_given_tomorrow_keeps_its_own_message(client, madeleine, coordinator):
    client.force_login(coordinator)

    response = client.post(reverse("network:consent", args=[madeleine.pk]),
                           {"scope": "hospitals", "given_by": "Madeleine",
                            "given_on": (TODAY + timedelta(days=1)).isoformat()})

    assert "Consent cannot be given in the future." in page_text(response)


def test_a_mandate_valid_until_2999_is_refused(client, madeleine, coordinator, caregiver,
                                               member_of):
    client.force_login(coordinator)

    response = client.post(reverse("network:mandate_add", args=[madeleine.pk]), {
        "representative": member_of(user=caregiver).pk, "scope": "All care decisions.",
        "signed_on": TODAY.isoformat(), "signed_by_person": "on",
        "signed_by_representative": "on", "starts_on": TODAY.isoformat(),
        "ends_on": "2999-01-01"})

    assert (f"Enter a date between 01/01/2000 and 31/12/{TODAY.year + 30}."
            in page_text(response))
    assert not Mandate.objects.exists()


def test_help_starting_in_two_years_is_refused(client, stay, nursing_service, liaison_nurse):
    client.force_login(liaison_nurse)
    url = reverse("stays:referral_new", args=[stay.pk]) + f"?service={nursing_service.pk}"

    response = client.post(url, {**stay_fixtures.NEEDS, "urgency": "routine",
                                 "person_agrees": "on",
                                 "start_on": (TODAY + timedelta(days=730)).isoformat()})

    assert f"Enter a date between 01/01/2000 and {shown(A_YEAR_AHEAD)}." in page_text(response)
    assert not Referral.objects.exists()


def test_a_consultation_deadline_two_years_ahead_is_refused(client, madeleine, coordinator,
                                                            gp, member_of):
    client.force_login(coordinator)
    deadline = timezone.localtime() + timedelta(days=730)

    response = client.post(reverse("booklet:consultation_new", args=[madeleine.pk]), {
        "members": [member_of(user=gp).pk], "question": "Who visits?",
        "deadline": deadline.strftime("%Y-%m-%dT%H:%M")})

    assert f"Enter a date between 01/01/2000 and {shown(A_YEAR_AHEAD)}." in page_text(response)
    assert not Consultation.objects.exists()
