"""The person page's sections ask for their rows only when the person has some
(network.sections.person_has): one statement says which kinds exist at all."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from relais.access import decisions
from relais.network import services
from relais.network.sections import PERSON_ROWS, person_has
from relais.stays import services as stay_services

pytestmark = pytest.mark.django_db


def test_the_sections_register_the_kinds_of_rows_they_show():
    assert set(PERSON_ROWS) == {
        "network.mandates", "network.protection_orders", "network.assessments", "stays.stays",
        "stays.briefs", "followup.followups", "followup.watches", "followup.refusals",
        "followup.refused_referrals"}


def test_a_new_person_has_none_of_them(madeleine):
    assert [name for name in PERSON_ROWS if person_has(madeleine.pk, name)] == []


def open_stay(person, world, nurse):
    return stay_services.open_stay(
        person, hospital=world.hospital, ward=world.ward, actor=nurse,
        admitted_at=timezone.now() - timedelta(days=1),
        expected_discharge_on=timezone.localdate() + timedelta(days=2))


def test_a_row_written_in_the_request_is_seen_by_the_next_question(madeleine, world,
                                                                   liaison_nurse):
    with decisions.deciding_once():
        assert not person_has(madeleine.pk, "stays.stays")
        open_stay(madeleine, world, liaison_nurse)
        assert person_has(madeleine.pk, "stays.stays")  # the write emptied the memo
        assert not person_has(madeleine.pk, "followup.watches")


def test_the_answer_is_per_person(madeleine, world, liaison_nurse, coordinator):
    other = services.create_person({"first_name": "Jan", "last_name": "Test", "sex": "M"},
                                   actor=coordinator, organisation=world.coordination_centre)
    open_stay(madeleine, world, liaison_nurse)
    assert person_has(madeleine.pk, "stays.stays")
    assert not person_has(other.pk, "stays.stays")


def test_a_stay_shows_on_the_page_once_there_is_one(client, coordinator, madeleine, world,
                                                    liaison_nurse):
    client.force_login(coordinator)
    url = reverse("network:person_detail", args=[madeleine.pk])
    def shown_stays():
        sections = client.get(url).context["extra_sections"]
        return next(s["stays"] for s in sections if "stays" in s)

    assert shown_stays() == []
    stay = open_stay(madeleine, world, liaison_nurse)
    assert shown_stays() == [stay]
