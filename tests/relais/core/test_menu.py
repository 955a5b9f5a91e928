"""The main menu shows what the account can open, nothing else (issue 12, "Menus").

The page matrix (tests/browser/test_page_matrix.py) proves every menu link of every demo
persona answers 200; these are the quick cases, one per kind of account.
"""

import re
from unittest.mock import patch

import pytest
from django.test import Client
from django.urls import reverse

from relais.core import menu
from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

ENTRIES = {
    # persona: the menu, in order
    "liaison_nurse": ["Home", "My work", "Persons", "Referrals", "Hospital", "Directory",
                      "Organisations", "Case reviews", "Care zones", "Audit log"],
    # Managers see their zone's observatory.
    "hospital_manager": ["Home", "My work", "Persons", "Referrals", "Hospital", "Directory",
                         "Organisations", "Case reviews", "Observatory",
                         "Thematic consultations", "Care zones", "Audit log"],
    # Works in no hospital: no "Hospital" (it answered 404).
    "coordinator": ["Home", "My work", "Persons", "Referrals", "Directory", "Organisations",
                    "Case reviews", "Observatory", "Thematic consultations", "Care zones",
                    "Audit log"],
    "gp": ["Home", "My work", "Persons", "Referrals", "Directory", "Organisations",
           "Case reviews", "Observatory", "Thematic consultations", "Care zones",
           "Audit log"],
    # The care zone's support team runs the consultations and reads its observatory.
    "analyst": ["Home", "My work", "Persons", "Referrals", "Directory", "Organisations",
                "Case reviews", "Observatory", "Thematic consultations", "Care zones",
                "Audit log"],
    # The administrator acts for no organisation: no "Referrals" (it answered 404).
    "platform_admin": ["Home", "Persons", "Directory", "Organisations", "Observatory",
                       "Care zones", "Audit log", "Administration"],
    "caregiver": ["Home", "Persons", "Directory"],
    "anonymous": [],
}

MENU = re.compile(r'<nav class="site-nav".*?</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')


def menu_of(client: Client) -> list[tuple[str, str]]:
    page = client.get(reverse("accounts:home")).content.decode()
    nav = MENU.search(page)
    return LINK.findall(nav.group(0)) if nav else []


@pytest.mark.parametrize("persona", sorted(ENTRIES))
def test_the_menu_fits_the_account(persona, persona_client, request):
    if persona == "caregiver":
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(request.getfixturevalue("caregiver"))
    else:
        client = persona_client(persona)
    links = menu_of(client)
    assert [label for _, label in links] == ENTRIES[persona]
    for url, label in links:
        assert client.get(url).status_code == 200, f"{label} ({url})"


def test_the_current_page_is_marked(persona_client):
    client = persona_client("coordinator")
    page = client.get(reverse("network:person_list")).content.decode()
    assert re.search(r'<a href="/persons/" aria-current="page">Persons</a>', page)
    assert page.count('aria-current="page"') == 1


def test_a_skip_link_leads_to_the_search_box(persona_client):
    page = persona_client("gp").get(reverse("accounts:home")).content.decode()
    assert '<a class="skip-link" href="#site-search">' in page
    assert 'id="site-search"' in page
    # Before the menu: the second stop of the Tab key, after "skip to content".
    assert page.index('href="#site-search"') < page.index('class="site-nav"')


def test_no_search_box_where_there_is_nothing_to_search(persona_client):
    page = persona_client("anonymous").get(reverse("accounts:home")).content.decode()
    assert "site-search" not in page


def test_personas_cover_the_menu_cases():
    assert set(ENTRIES) - {"caregiver"} <= set(PERSONAS)


def test_the_menus_words_and_links_are_written_once_per_language(persona_client, gp):
    menu._written.clear()  # another test's pages may have written them in this process
    client = persona_client("coordinator")
    english = menu_of(client)
    gp.language = "fr"  # a user's own language wins (accounts/middleware.py)
    gp.save(update_fields=["language"])
    french = Client()
    french.force_login(gp)
    with patch("relais.core.menu.reverse", wraps=menu.reverse) as reverse_spy:
        assert menu_of(client) == english  # another page, the same words: kept
        assert reverse_spy.call_count == 0
        in_french = menu_of(french)  # another language: written for it, once
        assert reverse_spy.call_count == len(in_french)
        assert menu_of(french) == in_french
        assert reverse_spy.call_count == len(in_french)
    assert [url for url, _ in in_french][:3] == [url for url, _ in english][:3]
    assert [label for _, label in in_french][:3] == ["Accueil", "Mon travail", "Personnes"]
