"""What each booklet row shows, now worked out in the view (issue 15: render less): the
kind and audience in the reader's language, the correction, who saw it and when."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from relais.booklet import services
from relais.booklet.models import Audience, Entry, EntryKind, ReadReceipt
from relais.core.templatetags import memo
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro


def _row(html: str, entry) -> str:
    return re.search(rf'<li id="entry-{entry.pk}".*?</li>', html, re.S).group(0)


def _seen_at(entry, user) -> str:
    read_at = ReadReceipt.objects.get(entry=entry, user=user).read_at
    return timezone.localtime(read_at).strftime("%H:%M")


def test_a_row_says_its_kind_audience_correction_and_who_saw_it(madeleine, coordinator, gp,
                                                                 client):
    coordinator.first_name, coordinator.last_name = "Jeanne", "D'Orval & Fils"
    coordinator.save(update_fields=["first_name", "last_name"])
    gp.language = "fr"
    gp.save(update_fields=["language"])
    old = services.write(madeleine, author=coordinator, body="Fell in the kitchen",
                         kind=EntryKind.ALERT, audience=Audience.HEALTH)
    new = services.correct(old, author=coordinator, body="Fell in the bathroom")
    services.acknowledge(old, user=gp)

    client.force_login(gp)
    html = client.get(reverse("booklet:booklet", args=[madeleine.pk])).content.decode()

    superseded, correction = _row(html, old), _row(html, new)
    with translation.override("fr"):
        alert, health = str(EntryKind.ALERT.label), str(Audience.HEALTH.label)
    assert 'class="card entry entry-alert entry-superseded"' in superseded
    assert f'<span class="badge badge-bad">{alert}</span>' in superseded
    assert f'<span class="muted">{health}</span>' in superseded
    assert f'href="#entry-{new.pk}"' in superseded
    # the author's receipt, then the GP's acknowledgement; names escaped
    assert (f"Jeanne D&#x27;Orval &amp; Fils {_seen_at(old, coordinator)}, "
            f"{gp.get_full_name()} {_seen_at(old, gp)} ✓</p>") in superseded
    assert "entry-superseded" not in correction
    assert f"Jeanne D&#x27;Orval &amp; Fils {_seen_at(new, coordinator)}</p>" in correction


def test_only_the_author_may_correct_and_only_the_newest_version(madeleine, coordinator,
                                                                 client):
    old = services.write(madeleine, author=coordinator, body="First words")
    new = services.correct(old, author=coordinator, body="Better words")

    client.force_login(coordinator)
    html = client.get(reverse("booklet:booklet", args=[madeleine.pk])).content.decode()

    assert reverse("booklet:entry_correct", args=[new.pk]) in _row(html, new)
    assert reverse("booklet:entry_correct", args=[old.pk]) not in _row(html, old)


def test_a_reader_without_a_name_is_shown_by_email(madeleine, coordinator, gp, client):
    gp.first_name = gp.last_name = ""
    gp.save(update_fields=["first_name", "last_name"])
    entry = services.write(madeleine, author=coordinator, body="Fell again",
                           kind=EntryKind.ALERT, audience=Audience.HEALTH)
    services.acknowledge(entry, user=gp)

    client.force_login(coordinator)
    html = client.get(reverse("booklet:booklet", args=[madeleine.pk])).content.decode()

    assert f"{gp.email} {_seen_at(entry, gp)} ✓" in _row(html, entry)


def test_a_row_shows_its_body_escaped_with_its_lines_and_the_entry_it_answers(
        madeleine, coordinator, gp, client):
    question = services.write(madeleine, author=gp, body="Can she <b>walk</b> alone? " * 5)
    answer = services.write(madeleine, author=coordinator, reply_to=question,
                            body="Yes, with a frame.\r\nNot at night & not <outside>.")
    client.force_login(coordinator)
    row = _row(client.get(reverse("booklet:booklet", args=[madeleine.pk])).content.decode(),
               answer)
    assert "<p>Yes, with a frame.<br>Not at night &amp; not &lt;outside&gt;.</p>" in row
    # the entry answered: its first 60 characters, escaped, cut with an ellipsis
    assert ("Answer to: Can she &lt;b&gt;walk&lt;/b&gt; alone? Can she &lt;b&gt;walk&lt;/b&gt; "
            "alone? Can s…</p>") in row


def test_a_page_past_the_last_shows_the_last_page_as_any_page(madeleine, coordinator, client):
    """Past the last page the paginator reads the last page its own way: its rows are
    shown as every page's are (CountingPaginator.page)."""
    entry = services.write(madeleine, author=coordinator, body="Came by")
    client.force_login(coordinator)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    for page in ("1", "99"):
        response = client.get(url, {"page": page})
        assert [e.pk for e in response.context["page"]] == [entry.pk]
        row = _row(response.content.decode(), entry)
        assert f"<strong>{entry.author_label}</strong>" in row
        assert "<p>Came by</p>" in row


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_a_count_is_said_as_number_format_says_it(language):
    from django.utils import translation
    from django.utils.formats import number_format

    from relais.booklet.views import _counted

    with translation.override(language):
        for number in (0, 1, 65, 999, 1000, 12345, 1234567):
            assert _counted(number) == number_format(number, force_grouping=True)


