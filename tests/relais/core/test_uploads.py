"""Uploads: refused as soon as they pass the size limit (before the body is read when the
request says its length, else while the file arrives), accepted only when the whole content
is the type it claims, and served back as that type, as an attachment, never sniffed."""

import os
import select
import socket
import time
from datetime import date
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse

from relais.booklet import services as booklet
from relais.booklet.models import EmergencySheet, Entry
from relais.core.uploads import download_name, max_upload_bytes, validate_document
from relais.network import services as network
from relais.network.models import Mandate
from tests import files
from tests.files import JPEG, PDF, PNG, png_chunk
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

MB = 1024 * 1024
BOUNDARY = "relais-test-boundary"
TOO_LARGE_50 = "The file is too large (50.0 MB). The limit is 5 MB."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


def refusal(file) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_document(file)
    return refused.value.code


# --- content matches type ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("scan.pdf", PDF, "application/pdf"),
    ("SCAN.PDF", files.pdf("Signed 12 March"), "application/pdf"),
    ("photo.png", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("photo.jfif", files.jpeg("camera"), "image/jpeg"),
    ("Mandate Dr. Claes", PDF, "application/pdf"),  # no known extension: the content decides
])
def test_a_complete_document_is_accepted_as_the_type_of_its_content(name, content,
                                                                    content_type):
    assert validate_document(upload(name, content, "application/octet-stream")) == content_type


def test_a_photo_with_data_after_its_end_is_accepted():
    # Phones append a motion-photo video or maker data after the JPEG's end marker.
    assert validate_document(upload("pixel.jpg", JPEG + b"ftypmp42" + b"\x00" * 512)) == (
        "image/jpeg")


PDF_THEN_HTML = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n"
SIGNATURE_LENGTH = 8


@pytest.mark.parametrize(("content", "why"), [
    (PDF_THEN_HTML, "a PDF header followed by a web page"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n<!DOCTYPE html><p>hi</p>\n%%EOF", "a doctype after the header"),
    (PDF[:-len(b"%%EOF\n")], "a PDF without its end marker (cut short)"),
    (b"%PDF-x\n%%EOF\n", "a PDF header without a version"),
    (PNG[:-12], "a PNG cut before IEND"),
    (PNG[:40], "a PNG cut inside a chunk"),
    (PNG + b"<html>", "data after IEND"),
    (PNG[:SIGNATURE_LENGTH] + PNG[33:], "a PNG without IHDR"),
    (PNG[:20] + b"\x07" + PNG[21:], "a PNG whose IHDR fails its CRC"),
    (PNG[:SIGNATURE_LENGTH] + png_chunk(b"IHDR", bytes(13)) + png_chunk(b"IEND", b""),
     "a PNG of zero width and no image data"),
    (JPEG[:-2], "a JPEG without its end marker"),
    (JPEG[:30], "a JPEG cut inside its headers"),
    (JPEG.replace(b"\xff\xc0", b"\xff\xe1"), "a JPEG without a frame header"),
])
def test_a_damaged_or_disguised_document_is_refused(content, why):
    assert refusal(upload("file", content)) == "damaged", why


def test_an_unknown_type_is_refused():
    assert refusal(upload("virus.pdf", b"MZ\x90\x00not a pdf")) == "file_type"
    assert refusal(upload("page.pdf", b"<html><script></script></html>")) == "file_type"


@pytest.mark.parametrize(("name", "content"), [
    ("scan.pdf", PNG),
    ("photo.png", JPEG),
    ("page.html", PDF),
    ("letter.docx", PDF),
])
def test_a_name_that_says_another_type_is_refused(name, content):
    with pytest.raises(ValidationError) as refused:
        validate_document(upload(name, content))
    extension = os.path.splitext(name)[1]
    assert refused.value.code == "wrong_name"
    assert f"its name ends in “{extension}”" in refused.value.messages[0]


def test_a_large_document_is_checked_in_pieces_from_a_temporary_file():
    idat = png_chunk(b"IDAT", os.urandom(3 * MB))
    content = PNG[:33] + idat + PNG[33:]  # IHDR, a 3 MB IDAT, the small IDAT, IEND
    with TemporaryUploadedFile("big.png", "image/png", len(content), None) as file:
        file.write(content)
        file.seek(0)
        assert validate_document(file) == "image/png"
        file.truncate(len(content) - 1)
        file.size = len(content) - 1
        assert refusal(file) == "damaged"


def test_a_file_over_the_limit_is_refused_with_the_limit():
    with pytest.raises(ValidationError) as refused:
        validate_document(upload("huge.pdf", PDF + b"0" * (max_upload_bytes() + 1)))
    assert refused.value.messages == ["The file is too large (5.0 MB). The limit is 5 MB."]


@pytest.mark.parametrize(("name", "content_type", "served_as"), [
    ("mandate-3", "application/pdf", "mandate-3.pdf"),
    ("wound.PDF", "application/pdf", "wound.PDF"),
    ("photo.jpeg", "image/jpeg", "photo.jpeg"),
    ("report.html", "image/png", "report.html.png"),
])
def test_a_served_file_is_named_after_its_real_type(name, content_type, served_as):
    assert download_name(name, content_type) == served_as


# --- refused while arriving, through the forms ---------------------------------------------


class StreamedForm:
    """A multipart form whose file part (`file_size` zero bytes) is produced as the server
    reads it, counting what the server read: a 50 MB upload that is never in memory."""

    def __init__(self, fields: dict, file_field: str, file_name: str, file_size: int):
        head = b"".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode() for name, value in fields.items())
        head += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{file_name}"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n'
                 ).encode()
        self.head, self.file_size = head, file_size
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(head) + file_size + len(self.tail)
        self.bytes_read = 0

    def read(self, size=-1):
        size = self.length - self.bytes_read if size is None or size < 0 else size
        piece = b"".join(self._bytes(self.bytes_read, min(size, 64 * 1024)))
        self.bytes_read += len(piece)
        return piece

    def readline(self, size=-1):  # WSGI asks for it; the multipart parser only reads
        raise NotImplementedError

    def _bytes(self, start, size):
        head_end, file_end = len(self.head), len(self.head) + self.file_size
        end = min(start + size, self.length)
        if start < head_end:
            yield self.head[start:min(end, head_end)]
        if end > head_end and start < file_end:
            yield bytes(min(end, file_end) - max(start, head_end))
        if end > file_end:
            yield self.tail[max(start - file_end, 0):end - file_end]

    def post(self, client, url):
        return client.generic("POST", url, CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
                              CONTENT_LENGTH=str(self.length), **{"wsgi.input": self})


