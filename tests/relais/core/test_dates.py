"""Dates as Belgium writes them (relais.config.formats): day/month/year and a 24-hour clock
in Dutch, French and English; what a page shows, its forms and the person search accept."""

from datetime import UTC, date, datetime

import pytest
from django import forms
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from relais.core.jinja import datetime_writer
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from tests.relais.stays import conftest as stay_fixtures

madeleine = stay_fixtures.madeleine  # born 2 March 1941
former_member = stay_fixtures.former_member
excluded_pro = stay_fixtures.excluded_pro
hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay

pytestmark = pytest.mark.django_db

LANGUAGES = ["nl", "fr", "en"]


def client_for(user, language) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("language", "long_date"), [
    ("nl", "31 december 2026 14:05"), ("fr", "31 décembre 2026 14:05"),
    ("en", "31 December 2026 14:05")])
def test_every_language_writes_day_month_year_and_24_hours(language, long_date):
    moment = datetime(2026, 12, 31, 14, 5)
    with translation.override(language):
        assert date_format(moment, "SHORT_DATE_FORMAT") == "31/12/2026"
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "31/12/2026 14:05"
        assert date_format(moment, "DATETIME_FORMAT") == long_date
        assert date_format(moment, "TIME_FORMAT") == "14:05"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_person_list_shows_birth_dates_as_day_month_year(coordinator, madeleine, language):
    page = client_for(coordinator, language).get(reverse("network:person_list"))
    text = page.content.decode()
    assert f'<html lang="{language}">' in text
    assert "02/03/1941" in text
    assert "03/02/1941" not in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("query", ["02/03/1941", "2/3/1941", "02-03-1941", "02.03.1941",
                                   "1941-03-02"])
def test_the_search_accepts_the_date_the_page_shows(coordinator, madeleine, language, query):
    page = client_for(coordinator, language).get(reverse("network:person_list"), {"q": query})
    assert [p.pk for p in page.context["page"].object_list] == [madeleine.pk]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_takes_the_date_as_typed_and_the_pages_show_it_back(liaison_nurse, stay,
                                                                   language):
    client = client_for(liaison_nurse, language)
    response = client.post(reverse("stays:expected_date", args=[stay.pk]),
                           {"expected_discharge_on": "31/12/2026", "version": stay.version})
    assert response.status_code == 302
    stay.refresh_from_db()
    assert stay.expected_discharge_on == date(2026, 12, 31)
    worklist = client.get(reverse("stays:worklist")).content.decode()
    assert "31/12/2026" in worklist and "12/31/2026" not in worklist


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["31/12/2026", "31-12-2026", "31.12.2026", "2026-12-31"])
def test_date_fields_accept_every_belgian_way(language, typed):
    with translation.override(language):
        assert forms.DateField().clean(typed) == date(2026, 12, 31)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["31/12/26", "12/31/2026", "Dec 31 2026"])
def test_two_digit_years_and_us_dates_are_refused(language, typed):
    with translation.override(language), pytest.raises(forms.ValidationError):
        forms.DateField().clean(typed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_date_and_time_fields_accept_the_shown_form_and_the_browsers(language):
    with translation.override(language):
        field = forms.DateTimeField()
        for typed in ("31/12/2026 14:05", "2026-12-31T14:05"):
            moment = field.clean(typed)
            assert (moment.date(), moment.hour, moment.minute) == (date(2026, 12, 31), 14, 5)


def test_opening_a_stay_by_hand_takes_a_typed_date(liaison_nurse, madeleine, coordinator,
                                                   world):
    network_services.add_member(madeleine, kind=MemberKind.ORGANISATION,
                                organisation=world.hospital, roles=[Role.SPECIALIST],
                                actor=coordinator)  # so the liaison nurse sees her
    client = client_for(liaison_nurse, "en")
    response = client.post(reverse("stays:stay_new", args=[madeleine.pk]), {
        "hospital": world.hospital.pk, "admitted_at": "30/12/2026 09:30",
        "expected_discharge_on": "31.12.2026"})
    assert response.status_code == 302
    opened = madeleine.stays.get()
    assert opened.expected_discharge_on == date(2026, 12, 31)
    assert timezone.localtime(opened.admitted_at).strftime("%d/%m/%Y %H:%M") == (
        "30/12/2026 09:30")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("arg", ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT",
                                 "DATETIME_FORMAT", "c"])
def test_a_pages_date_writer_writes_what_the_templates_date_filter_writes(language, arg):
    """core/jinja.py: datetime_writer, for the many times of one page (the booklet's)."""
    template = engines["jinja2"].env.from_string("{{ value|date(arg) }}")
    zone = timezone.get_default_timezone()
    # Summer, winter, the hour that repeats in October, the UTC midnight of another day.
    moments = [datetime(2026, 7, 1, 8, 5, tzinfo=UTC),
               datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
               datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
               datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
               datetime(2027, 3, 1, 7, 0, tzinfo=zone)]
    with translation.override(language), timezone.override(zone):
        writer = datetime_writer(arg)
        for moment in moments:
            assert writer(moment) == template.render(
                value=moment, arg=arg, time_zone=zone), (moment, arg)
