"""A coordinator, in French, builds a person's network; the daughter joins the portal."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.core import mail
from playwright.sync_api import expect

from relais.accounts import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load
COORDINATOR = "coordinator@demo.relais.example"


@pytest.fixture
def demo_zone(transactional_db, settings):
    load_geography(django_apps, None)
    demo.load_demo()


def log_in(page, base, email, password=demo.DEMO_PASSWORD):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def add_member(page, kind, roles, **fields):
    page.locator(f"input[name=kind][value={kind}]").check()
    for name, value in fields.items():
        locator = page.locator(f"[name={name}]")
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(label=value)
        else:
            locator.fill(value)
    for role in roles:
        page.locator(f"input[name=roles][value={role}]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_a_coordinator_builds_a_network_and_the_daughter_joins(
    live_server, demo_zone, page_factory, screenshot
):
    base = live_server.url
    page = page_factory(locale="fr-BE")
    log_in(page, base, COORDINATOR)
    assert page.locator("html").get_attribute("lang") == "fr"

    page.goto(f"{base}/persons/new/")
    page.fill("[name=first_name]", "Yvonne")
    page.fill("[name=last_name]", "Debrouwer")
    page.fill("[name=birth_date]", "1939-04-12")
    page.select_option("[name=sex]", "F")
    page.select_option("[name=living_situation]", "alone")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    person_url = page.url
    assert re.search(r"/persons/\d+/$", person_url)

    page.goto(person_url + "consent/")
    page.select_option("[name=scope]", "network")
    page.fill("[name=given_by]", "Yvonne Debrouwer")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(person_url + "members/new/")
    add_member(page, "professional", ["gp"], professional_email="gp@demo.relais.example")
    page.goto(person_url + "members/new/")
    add_member(page, "organisation", ["home_nurse"],
               organisation="Soins Infirmiers Woluwe / Thuisverpleging Woluwe")
    page.goto(person_url + "members/new/")
    page.locator("input[name=kind][value=informal]").check()
    page.fill("[name=name]", "Anne Debrouwer")
    page.select_option("[name=relation]", "child")
    page.fill("[name=phone]", "+32 470 55 66 77")
    page.fill("[name=email]", "anne@example.org")
    page.locator("input[name=roles][value=informal_caregiver]").check()
    page.locator("input[name=roles][value=trusted_person]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    row = page.locator("tr", has_text="Anne Debrouwer")
    row.locator("form[action$='/contact-point/'] button").click()
    page.wait_for_load_state()
    contact = page.locator("#contact-point").locator("..")
    expect(contact).to_contain_text("Anne Debrouwer")
    svg = page.locator("figure.ecomap svg")
    expect(svg).to_be_visible()
    for name in ("Pieter Janssens", "Anne Debrouwer", "Soins Infirmiers"):
        expect(svg).to_contain_text(name)
    screenshot(page, "network-fr-coordinator")

    page.locator("tr", has_text="Anne Debrouwer").locator("a[href$='/invite/']").click()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    link = re.search(r"https?://[^/]+(/portal/join/\S+/)", mail.outbox[-1].body)[1]

    daughter = page_factory(locale="nl-BE", width=360, height=740)
    daughter.goto(f"{base}{link}")
    daughter.fill("[name=first_name]", "Anne")
    daughter.fill("[name=last_name]", "Debrouwer")
    daughter.fill("[name=password1]", "mijn lange wachtzin 7")
    daughter.fill("[name=password2]", "mijn lange wachtzin 7")
    daughter.locator("main form button[type=submit]").click()
    daughter.wait_for_load_state()
    main = daughter.locator("main")
    expect(main).to_contain_text("Pieter Janssens")
    expect(main).to_contain_text("+32 470 55 66 77")
    assert daughter.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(daughter, "portal-nl-daughter-360px")
    assert page.console_errors == [] and daughter.console_errors == []
