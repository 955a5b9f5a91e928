"""The demo care zone: complete, plausible, valid identifiers, and idempotent."""

import pytest
from django.urls import reverse

from relais.accounts import demo
from relais.accounts.models import Function, Membership, Organisation, OrganisationType, User
from relais.accounts.validators import validate_kbo, validate_riziv

pytestmark = pytest.mark.django_db


def test_loading_twice_creates_nothing_the_second_time():
    first = demo.load_demo()
    second = demo.load_demo()
    assert first == {"organisations": 13, "wards": 8, "users": 17, "memberships": 16}
    assert second == {"organisations": 0, "wards": 0, "users": 0, "memberships": 0}
    assert Organisation.objects.count() == 13 and User.objects.count() == 17


def test_the_zone_has_every_kind_of_partner_the_issue_lists():
    demo.load_demo()
    types = set(Organisation.objects.values_list("type", flat=True))
    assert types == {
        OrganisationType.HOSPITAL, OrganisationType.COORDINATION_CENTRE,
        OrganisationType.HOME_NURSING, OrganisationType.HOME_HELP,
        OrganisationType.GP_PRACTICE, OrganisationType.PHARMACY,
        OrganisationType.PUBLIC_SOCIAL_WELFARE, OrganisationType.HOUSING,
        OrganisationType.DOMESTIC_VIOLENCE, OrganisationType.CARE_ZONE_TEAM,
        OrganisationType.OTHER}  # the alderman's office of the decision-maker
    assert Organisation.objects.filter(type=OrganisationType.HOSPITAL).count() == 2
    zones = set(Organisation.objects.values_list("municipality__care_zone__code", flat=True))
    assert zones == {"south-east", "north"}  # North: its support team only
    assert Organisation.objects.get(municipality__care_zone__code="north").type == (
        OrganisationType.CARE_ZONE_TEAM)


def test_hospitals_have_wards_with_and_without_liaison():
    demo.load_demo()
    for hospital in Organisation.objects.filter(type=OrganisationType.HOSPITAL):
        assert hospital.wards.count() >= 3
        assert {w.has_liaison for w in hospital.wards.all()} == {True, False}


def test_identifiers_pass_their_check_digits():
    demo.load_demo()
    for number in Organisation.objects.values_list("kbo_number", flat=True):
        validate_kbo(number)
    for number in User.objects.exclude(riziv_number="").values_list("riziv_number", flat=True):
        validate_riziv(number)


def test_there_is_one_login_per_function():
    demo.load_demo()
    functions = set(Membership.objects.values_list("function", flat=True))
    assert {Function.LIAISON_NURSE, Function.HOSPITAL_SOCIAL_WORKER, Function.WARD_NURSE,
            Function.COORDINATOR, Function.CASE_MANAGER, Function.GENERAL_PRACTITIONER,
            Function.HOME_NURSE, Function.HOME_HELP, Function.PHARMACIST,
            Function.SOCIAL_WORKER, Function.CARE_ZONE_ANALYST, Function.MANAGER,
            Function.DECISION_MAKER} <= functions
    assert User.objects.get(email=f"admin@{demo.DEMO_DOMAIN}").is_superuser


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_demo_login_works_in_every_language(client, language, settings):
    demo.load_demo()
    for email, _, _ in demo.logins():
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.post(reverse("accounts:login"),
                               {"username": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, email
        home = client.get(reverse("accounts:home"))
        assert home.status_code == 200 and f'lang="{language}"' in home.content.decode()
        client.post(reverse("accounts:logout"))
