"""Journeys in a real browser: a newcomer picks a language, logs in, lands on their home."""

import importlib

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from relais.accounts import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load

COORDINATOR = demo.email_of(next(u for u in demo.USERS if u.local_part == "coordinator"))


@pytest.fixture
def demo_zone(transactional_db, settings):
    # A transactional test ends with a flush that also empties the geography the
    # migrations loaded; put it back before loading the demo.
    load_geography(django_apps, None)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    demo.load_demo()


def choose_language(page, label: str) -> None:
    # relais.js submits the form on change: this also proves our own script is served.
    with page.expect_navigation():
        page.select_option("#language-select", label=label)


def log_in(page, email: str) -> None:
    language = page.locator("html").get_attribute("lang")
    page.get_by_role("banner").get_by_role("link", name=LOG_IN_LINK[language]).click()
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


LOG_IN_LINK = {"fr": "Se connecter", "nl": "Aanmelden", "en": "Log in"}


def test_a_newcomer_switches_to_french_and_logs_in_as_coordinator(
    live_server, demo_zone, page_factory, screenshot
):
    page = page_factory()
    page.goto(live_server.url)
    assert page.locator("html").get_attribute("lang") == "en"
    choose_language(page, "Français")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "De l'hôpital au domicile, ensemble")
    log_in(page, COORDINATOR)
    assert page.get_by_role("heading", level=1).inner_text() == "Bonjour Isabelle"
    assert page.get_by_text("Coordination Domicile Sud-Est").first.is_visible()
    assert page.get_by_role("heading", name="Prochaines étapes").is_visible()
    screenshot(page, "home-fr-coordinator-desktop")
    assert page.console_errors == []  # no CSP violation, no missing asset


def test_the_same_in_dutch_on_a_small_phone(live_server, demo_zone, page_factory, screenshot):
    page = page_factory(width=360, height=740)
    page.goto(live_server.url)
    choose_language(page, "Nederlands")
    log_in(page, COORDINATOR)
    assert page.get_by_role("heading", level=1).inner_text() == "Dag Isabelle"
    assert page.get_by_role("heading", name="Volgende stappen").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360, f"page is {overflow}px wide on a 360px screen"
    # The header collapses: brand, menu button and the person search, under a fifth of
    # the screen; the menu opens with its button.
    header = page.get_by_role("banner")
    assert header.bounding_box()["height"] <= 740 / 5
    menu_button = header.get_by_role("button", name="Menu")
    assert not page.get_by_role("link", name="Zorgaanbod").is_visible()
    menu_button.click()
    assert menu_button.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Zorgaanbod").is_visible()
    screenshot(page, "home-nl-coordinator-360px")
    assert page.console_errors == []


def test_two_tab_presses_reach_the_person_search(live_server, demo_zone, page_factory):
    page = page_factory()
    page.goto(live_server.url)
    log_in(page, COORDINATOR)
    page.keyboard.press("Tab")
    focused = "document.activeElement.textContent"
    assert page.evaluate(focused) == "Aller au contenu"  # her language: French
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "Aller à la recherche"
    page.keyboard.press("Enter")
    page.keyboard.type("Lemaire")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/persons/?q=Lemaire")


def test_searching_organisations_updates_the_list_in_place(live_server, demo_zone,
                                                           page_factory, screenshot):
    page = page_factory()
    page.goto(live_server.url)
    log_in(page, COORDINATOR)
    page.goto(f"{live_server.url}/organisations/")
    first_url = page.url
    page.fill("#q", "Étangs")
    # (wait_for_function would need eval, which our Content-Security-Policy forbids)
    expect(page.locator("#organisation-results tbody tr")).to_have_count(1)
    assert "Vijverskliniek" in page.locator("#organisation-results").inner_text()
    assert page.url != first_url and "q=" in page.url  # htmx pushed the search into history
    screenshot(page, "organisation-search")
    assert page.console_errors == []


def test_a_wrong_password_is_refused_in_the_browser(live_server, demo_zone, page_factory):
    page = page_factory(locale="nl-BE")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", COORDINATOR)
    page.fill("input[name=password]", "not the password")
    page.locator("main button[type=submit]").click()
    alert = page.get_by_role("alert")
    assert "niet juist" in alert.inner_text()
