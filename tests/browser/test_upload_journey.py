"""A coordinator (in French, her language) attaches a signed mandate in a real Chromium:
a 50 MB scan is refused with the limit as soon as it is chosen (without script, by the
server before it reads the body), a PDF that hides a web page comes back on the filled-in
form, a real one is recorded and downloads as a PDF."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from relais.accounts import demo
from relais.network.demo import load_demo_persons
from relais.network.models import Person
from tests.files import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load
COORDINATOR = f"coordinator@{demo.DEMO_DOMAIN}"
MB = 1024 * 1024
TOO_LARGE = "Le fichier est trop volumineux (50,0 Mo). La limite est de 5 Mo."


@pytest.fixture
def yvonne(transactional_db):
    load_geography(django_apps, None)
    demo.load_demo()
    load_demo_persons()
    return Person.objects.get(first_name="Yvonne", last_name="Renard")


def log_in(page, url, email):
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def fill_mandate(page, document):
    page.locator("[name=representative]").select_option(index=1)
    page.fill("[name=scope]", "All patient rights")
    for name in ("signed_on", "starts_on"):
        page.fill(f"[name={name}]", "2026-10-01")  # a date input takes ISO
    page.locator("[name=signed_by_person]").check()
    page.locator("[name=signed_by_representative]").check()
    page.set_input_files("[name=document]", str(document))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def huge(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(PDF + bytes(50 * MB))
    return path


def test_a_too_large_scan_is_refused_as_soon_as_it_is_chosen(live_server, yvonne,
                                                            page_factory, huge, screenshot):
    page = page_factory()
    log_in(page, live_server.url, COORDINATOR)
    form_url = f"{live_server.url}/persons/{yvonne.pk}/mandates/new/"
    page.goto(form_url)
    page.set_input_files("[name=document]", str(huge))
    expect(page.locator(".upload-too-large[role=alert]")).to_have_text(TOO_LARGE)

    fill_mandate(page, huge)
    assert page.url == form_url and not yvonne.mandates.exists()  # never sent
    expect(page.locator("[name=document]")).to_be_focused()
    screenshot(page, "upload-too-large-chosen")

    real = huge.with_name("mandate.pdf")
    real.write_bytes(PDF)
    page.set_input_files("[name=document]", str(real))
    expect(page.locator(".upload-too-large")).to_have_count(0)


def test_without_script_the_server_refuses_it_before_reading_it(live_server, yvonne, browser,
                                                                huge, screenshot):
    context = browser.new_context(java_script_enabled=False, locale="fr-BE")
    page = context.new_page()
    log_in(page, live_server.url, COORDINATOR)
    form_url = f"{live_server.url}/persons/{yvonne.pk}/mandates/new/"
    page.goto(form_url)
    fill_mandate(page, huge)
    expect(page.locator("main h1")).to_have_text("Le fichier est trop volumineux")
    expect(page.locator("main [role=alert]")).to_have_text(TOO_LARGE)
    screenshot(page, "upload-too-large")
    page.locator("main a.button").click()
    page.wait_for_load_state()
    assert page.url == form_url and not yvonne.mandates.exists()
    context.close()


def test_a_disguised_scan_comes_back_and_a_real_one_is_kept(live_server, yvonne,
                                                            page_factory, tmp_path):
    page = page_factory()
    log_in(page, live_server.url, COORDINATOR)
    form_url = f"{live_server.url}/persons/{yvonne.pk}/mandates/new/"
    page.goto(form_url)
    disguised = tmp_path / "letter.pdf"
    disguised.write_bytes(b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n")
    fill_mandate(page, disguised)
    expect(page.locator("#id_document_error")).to_contain_text(
        "Ce fichier PDF est endommagé ou incomplet")
    expect(page.locator("[name=scope]")).to_have_value("All patient rights")
    assert not yvonne.mandates.exists()

    real = tmp_path / "mandate.pdf"
    real.write_bytes(PDF)
    page.goto(form_url)
    fill_mandate(page, real)
    mandate = yvonne.mandates.get()
    with page.expect_download() as download:
        page.locator(f"a[href$='/mandates/{mandate.pk}/document/']").click()
    assert download.value.suggested_filename == f"mandate-{mandate.pk}.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
