"""The emergency sheet prints to PDF (R6): a coordinator records the print for the
yellow box, the browser prints one A4 page with its QR code, under the strict CSP."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from relais.accounts import demo
from relais.accounts.models import User
from relais.booklet import emergency
from relais.booklet.models import SheetPrint
from relais.network.demo import load_demo_persons
from relais.network.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load
COORDINATOR = f"coordinator@{demo.DEMO_DOMAIN}"


@pytest.fixture
def yvonne(transactional_db):
    load_geography(django_apps, None)
    demo.load_demo()
    load_demo_persons()
    person = Person.objects.get(first_name="Yvonne", last_name="Renard")
    emergency.save_sheet(person, {
        "conditions": "Insuffisance cardiaque\nDiabète de type 2",
        "allergies": "Pénicilline", "care_planning": "Code DNR 2",
        "care_planning_location": "Dans la boîte jaune, porte du frigo",
        "medication": "\n".join(["Bisoprolol 2,5 mg, le matin", "Metformine 500 mg, 2x/jour",
                                 "Furosémide 40 mg, le matin", "Apixaban 5 mg, 2x/jour"])},
        actor=User.objects.get(email=COORDINATOR))
    return person


def log_in(page, url, email):
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def test_the_emergency_sheet_prints_to_pdf(live_server, yvonne, page_factory, screenshot,
                                           tmp_path):
    page = page_factory(locale="fr-BE")
    log_in(page, live_server.url, COORDINATOR)
    page.goto(f"{live_server.url}/persons/{yvonne.pk}/emergency-sheet/")
    sheet = page.locator("main article.emergency-sheet")
    expect(sheet).to_contain_text("Pénicilline")
    expect(sheet.locator("svg.emergency-qr")).to_be_visible()

    page.locator("form[action$='/emergency-sheet/printed/'] button").click()
    page.wait_for_load_state()
    assert page.url.endswith("?print=1") and SheetPrint.objects.filter(person=yvonne).count() == 1
    expect(page.locator("main [data-print]")).to_be_visible()  # shown by relais.js
    screenshot(page, "emergency-sheet-fr")

    pdf = tmp_path / "emergency-sheet.pdf"
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    page.set_viewport_size({"width": 718, "height": 1047})  # A4 less its margins, at 96 dpi
    screenshot(page, "emergency-sheet-print")
    page.pdf(path=str(pdf), format="A4")
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF") and pdf.stat().st_size > 5_000
    assert len(re.findall(rb"/Type\s*/Page(?!s)", content)) == 1  # one A4 page
    assert page.console_errors == []  # nothing blocked by the CSP