def mandate_fields(person) -> dict:
    daughter = person.members.get(name="Sophie Lambert")
    return {"representative": daughter.pk, "scope": "All patient rights",
            "signed_on": "2026-10-01", "signed_by_person": "on",
            "signed_by_representative": "on", "starts_on": "2026-10-01"}


@pytest.mark.django_db
def test_a_50_mb_mandate_is_refused_before_its_body_is_read(client, coordinator, madeleine,
                                                           media):
    client.force_login(coordinator)
    form = StreamedForm(mandate_fields(madeleine), "document", "scan.pdf", 50 * MB)
    response = form.post(client, reverse("network:mandate_add", args=[madeleine.pk]))
    assert response.status_code == 413
    page = response.content.decode()
    assert TOO_LARGE_50 in page and "Nothing was saved" in page
    assert form.bytes_read == 0
    assert not Mandate.objects.exists() and stored_files(media) == []


@pytest.mark.django_db
def test_the_refusal_comes_in_the_users_language(client, coordinator, madeleine):
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    client.force_login(coordinator)
    form = StreamedForm(mandate_fields(madeleine), "document", "scan.pdf", 50 * MB)
    response = form.post(client, reverse("network:mandate_add", args=[madeleine.pk]))
    assert response.status_code == 413
    assert "Le fichier est trop volumineux (50,0 Mo). La limite est de 5 Mo." in (
        response.content.decode())


@pytest.mark.django_db
def test_a_50_mb_booklet_attachment_is_refused_before_its_body_is_read(client, coordinator,
                                                                      madeleine, media):
    client.force_login(coordinator)
    form = StreamedForm({"entry-kind": "note", "entry-audience": "network",
                         "entry-body": "See the scan"}, "entry-attachment", "scan.pdf", 50 * MB)
    response = form.post(client, reverse("booklet:entry_new", args=[madeleine.pk]))
    assert response.status_code == 413 and TOO_LARGE_50 in response.content.decode()
    assert form.bytes_read == 0
    assert not Entry.objects.exists() and stored_files(media) == []


