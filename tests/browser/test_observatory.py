"""The demo care zone's observatory, in a real Chromium on a 360 px phone, in Dutch, French
and English: the analyst of the South-East support team opens the dashboard from the
menu; every figure is a named image beside its table, the page never scrolls sideways,
axe-core finds no WCAG 2.1 A/AA violation, and the print layout drops the filters."""

import importlib
from pathlib import Path

import axe_playwright_python
import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from relais.accounts import demo
from relais.directory.demo import load_demo_directory
from relais.followup.demo_followup import load_demo_followup
from relais.network.demo import load_demo_persons
from relais.observatory.compute import compute
from relais.stays.demo import load_demo_stays

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TITLES = {"nl": "Observatorium", "fr": "Observatoire", "en": "Observatory"}


@pytest.fixture
def demo_zone(transactional_db):
    load_geography(django_apps, None)
    demo.load_demo()
    load_demo_persons()
    load_demo_directory()
    load_demo_stays()
    load_demo_followup()
    compute()


def log_in(page, base_url, email):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def open_menu(page):
    """On a phone the menu (and the language switch in it) is behind its button."""
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def switch_language(page, code):
    labels = {"nl": "Nederlands", "fr": "Français", "en": "English"}
    if page.locator("html").get_attribute("lang") != code:
        open_menu(page)
        with page.expect_navigation():
            page.select_option("#language-select", label=labels[code])
    assert page.locator("html").get_attribute("lang") == code


def test_the_analyst_reads_the_zone_dashboard_on_a_phone(
    live_server, demo_zone, page_factory, screenshot
):
    """The three languages in turn, each in its own browser (its own locale and session),
    over one load of the demo care zone: loading it and emptying the database after cost
    about 15 s, the three languages as three tests loaded it three times."""
    for language, locale in (("nl", "nl-BE"), ("fr", "fr-BE"), ("en", "en-GB")):
        page = page_factory(width=360, height=800, locale=locale)
        read_the_dashboard(page, live_server.url, language, screenshot)


def read_the_dashboard(page, base_url, language, screenshot):
    log_in(page, base_url, "analyst@demo.relais.example")
    switch_language(page, language)

    open_menu(page)
    page.locator("nav.site-nav a[href='/observatory/']").click()
    page.wait_for_load_state()
    page.locator("main a[href='/observatory/south-east/']").click()
    page.wait_for_load_state()

    assert page.url.endswith("/observatory/south-east/"), page.url
    assert page.locator("html").get_attribute("lang") == language
    expect(page.locator("h1")).to_contain_text(TITLES[language])
    charts = page.locator("main figure svg[role=img]")
    figures_shown = charts.count()
    assert figures_shown >= 10
    # Each picture has its own name and its data as a table beside it.
    for index in range(charts.count()):
        svg = charts.nth(index)
        labelled = svg.get_attribute("aria-labelledby").split()
        assert page.locator(f"#{labelled[0]}").text_content().strip()
    assert page.locator("main figure table").count() == charts.count()
    expect(page.locator("main svg.chart-map").first).to_be_visible()
    # Counts too small to publish read as such, never as a number.
    expect(page.locator("main figure table td", has_text="<").first).to_be_attached()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"scrolls sideways: {width}px"
    page.evaluate(AXE)
    result = page.evaluate("t => axe.run(document, {runOnly: {type: 'tag', values: t}})", WCAG)
    assert [v["id"] for v in result["violations"]] == [], result["violations"][:2]
    screenshot(page, f"observatory-{language}-360")

    # Another period and one municipality: the filters keep the language and answer.
    page.select_option("#obs-period", "quarter")
    page.select_option("#obs-municipality", "21018")
    page.locator("form.obs-filters button[type=submit]").click()
    page.wait_for_load_state()
    assert "period=quarter" in page.url and "municipality=21018" in page.url
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("main figure svg[role=img]").count() == figures_shown

    page.emulate_media(media="print")
    expect(page.locator("form.obs-filters")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("main figure svg[role=img]").first).to_be_visible()
    page.emulate_media(media="screen")

    # The whole region, from the list of zones: as readable, as clean.
    page.goto(f"{base_url}/observatory/")
    page.locator("main a[href='/observatory/brussels/']").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
    # The flows by care zone of residence instead of by municipality; no coverage map.
    assert page.locator("main figure svg[role=img]").count() == figures_shown - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.evaluate(AXE)
    result = page.evaluate("t => axe.run(document, {runOnly: {type: 'tag', values: t}})", WCAG)
    assert [v["id"] for v in result["violations"]] == [], result["violations"][:2]
    assert page.console_errors == [], language
