"""No copy of a page with person data stays in a browser or a shared cache: every answer to
a signed-in user says Cache-Control: no-store, private, unless its view chose its own."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from relais.booklet import emergency
from relais.booklet import services as booklet
from relais.network import portal
from tests.files import PDF
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

NO_STORE = "no-store, private"
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed_in(client, coordinator):
    client.force_login(coordinator)
    return client


def test_person_pages_are_not_stored(signed_in, madeleine):
    for url in (reverse("network:person_detail", args=[madeleine.pk]),
                reverse("booklet:booklet", args=[madeleine.pk]),
                "/inbox/",
                reverse("accounts:home")):
        response = signed_in.get(url)
        assert (response.status_code, response["Cache-Control"]) == (200, NO_STORE), url


def test_an_attachment_download_is_not_stored(signed_in, madeleine, coordinator):
    pdf = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    entry = booklet.write(madeleine, author=coordinator, body="See the letter", attachment=pdf)
    response = signed_in.get(reverse("booklet:entry_attachment", args=[entry.pk]))
    assert (response.status_code, response["Cache-Control"]) == (200, NO_STORE)


def test_the_print_of_the_emergency_sheet_is_not_stored(signed_in, madeleine, coordinator):
    emergency.save_sheet(madeleine, {"conditions": "Heart failure", "allergies": "Penicillin",
                                     "medication_updated_on": date(2026, 11, 2)},
                         actor=coordinator)
    printed = signed_in.post(reverse("booklet:emergency_print", args=[madeleine.pk]))
    response = signed_in.get(printed["Location"])
    assert "data-print" in response.content.decode()
    assert (printed["Cache-Control"], response["Cache-Control"]) == (NO_STORE, NO_STORE)


def test_a_refusal_is_not_stored_either(signed_in, outsider, client, madeleine):
    client.force_login(outsider)
    response = client.get(reverse("network:person_detail", args=[madeleine.pk]))
    assert (response.status_code, response["Cache-Control"]) == (404, NO_STORE)


def test_a_view_that_chose_its_own_cache_control_keeps_it(client):
    response = client.get(reverse("accounts:login"))  # never_cache, as Django sets it
    assert response["Cache-Control"] == NEVER_CACHE


def test_anonymous_public_pages_and_static_files_keep_their_caching(client, coordinator):
    assert not client.get(reverse("accounts:home")).has_header("Cache-Control")
    client.force_login(coordinator)
    static = client.get("/static/relais/relais.css")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_links_that_show_a_name_to_someone_not_signed_in_are_not_stored(
        client, madeleine, coordinator):
    relative = madeleine.members.get(name="Sophie Lambert")
    relative.user = None
    relative.save()
    link = portal.invite(relative, email="sophie@example.org", actor=coordinator)
    response = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert (response.status_code, response["Cache-Control"]) == (200, NEVER_CACHE)
