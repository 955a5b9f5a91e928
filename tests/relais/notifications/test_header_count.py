"""The header's unread count is asked with the page's first small questions (one
statement: core.kept.asking_together, joined through access.decisions), and only for a
page that shows the header."""

import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.access import decisions
from relais.core import kept
from relais.notifications import context_processors
from relais.notifications.models import Notification
from relais.stays import services as stays_services
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

pytestmark = pytest.mark.django_db


@pytest.fixture
def news_for_gp(madeleine, world, liaison_nurse, gp):
    """The GP has news of Madeleine's admission, unread."""
    stays_services.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)
    return Notification.objects.filter(recipient=gp).unread().count()


def badge(page) -> int:
    found = re.search(r'Notifications <span class="badge badge-warn">(\d+)</span>',
                      page.content.decode())
    return int(found.group(1)) if found else 0


def statements_naming(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries if f'"{table}"' in q["sql"]]


def test_a_person_page_asks_it_with_which_sections_have_rows(client, madeleine, gp,
                                                             news_for_gp):
    client.force_login(gp)
    url = reverse("network:person_detail", args=[madeleine.pk])
    client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert news_for_gp and badge(page) == news_for_gp
    [asked] = statements_naming(queries, "notifications_notification")
    assert '"followup_followup"' in asked  # with the sections' question (person_has)


def test_a_write_in_the_request_asks_a_count_not_read_yet_again(gp, news_for_gp):
    """The header's count came with another question; the page then marks the news read:
    the header shows what the write left (the gate's hook on every write calls
    kept.written)."""
    with decisions.deciding_once(), kept.asking_together():
        counted = context_processors._counted(gp)
        assert kept.later_exists(("test.anyone",), lambda s: Notification.objects.filter(
            recipient_id=s.user), user=gp.pk).get()
        Notification.objects.filter(recipient=gp).update(read_at=timezone.now())
        assert counted.get() == 0


@pytest.mark.parametrize(("method", "headers", "asked"), [
    ("get", {}, True),
    ("get", {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}, True),
    ("get", {"HTTP_HX_REQUEST": "true"}, False),  # a fragment: no header
    ("get", {"HTTP_ACCEPT": "application/fhir+json"}, False),
    ("post", {}, False),  # answered by a redirect
])
def test_only_a_page_that_shows_the_header_asks_it_early(gp, method, headers, asked):
    request = getattr(RequestFactory(), method)("/", **headers)
    request.user = gp
    context_processors.ask_with_the_page(request)
    assert hasattr(request, context_processors.ASKED) is asked


def test_an_api_call_asking_small_questions_does_not_ask_the_headers(client, madeleine, gp,
                                                                     news_for_gp):
    """A fragment (htmx) asks the page's questions without the header's."""
    client.force_login(gp)
    url = reverse("network:person_detail", args=[madeleine.pk])
    with CaptureQueriesContext(connection) as queries:
        client.get(url, HTTP_HX_REQUEST="true")
    asked = statements_naming(queries, "followup_followup")
    assert asked and not any('"notifications_notification"' in sql for sql in asked)
