"""The going-home sheet (R1): in the person's language without changing the reader's, and
naming the relay professional who explains the plan."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from relais.network import services as network_services
from relais.network.models import Role
from relais.stays import going_home

pytestmark = pytest.mark.django_db


def sheet(user, stay) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("stays:going_home", args=[stay.pk])).content.decode()


def test_a_french_sheet_leaves_a_dutch_reader_in_dutch(stay, liaison_nurse):
    liaison_nurse.language = "nl"
    liaison_nurse.save()
    stay.person.language = "fr"
    stay.person.save()
    client = Client()
    client.force_login(liaison_nurse)

    response = client.get(reverse("stays:going_home", args=[stay.pk]))

    text = response.content.decode()
    assert '<article class="going-home" lang="fr">' in text
    assert "Retour à la maison" in text and "Qui appeler" in text  # the sheet: French
    assert '<html lang="nl">' in text  # the page around it: the reader's Dutch
    assert '<option value="nl" lang="nl" selected>' in text
    assert "Afmelden" in text and "<title>Naar huis: Madeleine Lambert" in text
    assert "Het blad is in het Frans, de taal van de persoon." in text
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    liaison_nurse.refresh_from_db()
    assert liaison_nurse.language == "nl"

    following = client.get(reverse("stays:stay_detail", args=[stay.pk])).content.decode()
    assert '<html lang="nl">' in following and "Afmelden" in following
    assert "Retour à la maison" not in following


def test_a_visitor_cookie_is_left_alone_too(stay, liaison_nurse):
    stay.person.language = "fr"
    stay.person.save()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(liaison_nurse)
    response = client.get(reverse("stays:going_home", args=[stay.pk]))
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(reverse("accounts:home")).content.decode()


def test_a_person_who_is_their_own_contact_point_is_sent_to_the_gp(stay, liaison_nurse, gp,
                                                                   member_of):
    assert member_of(relation="self").is_contact_point  # Madeleine herself
    stay.person.language = "en"
    stay.person.save()

    text = sheet(liaison_nurse, stay)

    assert "First call: <strong>Madeleine Lambert</strong>" not in text
    assert f"First call: <strong>{gp.get_full_name()}</strong> (general practitioner)" in text
    assert (f"{gp.get_full_name()} explains this plan to you and answers your questions "
            "about it.") in text


def test_the_professional_who_owns_the_plan_is_the_relay(stay, liaison_nurse, gp):
    stay.plan_items.update(owner=liaison_nurse)
    stay.person.language = "en"
    stay.person.save()
    stay.ward.phone = "+32 2 555 01 02"
    stay.ward.save()

    text = sheet(liaison_nurse, stay)

    name = liaison_nurse.get_full_name()
    assert (f"First call: <strong>{name}</strong> (liaison nurse, Hôpital Test) — "
            '<a href="tel:+32 2 555 01 02">') in text
    assert f"{name} explains this plan to you" in text
    assert f"<strong>{gp.get_full_name()}</strong> (general practitioner)" in text  # listed


def test_without_plan_owner_or_gp_the_coordination_centre_explains(stay, liaison_nurse,
                                                                   coordinator, member_of):
    network_services.end_member(member_of(roles__role=Role.GP), actor=coordinator)
    stay.person.language = "en"
    stay.person.save()
    text = sheet(liaison_nurse, stay)
    assert ("First call: <strong>Coordination Test</strong> (coordination centre)") in text
    assert "Coordination Test explains this plan to you" in text


def test_a_relative_as_contact_point_stays_first_and_the_relay_is_named(
        stay, liaison_nurse, gp, coordinator, member_of):
    network_services.set_contact_point(member_of(name="Sophie Lambert"), actor=coordinator)
    stay.person.language = "en"
    stay.person.save()
    text = sheet(liaison_nurse, stay)
    assert "First call: <strong>Sophie Lambert</strong> — " in text
    assert f"{gp.get_full_name()} explains this plan to you" in text


def test_a_plan_owner_who_left_the_hospital_is_not_named(stay, liaison_nurse, gp):
    stay.plan_items.update(owner=liaison_nurse)
    liaison_nurse.memberships.update(ended_on="2000-01-02", started_on="2000-01-01")
    relay = going_home.relay_for(stay, [])
    assert relay is None
