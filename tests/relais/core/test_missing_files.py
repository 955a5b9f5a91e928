"""A database restored without its uploaded files (issue 18, "Back up and restore"): a
download whose file is gone answers a page that says so (410), not a server error, and
no read is audited for it; someone the gate refuses still gets the plain 404."""

import logging
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.network import services as network
from tests.files import PDF, PNG
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def lose(field_file) -> None:
    """As a restore of the database alone leaves it: the row names a file that is gone."""
    field_file.storage.delete(field_file.name)


@pytest.fixture
def attachment_url(madeleine, coordinator):
    entry = booklet.write(madeleine, author=coordinator, body="See the letter",
                          attachment=SimpleUploadedFile("letter.pdf", PDF, "application/pdf"))
    lose(entry.attachment)
    return reverse("booklet:entry_attachment", args=[entry.pk])


@pytest.fixture
def mandate_url(madeleine, coordinator):
    mandate = network.record_mandate(
        madeleine, representative=madeleine.members.get(name="Sophie Lambert"), scope="All",
        signed_on=date(2026, 10, 1), signed_by_person=True, signed_by_representative=True,
        starts_on=date(2026, 10, 1), document=SimpleUploadedFile("m.png", PNG, "image/png"),
        actor=coordinator)
    lose(mandate.document)
    return reverse("network:mandate_document", args=[madeleine.pk, mandate.pk])


@pytest.mark.parametrize(("url", "action"), [("attachment_url", "booklet.attachment_read"),
                                             ("mandate_url", "mandate.document_read")])
def test_a_lost_file_answers_a_clear_page_not_a_server_error(request, url, action,
                                                             persona_client, caplog):
    url = request.getfixturevalue(url)
    with caplog.at_level(logging.ERROR, logger="relais.core.uploads"):
        response = persona_client("coordinator").get(url)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This file is no longer available" in page
    assert "the uploaded files must be restored with the database" in page
    assert not AuditEvent.objects.filter(action=action).exists()  # nothing was read
    [logged] = caplog.records
    assert logged.getMessage().startswith("stored file missing: ")


def test_the_page_is_in_the_readers_language(attachment_url, persona_client, coordinator):
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    page = persona_client("coordinator").get(attachment_url).content.decode()
    assert "Ce fichier n’est plus disponible" in page


def test_someone_the_gate_refuses_still_gets_the_plain_404(attachment_url, persona_client):
    response = persona_client("outsider").get(attachment_url)
    assert response.status_code == 404
    assert "This file is no longer available" not in response.content.decode()