# An entry's own part of the page is kept as HTML per process (views._entry_html), its key
# the whole row read: whatever changes in a row, even by an update that no service makes
# (retention's anonymisation rewrites a body), shows at once.
ROW_CHANGES = {
    "body": "Anonymised <b>text</b>", "kind": EntryKind.OBSERVATION,
    "audience": Audience.HEALTH, "author_label": "Dr Who", "attachment": "booklet/scan",
    "attachment_name": "scan.pdf",
}


def test_every_change_to_an_entry_shows_on_the_page_at_once(madeleine, coordinator, gp,
                                                             client):
    entry = services.write(madeleine, author=coordinator, body="Before", kind=EntryKind.NOTE,
                           audience=Audience.NETWORK)
    client.force_login(gp)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    memo.forget()
    changes = {**ROW_CHANGES, "created_at": entry.created_at - timezone.timedelta(days=400)}
    for field, value in changes.items():
        before = _row(client.get(url).content.decode(), entry)
        Entry._base_manager.filter(pk=entry.pk).update(**{field: value})  # as retention does
        kept_page = _row(client.get(url).content.decode(), entry)
        memo.forget()
        fresh = _row(client.get(url).content.decode(), entry)
        assert kept_page == fresh, f"a change of {field} did not show"
        assert fresh != before, f"{field} is not shown"


def test_a_kept_entry_is_rendered_once_and_in_each_language(madeleine, coordinator, gp,
                                                            client):
    services.write(madeleine, author=coordinator, body="Once", kind=EntryKind.ALERT,
                   audience=Audience.NETWORK)
    client.force_login(gp)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    memo.forget()
    first = client.get(url).content.decode()
    kept_count = len(memo._kept)
    assert kept_count >= 1
    client.get(url)
    assert len(memo._kept) == kept_count  # given back, not rendered again
    labels = set()
    for language in ("nl", "fr", "en"):
        type(gp).objects.filter(pk=gp.pk).update(language=language)
        with translation.override(language):
            label = str(EntryKind.ALERT.label)
        assert f'<span class="badge badge-bad">{label}</span>' in client.get(url).content.decode()
        labels.add(label)
    assert len(labels) == 3 and "Once" in first


def test_the_link_to_correct_stays_the_authors_own_when_the_entry_is_kept(
        madeleine, coordinator, gp, client):
    entry = services.write(madeleine, author=coordinator, body="Mine",
                           audience=Audience.NETWORK)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    correct = reverse("booklet:entry_correct", args=[entry.pk])
    memo.forget()
    client.force_login(coordinator)
    assert correct in _row(client.get(url).content.decode(), entry)
    client.force_login(gp)
    assert correct not in _row(client.get(url).content.decode(), entry)
