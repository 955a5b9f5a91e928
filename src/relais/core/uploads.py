"""Uploaded documents: checked by their content (not their name), capped in size, and
stored under MEDIA_ROOT, which the web server never serves: files go out only through a
view that asks relais.access first."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def max_upload_bytes() -> int:
    return getattr(settings, "RELAIS_UPLOAD_MAX_MB", 5) * 1024 * 1024


def sniff_content_type(upload) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), None)


def validate_document(upload) -> str:
    """Return the real content type of a PDF, PNG or JPEG upload, or raise ValidationError."""
    if upload.size > max_upload_bytes():
        raise ValidationError(
            _("The file is too large (%(size)s MB). The limit is %(limit)s MB."),
            code="too_large",
            params={"size": round(upload.size / 1024 / 1024, 1),
                    "limit": max_upload_bytes() // 1024 // 1024})
    content_type = sniff_content_type(upload)
    if content_type is None:
        raise ValidationError(_("Only PDF, JPEG or PNG files are accepted."), code="file_type")
    return content_type
