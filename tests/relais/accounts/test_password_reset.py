"""Password reset: the request answers the same, doing the same work, whether or not the
address has an account; the worker looks it up and sends the link."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from relais.audit.models import AuditEvent
from tests.factories import UserFactory

RESET = reverse("accounts:password_reset")
DONE = reverse("accounts:password_reset_done")
UNKNOWN = "nobody@test.relais.example"
TASK = "relais.accounts.tasks.send_password_reset"

pytestmark = pytest.mark.django_db


def ask_reset(client, email):
    """Ask for a link; the answer, the queries it made and the task it queued."""
    before = set(DBTaskResult.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(RESET, {"email": email})
    queued = list(DBTaskResult.objects.exclude(pk__in=before))
    return response, queries, queued


def run_worker() -> dict:
    """Run every queued task as the worker would, with its stored (JSON) arguments; what
    each returned, by the address it was queued for."""
    results = {}
    for row in DBTaskResult.objects.all():
        stored = row.task_result
        results[stored.args[0]] = stored.task.call(*stored.args, **stored.kwargs)
    return results


def reset_link(message) -> str:
    return re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", message.body)[1]


def test_known_and_unknown_addresses_queue_one_task_and_get_the_same_answer(
        client, home_nurse):
    known, known_queries, known_tasks = ask_reset(client, home_nurse.email)
    unknown, unknown_queries, unknown_tasks = ask_reset(client, UNKNOWN)

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url) == (302, DONE)
    assert [t.task_path for t in known_tasks] == [t.task_path for t in unknown_tasks] == [TASK]
    assert known_tasks[0].task_result.args == [home_nurse.email]
    assert unknown_tasks[0].task_result.args == [UNKNOWN]
    assert known_tasks[0].task_result.kwargs == unknown_tasks[0].task_result.kwargs == {
        "domain": "testserver", "use_https": False, "language": "en"}
    # The same work in the request: nobody looks the address up, nothing is sent yet.
    assert len(known_queries) == len(unknown_queries)
    assert not any("accounts_user" in q["sql"] for q in [*known_queries, *unknown_queries])
    assert mail.outbox == []
    assert known.content == unknown.content
    assert AuditEvent.objects.filter(action="auth.password_reset_requested").count() == 2


def test_the_worker_sends_the_link_only_to_the_existing_account(client, home_nurse):
    ask_reset(client, home_nurse.email)
    ask_reset(client, UNKNOWN)
    assert run_worker() == {home_nurse.email: True, UNKNOWN: False}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [home_nurse.email]

    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    new_password = "a brand new passphrase"
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    home_nurse.refresh_from_db()
    assert home_nurse.check_password(new_password)
    changed = AuditEvent.objects.get(action="auth.password_changed")
    assert (changed.actor, changed.detail) == (home_nurse, {"via": "reset_link"})


def test_an_inactive_account_gets_no_email(client):
    UserFactory(email="left@test.relais.example", is_active=False)
    response, _queries, queued = ask_reset(client, "left@test.relais.example")
    assert (response.status_code, len(queued)) == (302, 1)
    assert run_worker() == {"left@test.relais.example": False}
    assert mail.outbox == []


def test_the_email_is_in_the_language_of_its_recipient(client):
    UserFactory(email="fr@test.relais.example", language="fr")
    ask_reset(client, "FR@test.relais.example")  # asked from an English page, any case
    run_worker()
    assert mail.outbox[0].to == ["fr@test.relais.example"]
    assert mail.outbox[0].subject == "Relais\u00a0: choisissez un nouveau mot de passe"
    assert reset_link(mail.outbox[0]).startswith("/accounts/password/reset/")