@pytest.mark.django_db
def test_a_file_just_over_the_limit_stops_being_kept_and_the_form_comes_back(
        client, coordinator, madeleine, media):
    client.force_login(coordinator)
    content = PDF + b"0" * (max_upload_bytes() + 300 * 1024)
    data = mandate_fields(madeleine) | {"document": upload("scan.pdf", content, "application/pdf")}
    response = client.post(reverse("network:mandate_add", args=[madeleine.pk]), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The file is too large (5.3 MB). The limit is 5 MB." in page
    assert "All patient rights" in page  # the other fields came back with the form
    limiter, _memory, temporary = response.wsgi_request.upload_handlers
    assert max_upload_bytes() - limiter.chunk_size < limiter.kept <= max_upload_bytes()
    assert limiter.received == len(content)
    assert temporary.file.closed  # what was kept is deleted
    assert not os.path.exists(temporary.file.temporary_file_path())
    assert not Mandate.objects.exists() and stored_files(media) == []


@pytest.mark.django_db
def test_a_booklet_attachment_over_the_limit_is_refused_with_the_limit(client, coordinator,
                                                                      madeleine, media):
    client.force_login(coordinator)
    big = upload("scan.pdf", PDF + b"0" * (max_upload_bytes() + 1), "application/pdf")
    response = client.post(reverse("booklet:entry_new", args=[madeleine.pk]), {
        "entry-kind": "note", "entry-audience": "network", "entry-body": "See the scan",
        "entry-attachment": big}, follow=True)
    assert "The file is too large (5.0 MB). The limit is 5 MB." in response.content.decode()
    assert not Entry.objects.exists() and stored_files(media) == []


@pytest.mark.django_db
def test_a_pdf_that_hides_a_web_page_is_refused_and_nothing_is_stored(client, coordinator,
                                                                     madeleine, media):
    client.force_login(coordinator)
    data = mandate_fields(madeleine) | {
        "document": upload("scan.pdf", PDF_THEN_HTML, "application/pdf")}
    response = client.post(reverse("network:mandate_add", args=[madeleine.pk]), data)
    assert response.status_code == 200
    assert "This PDF file is damaged or incomplete" in response.content.decode()
    assert not Mandate.objects.exists() and stored_files(media) == []


@pytest.mark.django_db
def test_a_truncated_photo_is_refused_on_the_emergency_sheet(client, gp, madeleine, media):
    client.force_login(gp)
    response = client.post(reverse("booklet:emergency_edit", args=[madeleine.pk]), {
        "conditions": "Heart failure", "number": 0,
        "photo": upload("face.png", PNG[:-12], "image/png")})
    assert response.status_code == 200
    assert "This PNG image is damaged or incomplete" in response.content.decode()
    assert not EmergencySheet.objects.exists() and stored_files(media) == []


# --- served back as what they are ----------------------------------------------------------


@pytest.mark.django_db
def test_documents_are_served_as_their_type_as_attachments_never_sniffed(
        persona_client, coordinator, madeleine):
    daughter = madeleine.members.get(name="Sophie Lambert")
    mandate = network.record_mandate(
        madeleine, representative=daughter, scope="All", signed_on=date(2026, 10, 1),
        signed_by_person=True, signed_by_representative=True, starts_on=date(2026, 10, 1),
        document=upload("scan", PNG, "application/pdf"), actor=coordinator)
    entry = booklet.write(madeleine, author=coordinator, body="The letter",
                          attachment=upload("letter", JPEG, "text/html"))
    gp = persona_client("gp")
    served = [
        (gp.get(reverse("network:mandate_document", args=[madeleine.pk, mandate.pk])),
         "image/png", f'attachment; filename="mandate-{mandate.pk}.png"'),
        (gp.get(reverse("booklet:entry_attachment", args=[entry.pk])),
         "image/jpeg", 'attachment; filename="letter.jpg"'),
    ]
    for response, content_type, disposition in served:
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == disposition
        assert response["X-Content-Type-Options"] == "nosniff"


# --- a real server answers before the body is sent -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_server_answers_a_50_mb_upload_before_it_is_sent(live_server):
    """Over a socket: the headers declare 50 MB, the body follows in pieces while we watch
    for the answer, which comes when a fraction of the body has left (what the kernel's
    buffers absorb), not after all of it."""
    form = StreamedForm({"scope": "All"}, "document", "scan.pdf", 50 * MB)
    url = urlsplit(live_server.url)
    connection = HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("POST", reverse("network:mandate_add", args=[1]))
    connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    connection.putheader("Content-Length", str(form.length))
    connection.putheader("Accept-Language", "en")
    connection.endheaders()
    sent = _send_until_answered(connection.sock, form, deadline=time.monotonic() + 30)

    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    assert response.status == 413 and TOO_LARGE_50 in page
    assert sent < form.length // 2, f"{sent} of {form.length} bytes sent before the answer"


def _send_until_answered(sock: socket.socket, form: StreamedForm, deadline: float) -> int:
    sent = 0
    while sent < form.length and time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock], [], 1)
        if readable:
            break
        if writable:
            sock.sendall(form.read(64 * 1024))
            sent = form.bytes_read
    return sent


@pytest.mark.django_db
def test_signed_in_pages_give_the_browser_the_limit_in_the_users_language(client, coordinator):
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    client.force_login(coordinator)
    page = client.get(reverse("accounts:home")).content.decode()
    assert (f'<meta name="upload-limit" content="{5 * MB}" data-message="Le fichier est trop '
            'volumineux ({size} Mo). La limite est de 5 Mo.">') in page
    client.logout()
    assert 'name="upload-limit"' not in client.get(reverse("accounts:login")).content.decode()
