"""A booklet entry's fixed part is rendered once and kept (`{% memo %}` in booklet.html):
what changes about an entry after it is written — a correction, its author's name, who
has read it — and what belongs to the reader — the "Correct" link — shows at once and
only to whom it should, whoever opened the booklet first."""

import re

import pytest
from django.urls import reverse

from relais.booklet import services
from relais.booklet.models import Audience
from relais.core.templatetags import memo
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro


def entries_of(client, person) -> str:
    page = client.get(reverse("booklet:booklet", args=[person.pk])).content.decode()
    return re.search(r'<ol class="entries">.*?</ol>', page, re.S).group(0)


def fresh(client, person) -> str:
    memo.forget()
    return entries_of(client, person)


@pytest.fixture
def entry(madeleine, coordinator):
    return services.write(madeleine, author=coordinator, body="Wound <b>dressed</b>\nat 9",
                          audience=Audience.NETWORK)


def test_a_correction_shows_on_the_kept_entry_at_once(client, madeleine, coordinator, entry):
    client.force_login(coordinator)
    memo.forget()
    before = entries_of(client, madeleine)
    assert "Wound &lt;b&gt;dressed&lt;/b&gt;<br>at 9" in before
    services.correct(entry, author=coordinator, body="Wound dressed at 10")
    kept = entries_of(client, madeleine)
    assert "Corrected by a newer entry" in kept
    assert kept == fresh(client, madeleine)


def test_an_authors_new_name_and_new_readers_show_at_once(client, madeleine, coordinator, gp,
                                                           entry):
    client.force_login(coordinator)
    memo.forget()
    entries_of(client, madeleine)
    type(coordinator).objects.filter(pk=coordinator.pk).update(first_name="Renamed")
    client.force_login(gp)
    client.get(reverse("booklet:booklet", args=[madeleine.pk]))  # the GP reads it
    client.force_login(coordinator)
    kept = entries_of(client, madeleine)
    assert kept == fresh(client, madeleine)
    assert gp.get_full_name() in kept  # seen by the GP


def test_the_correct_link_is_the_readers_own(client, madeleine, coordinator, gp, entry):
    memo.forget()
    client.force_login(coordinator)
    correct = reverse("booklet:entry_correct", args=[entry.pk])
    assert correct in entries_of(client, madeleine)
    client.force_login(gp)
    assert correct not in entries_of(client, madeleine)  # the same kept entry, not the link
    client.force_login(coordinator)
    assert correct in entries_of(client, madeleine)


def test_each_language_has_its_own_entry(client, madeleine, coordinator, entry):
    client.force_login(coordinator)
    memo.forget()
    pages = set()
    for language in ("nl", "fr", "en"):
        type(coordinator).objects.filter(pk=coordinator.pk).update(language=language)
        pages.add(entries_of(client, madeleine))
    assert len(pages) == 3
