"""A hospital social worker, in Dutch, finds French-speaking home nursing in Schaerbeek
that can start within 24 hours, and opens it to see its capacity and whom to call."""

import importlib

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from relais.accounts import demo
from relais.directory.demo import load_demo_directory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load


@pytest.fixture
def demo_zone(transactional_db):
    load_geography(django_apps, None)
    demo.load_demo()
    load_demo_directory()


def test_a_social_worker_finds_urgent_french_home_nursing_in_schaerbeek(
    live_server, demo_zone, page_factory, screenshot
):
    page = page_factory(locale="nl-BE")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "hospital-social@demo.relais.example")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"  # Karim's own language
    with page.expect_navigation():
        page.select_option("#language-select", label="Nederlands")
    assert page.locator("html").get_attribute("lang") == "nl", page.url
    page.locator("nav a[href='/directory/']").click()
    page.wait_for_load_state()

    page.fill("input[name=q]", "thuisverpleging")
    page.select_option("main select[name=municipality]", label="Schaerbeek / Schaarbeek")
    page.select_option("main select[name=language]", "fr")  # not the page-language switch
    page.select_option("main select[name=urgent]", "24h")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    results = page.locator(".service-list > li")
    expect(results.first).to_contain_text("24")
    screenshot(page, "directory-nl-search")

    results.first.locator("a").first.click()
    page.wait_for_load_state()
    main = page.locator("main")
    expect(main.locator(".badge").first).to_be_visible()
    expect(main.locator("a[href^='tel:']").first).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "nl"
    screenshot(page, "directory-nl-service")
    assert page.console_errors == []
