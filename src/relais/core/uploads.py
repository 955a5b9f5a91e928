"""Uploaded documents: checked by their whole content (not their name), capped in size, and
stored under MEDIA_ROOT, which the web server never serves: files go out only through a
view that asks relais.access first, with the type found here, as an attachment.

The size is enforced while the file arrives (core/upload_handlers.py): a request declaring
more than one file at the limit plus the form's fields is refused before its body is read
(a 413 page), and a file passing the limit within that margin is dropped as it arrives and
reaches the form as a TooLargeUpload, which validate_document refuses with its size."""

import logging
import mimetypes
import os
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from relais.core import filetypes
from relais.core.filetypes import JPEG, PDF, PNG

logger = logging.getLogger(__name__)

TOO_LARGE = _("The file is too large (%(size)s MB). The limit is %(limit)s MB.")

EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg", ".jpe", ".jfif")}

DAMAGED = {
    PDF: _("This PDF file is damaged or incomplete, or it is not really a PDF. Save or scan "
           "it again, then choose it once more."),
    PNG: _("This PNG image is damaged or incomplete. Save it again, then choose it once "
           "more."),
    JPEG: _("This JPEG image is damaged or incomplete. Save it again, then choose it once "
            "more."),
}
WRONG_NAME = {
    PDF: _("This file is a PDF, but its name ends in “%(extension)s”. Choose the right "
           "file, or rename it to end in “.pdf”."),
    PNG: _("This file is a PNG image, but its name ends in “%(extension)s”. Choose the "
           "right file, or rename it to end in “.png”."),
    JPEG: _("This file is a JPEG image, but its name ends in “%(extension)s”. Choose the "
            "right file, or rename it to end in “.jpg”."),
}


def max_upload_bytes() -> int:
    return getattr(settings, "RELAIS_UPLOAD_MAX_MB", 5) * 1024 * 1024


def max_request_bytes() -> int:
    """The most a form with one file may send: the file at the limit plus the other fields
    (which Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    return max_upload_bytes() + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


class TooLargeUpload(UploadedFile):
    """Stands in for a file that passed the limit while it arrived: none of its bytes were
    kept, only its name and how many bytes came."""

    too_large = True

    def __init__(self, name, content_type, size):
        super().__init__(BytesIO(), name=name, content_type=content_type, size=size)


def too_large_error(size: int) -> ValidationError:
    return ValidationError(
        TOO_LARGE, code="too_large",
        params={"size": number_format(round(size / 1024 / 1024, 1), 1),
                "limit": max_upload_bytes() // 1024 // 1024})


def too_large_template() -> str:
    """The message with `{size}` for the browser to fill in: relais.js refuses a file over
    the limit as soon as it is chosen, before minutes of sending it."""
    return TOO_LARGE % {"size": "{size}", "limit": max_upload_bytes() // 1024 // 1024}


def sniff_content_type(upload) -> str | None:
    return filetypes.sniff(upload)


def validate_document(upload) -> str:
    """Return the real content type of a PDF, PNG or JPEG upload, or raise ValidationError:
    too large, not one of these types, damaged or not wholly what it claims (a PDF header
    followed by a web page), or named as another type."""
    if getattr(upload, "too_large", False) or upload.size > max_upload_bytes():
        raise too_large_error(upload.size)
    content_type = filetypes.sniff(upload)
    if content_type is None:
        raise ValidationError(_("Only PDF, JPEG or PNG files are accepted."), code="file_type")
    if not filetypes.is_whole(upload, content_type, upload.size):
        raise ValidationError(DAMAGED[content_type], code="damaged")
    extension = _contradicting_extension(upload.name or "", content_type)
    if extension:
        raise ValidationError(WRONG_NAME[content_type], code="wrong_name",
                              params={"extension": extension})
    return content_type


def _contradicting_extension(name: str, content_type: str) -> str:
    """The name's extension if it names another type (`scan.pdf` holding a PNG); a name
    without a known extension (`Mandate Dr. Claes`) contradicts nothing."""
    extension = os.path.splitext(name)[1].lower()
    if not extension or extension in EXTENSIONS[content_type]:
        return ""
    named_type, _encoding = mimetypes.guess_type(name, strict=False)
    return extension if named_type else ""


def download_name(name: str, content_type: str) -> str:
    """The name a served file is saved under: the uploaded name (or ours), ending in the
    extension of its real type, so the computer that saves it opens it as that type."""
    if os.path.splitext(name)[1].lower() in EXTENSIONS.get(content_type, ()):
        return name
    return name + EXTENSIONS.get(content_type, ("",))[0]


class StoredFileMissing(Http404):
    """A file the database names is not in MEDIA_ROOT: the database was restored without
    the uploaded files (docs/deploy.md, "Back up and restore"). Answered with a page that
    says so (410, core.views.error_404), not a server error."""


def open_stored(field_file):
    """The stored file, opened for reading (FileResponse closes it). Call it after the
    gate and before the read's audit event: a missing file was not read."""
    try:
        return field_file.open("rb")
    except FileNotFoundError:
        logger.error("stored file missing: %s (restore the uploaded files with the "
                     "database: docs/deploy.md)", field_file.name)
        raise StoredFileMissing from None
