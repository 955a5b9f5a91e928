"""Configuration comes only from the environment; production refuses unsafe defaults."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from relais.config import settings as relais_settings
from relais.config.env import parse_email_url

STRONG_SECRET = "k3J9-vQ2_pLx8sRt0wYz6bNc4mHf1dGa7eUi5oPq2rSt9uVw3xYz0aBc8dEf4gHi"


def run_relais(*args, env=None):
    environment = {**os.environ, **(env or {})}
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' session
    return subprocess.run([sys.executable, "-m", "relais.config.cli", *args],
                          capture_output=True, text=True, env=environment, timeout=120)


def test_passwords_are_hashed_with_argon2():
    assert relais_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_email_url_is_parsed_into_django_settings():
    config = parse_email_url("smtp://relais%40zone.be:s3cret@mail.example:2525?tls=1")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example", 2525)
    credentials = (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"])
    assert credentials == ("relais@zone.be", "s3cret")
    assert config["EMAIL_USE_TLS"] is True


def test_an_unknown_email_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured):
        parse_email_url("carrier-pigeon://loft")


def test_production_refuses_to_start_without_a_real_secret(tmp_path):
    result = run_relais("check", env={"RELAIS_ENV": "production", "SECRET_KEY": "",
                                      "RELAIS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_deploy_check_reports_zero_warnings(tmp_path):
    result = run_relais("check", "--deploy", "--fail-level", "WARNING", env={
        "RELAIS_ENV": "production", "SECRET_KEY": STRONG_SECRET,
        "ALLOWED_HOSTS": "relais.example", "RELAIS_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_development_deploy_check_does_warn(tmp_path):
    """The check is real: the development defaults are flagged."""
    result = run_relais("check", "--deploy", env={"RELAIS_VAR_DIR": str(tmp_path)})
    assert "security.W004" in result.stderr + result.stdout  # no HSTS in development


def test_deploy_check_warns_when_production_lets_professionals_in_without_2fa(tmp_path):
    result = run_relais("check", "--deploy", env={
        "RELAIS_ENV": "production", "SECRET_KEY": STRONG_SECRET, "RELAIS_REQUIRE_2FA": "0",
        "RELAIS_SESSION_MAX_HOURS": "72", "ALLOWED_HOSTS": "relais.example",
        "RELAIS_VAR_DIR": str(tmp_path)})
    output = result.stderr + result.stdout
    assert "relais.W001" in output and "relais.W002" in output
    assert "System check identified 2 issues (0 silenced)." in output
