"""Broad person searches (issue 15): candidates by index, the gate on as few as fill the
pages; at most SHOWN_AT_MOST counted ("more than …"); the gate's answer stays exact."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.network import search, services, views
from relais.network.models import MemberKind, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_most_three(monkeypatch):
    monkeypatch.setattr(search, "SHOWN_AT_MOST", 3)
    monkeypatch.setattr(search, "CHUNK", 2)  # the gate asked about 2 candidates at a time
    monkeypatch.setattr(search, "CHUNKS", 4)  # 8 candidates, then the database


def opened(first_names, *, by, organisation, last_name="Dupont"):
    return [services.create_person({"first_name": name, "last_name": last_name, "sex": "X"},
                                   actor=by, organisation=organisation) for name in first_names]


def names(page) -> list[str]:
    return [person.first_name for person in page]


def test_a_broad_search_counts_up_to_the_limit_and_says_more(at_most_three, coordinator,
                                                             world):
    opened(["Anne", "Bea", "Carl", "Dirk", "Eva"], by=coordinator,
           organisation=world.coordination_centre)
    first = search.search_persons(coordinator, "dupo", 1, per_page=2)
    second = search.search_persons(coordinator, "dupo", "2", per_page=2)
    assert (names(first), names(second)) == (["Anne", "Bea"], ["Carl"])
    assert (first.paginator.count, first.more, first.paginator.num_pages) == (3, True, 2)


def test_a_narrow_search_counts_exactly(at_most_three, coordinator, world):
    opened(["Anne", "Bea", "Carl"], by=coordinator, organisation=world.coordination_centre)
    page = search.search_persons(coordinator, "dupo", 1, per_page=25)
    assert (names(page), page.paginator.count, page.more) == (["Anne", "Bea", "Carl"], 3, False)


def test_visible_persons_behind_many_hidden_namesakes_are_found(at_most_three, coordinator,
                                                                gp, world):
    # Ten namesakes only the GP's practice sees come first in the list's order: the first
    # look at eight candidates finds nobody, the database is then asked for the rest.
    opened([f"A{n}" for n in range(10)], by=gp, organisation=world.gp_practice)
    opened(["Zoe", "Zora"], by=coordinator, organisation=world.coordination_centre)
    page = search.search_persons(coordinator, "dupo", 1, per_page=25)
    assert (names(page), page.paginator.count, page.more) == (["Zoe", "Zora"], 2, False)
    everyone = search.search_persons(gp, "dupo", 1, per_page=25)
    assert (everyone.paginator.count, everyone.more) == (3, True)


def test_an_exclusion_beats_the_organisations_grant_in_the_search(at_most_three, coordinator,
                                                                   world):
    anne, bea = opened(["Anne", "Bea"], by=coordinator, organisation=world.coordination_centre)
    member = services.add_member(anne, kind=MemberKind.PROFESSIONAL, user=coordinator,
                                 roles=[Role.COORDINATION_CENTRE], actor=coordinator)
    services.exclude_member(member, actor=coordinator)  # Anne: "never inform" this coordinator
    page = search.search_persons(coordinator, "dupo", 1, per_page=25)
    assert (names(page), page.paginator.count) == (["Bea"], 1)


def test_the_page_says_more_than_the_limit(at_most_three, client, coordinator, world):
    opened(["Anne", "Bea", "Carl", "Dirk"], by=coordinator,
           organisation=world.coordination_centre)
    client.force_login(coordinator)
    response = client.get(reverse("network:person_list"), {"q": "dupo"})
    assert "More than 3 persons: add to the name" in response.content.decode()
    response = client.get(reverse("network:person_list"), {"q": "dupont anne"})
    assert "1 person</p>" in response.content.decode()


@pytest.mark.parametrize("words_cap", [0, 2_000])
def test_a_search_with_words_past_its_cap_asks_the_gate_alone_with_the_same_answer(
        monkeypatch, at_most_three, coordinator, gp, world, words_cap):
    """With words, the candidates are read only when few (their cap is lower than the
    list's): the answer is the same either way, hidden namesakes left out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(search, "CANDIDATES_FOR_WORDS_AT_MOST", words_cap)
    opened([f"A{n}" for n in range(10)], by=gp, organisation=world.gp_practice)
    opened(["Zoe", "Zora"], by=coordinator, organisation=world.coordination_centre)
    with CaptureQueriesContext(connection) as asked:
        page = search.search_persons(coordinator, "dupo", 1, per_page=25)
    assert (names(page), page.paginator.count, page.more) == (["Zoe", "Zora"], 2, False)
    # The candidates asked for up to the words' cap (doubled: UNION ALL keeps duplicates),
    # not the list's 20,000.
    candidates = [q["sql"] for q in asked.captured_queries if "UNION ALL" in q["sql"]]
    assert len(candidates) == 1
    assert candidates[0].endswith(f"LIMIT {words_cap * 2 + 1}")


@pytest.mark.parametrize("language, more, one", [
    ("en", "More than 3 persons", "1 person"),
    ("nl", "Meer dan 3 personen", "1 persoon"),
    ("fr", "Plus de 3 personnes", "1 personne"),
])
def test_a_searchs_pages_keep_the_search_in_each_language(at_most_three, monkeypatch,
                                                          coordinator, world, language, more,
                                                          one):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    opened(["Anne", "Bea", "Carl", "Dirk"], by=coordinator,
           organisation=world.coordination_centre)
    coordinator.language = language  # a signed-in user's own language wins
    coordinator.save(update_fields=["language"])
    client = Client()
    client.force_login(coordinator)
    whole = client.get(reverse("network:person_list"), {"q": "dupo", "page": "1"})
    rows = client.get(reverse("network:person_list"), {"q": "dupo"}, HTTP_HX_REQUEST="true")
    for response in (whole, rows):
        page = response.content.decode()
        assert more in page
        assert 'href="?q=dupo&amp;page=2"' in page  # the next page is the same search's
    assert "<h1>" in whole.content.decode() and "<h1>" not in rows.content.decode()
    narrow = client.get(reverse("network:person_list"), {"q": "dupont anne"})
    assert f"{one}</p>" in narrow.content.decode()


def test_the_lists_order_is_kept_a_while_but_the_gate_is_asked_each_time(coordinator, world):
    anne, bea = opened(["Anne", "Bea"], by=coordinator, organisation=world.coordination_centre)
    with CaptureQueriesContext(connection) as first:
        assert names(search.search_persons(coordinator, "", 1, per_page=25)) == ["Anne", "Bea"]
    assert [q for q in first.captured_queries if "NULLS FIRST" in q["sql"]]  # sorted once
    with CaptureQueriesContext(connection) as again:
        assert names(search.search_persons(coordinator, "", 1, per_page=25)) == ["Anne", "Bea"]
    assert not [q for q in again.captured_queries if "NULLS FIRST" in q["sql"]]  # the sort
    # Someone new among the candidates: a new order at once.
    opened(["Aaron"], by=coordinator, organisation=world.coordination_centre)
    assert names(search.search_persons(coordinator, "", 1, per_page=25)) == [
        "Aaron", "Anne", "Bea"]
    # An exclusion: the kept order still holds Bea, the gate does not show her.
    member = services.add_member(bea, kind=MemberKind.PROFESSIONAL, user=coordinator,
                                 roles=[Role.COORDINATION_CENTRE], actor=coordinator)
    services.exclude_member(member, actor=coordinator)
    assert names(search.search_persons(coordinator, "", 1, per_page=25)) == ["Aaron", "Anne"]


def test_the_list_read_is_audited_naming_the_persons_shown_and_no_others(
        at_most_three, client, coordinator, gp, world):
    """A list of persons is a read of their data (DESIGN.md rule 5): the search's event
    names those on the page, as the work list's and the inbox's do, not the namesake the
    gate hid; a narrower search names fewer."""
    anne, bea, carl = opened(["Anne", "Bea", "Carl"], by=coordinator,
                              organisation=world.coordination_centre)
    opened(["Hidden"], by=gp, organisation=world.gp_practice)
    client.force_login(coordinator)
    broad = client.get(reverse("network:person_list"), {"q": "dupo"})
    assert names(broad.context["page"]) == ["Anne", "Bea", "Carl"]
    narrow = client.get(reverse("network:person_list"), {"q": "dupont a"})
    assert names(narrow.context["page"]) == ["Anne"]

    first, second = AuditEvent.objects.filter(action="person.search").order_by("pk")
    assert first.actor == coordinator and first.detail == {
        "searched": True, "page": 1, "persons": sorted(p.pk for p in (anne, bea, carl)),
        "count": 3}
    assert second.detail["persons"] == [anne.pk]
