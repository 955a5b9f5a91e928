"""The development outbox: emails are files in var/outbox, readable at /outbox/ by whoever
is signed in, in development only; production keeps its own mail and has no such page."""

import os
import subprocess
import sys

import pytest
from django.core import mail
from django.urls import reverse

from relais.core import outbox

pytestmark = pytest.mark.django_db

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


@pytest.fixture
def files(settings, tmp_path):
    """Emails written as files, as in development without EMAIL_URL."""
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    return tmp_path / "outbox"


def send(subject, body, to, connection=None):
    mail.EmailMessage(subject, body, "Relais <no-reply@relais.localhost>", [to],
                      connection=connection).send()


def test_the_outbox_lists_the_emails_newest_first_with_their_text(client, coordinator, files):
    send("Older", "First email.", "gp@demo.relais.example")
    os.utime(next(files.glob("*.log")), (1, 1))  # written long ago
    send("Réinitialisation", "Ouvrez https://relais.example/reset/abc/ dans l’heure.",
         "coordinator@demo.relais.example")
    client.force_login(coordinator)

    response = client.get(reverse("core:outbox"))

    assert response.status_code == 200
    assert [e.subject for e in response.context["emails"]] == ["Réinitialisation", "Older"]
    newest = response.context["emails"][0]
    assert newest.to == "coordinator@demo.relais.example"
    assert newest.body == "Ouvrez https://relais.example/reset/abc/ dans l’heure."
    page = response.content.decode()
    assert '<a href="https://relais.example/reset/abc/"' in page  # the link can be followed
    assert page.index("Réinitialisation") < page.index("Older")


def test_several_messages_of_one_connection_are_all_listed(files):
    connection = mail.get_connection()
    connection.send_messages([
        mail.EmailMessage("One", "1", None, ["a@example.org"]),
        mail.EmailMessage("Two", "2", None, ["b@example.org"]),
    ])
    assert [e.subject for e in outbox.newest(files)] == ["Two", "One"]


def test_an_empty_outbox_says_how_to_fill_it(client, coordinator, files):
    client.force_login(coordinator)
    response = client.get(reverse("core:outbox"))
    assert response.status_code == 200 and response.context["emails"] == []
    assert "No email yet." in response.content.decode()


def test_the_footer_links_to_the_outbox_for_signed_in_users(client, coordinator, files):
    client.force_login(coordinator)
    assert reverse("core:outbox") in client.get(reverse("accounts:home")).content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, files):
    send("Secret link", "https://relais.example/reset/abc/", "gp@demo.relais.example")
    response = client.get(reverse("core:outbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_no_outbox_when_emails_are_not_files(client, coordinator, settings):
    """The tests' in-memory backend, SMTP, the console: nothing to show, no link."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.force_login(coordinator)
    assert client.get(reverse("core:outbox")).status_code == 404
    assert reverse("core:outbox") not in client.get(reverse("accounts:home")).content.decode()


def test_no_outbox_in_production_even_with_file_emails(client, coordinator, files, settings):
    settings.PRODUCTION = True
    client.force_login(coordinator)
    assert client.get(reverse("core:outbox")).status_code == 404


def email_settings(env: dict) -> str:
    environment = {**os.environ, **env}
    environment.pop("EMAIL_URL", None)
    code = ("from relais.config import settings as s; "
            "print(s.EMAIL_BACKEND, getattr(s, 'EMAIL_FILE_PATH', '-'))")
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True,
                          text=True, timeout=60, check=True).stdout.split()


def test_development_without_email_url_writes_to_var_outbox(tmp_path):
    backend, path = email_settings({"RELAIS_VAR_DIR": str(tmp_path), "RELAIS_ENV": ""})
    assert backend == FILE_BACKEND and path == str(tmp_path / "outbox")


def test_production_without_email_url_keeps_the_console(tmp_path):
    backend, path = email_settings({
        "RELAIS_VAR_DIR": str(tmp_path), "RELAIS_ENV": "production",
        "SECRET_KEY": "k3J9-vQ2_pLx8sRt0wYz6bNc4mHf1dGa7eUi5oPq2rSt9uVw3xYz0aBc8dEf4gHi"})
    assert backend == "django.core.mail.backends.console.EmailBackend" and path == "-"
