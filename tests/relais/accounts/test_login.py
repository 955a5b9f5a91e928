"""Login that fits health data: generic errors, lock-out, two-factor (the reset by email
is in test_password_reset.py)."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from relais.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory
from tests.helpers import without_tokens

LOGIN = reverse("accounts:login")
HOME = reverse("accounts:home")

pytestmark = pytest.mark.django_db


def post_login(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def test_right_password_logs_in_and_is_audited(client, home_nurse):
    response = post_login(client, "NURSE@test.relais.example", TEST_PASSWORD)
    assert response.status_code == 302 and response.url == HOME
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.outcome) == (home_nurse, "success")
    assert event.organisation == home_nurse.memberships.get().organisation


def test_wrong_password_shows_one_generic_message(client, home_nurse):
    response = post_login(client, home_nurse.email, "wrong password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed", outcome="failed").count() == 1


def test_unknown_and_known_addresses_get_the_same_answer(client, home_nurse):
    known = post_login(client, home_nurse.email, "wrong password")
    unknown = post_login(client, "nobody@test.relais.example", "wrong password")
    def page(response, email):
        return without_tokens(response).replace(email, "<typed address>")

    assert known.status_code == unknown.status_code == 200
    assert page(known, home_nurse.email) == page(unknown, "nobody@test.relais.example")


def test_repeated_failures_lock_the_account_with_a_clear_message(client, home_nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, home_nurse.email, "wrong password")
    response = post_login(client, home_nurse.email, TEST_PASSWORD)
    assert response.status_code == 429
    assert "blocked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_out_also_applies_to_unknown_addresses(client, settings):
    """Otherwise the lock-out itself would reveal which addresses have an account."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "nobody@test.relais.example", "guess")
    response = post_login(client, "nobody@test.relais.example", "guess")
    assert response.status_code == 429


def test_two_factor_is_required_for_professionals_in_production(client, home_nurse, settings):
    settings.RELAIS_REQUIRE_2FA = True
    post_login(client, home_nurse.email, TEST_PASSWORD)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url == reverse("accounts:two_factor_setup")
    assert client.get(reverse("accounts:organisation_list")).status_code == 302


def test_portal_users_are_not_forced_into_two_factor(client, caregiver, settings):
    settings.RELAIS_REQUIRE_2FA = True
    post_login(client, caregiver.email, TEST_PASSWORD)
    assert client.get(HOME).status_code == 200


def test_a_portal_account_given_the_admin_must_set_up_two_factor_too(client, caregiver,
                                                                    settings):
    settings.RELAIS_REQUIRE_2FA = True
    caregiver.is_staff = True  # the admin's "Rights" let a portal account in
    caregiver.save(update_fields=["is_staff"])
    post_login(client, caregiver.email, TEST_PASSWORD)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:two_factor_setup")


def test_two_factor_setup_gives_backup_codes_and_then_asks_a_code_at_login(
    client, home_nurse, settings
):
    # django-otp slows down retries after a wrong code; this journey retries at once.
    settings.OTP_STATIC_THROTTLE_FACTOR = settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client.force_login(home_nurse)
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=home_nurse, confirmed=False)
    response = client.post(reverse("accounts:two_factor_setup"), {"token": current_code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    assert AuditEvent.objects.filter(action="auth.two_factor_enabled").count() == 1

    client.logout()
    post_login(client, home_nurse.email, TEST_PASSWORD)
    assert client.get(HOME).url.startswith(reverse("accounts:verify"))
    wrong = client.post(reverse("accounts:verify"), {"token": "000000x"})
    assert "not valid" in wrong.content.decode()
    right = client.post(reverse("accounts:verify"), {"token": codes[0], "next": HOME})
    assert right.status_code == 302 and right.url == HOME
    assert client.get(HOME).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()  # used once


def test_a_wrong_setup_code_does_not_turn_two_factor_on(client, home_nurse):
    client.force_login(home_nurse)
    client.get(reverse("accounts:two_factor_setup"))
    response = client.post(reverse("accounts:two_factor_setup"), {"token": "123"})
    assert "not valid" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=home_nurse, confirmed=True).exists()


def test_logout_needs_a_post_and_is_audited(client, home_nurse):
    client.force_login(home_nurse)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert AuditEvent.objects.filter(action="auth.logout", actor=home_nurse).count() == 1


def test_language_choice_is_remembered_on_the_account(client):
    user = UserFactory(language="en")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": HOME})
    user.refresh_from_db()
    assert user.language == "fr"
    assert 'lang="fr"' in client.get(HOME).content.decode()


def test_a_signed_in_request_carries_the_user_itself_verified_as_at_login(client, home_nurse):
    # Out of Django's and django-otp's lazy wrappers (a page reads the user's attributes
    # hundreds of times); what django-otp knows of the login comes along.
    from relais.accounts.models import User

    client.force_login(home_nurse)
    request = client.get(reverse("network:person_list")).wsgi_request
    assert type(request.user) is User and request.user.pk == home_nurse.pk
    assert request.user.is_verified() is False  # force_login gives no second factor
