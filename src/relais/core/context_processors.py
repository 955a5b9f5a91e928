from django.conf import settings

from relais.core import menu, outbox, uploads


def relais(request):
    return {
        "RELAIS_ENV": settings.RELAIS_ENV,
        "RELAIS_DEMO": getattr(settings, "RELAIS_DEMO", not settings.PRODUCTION),
        "RELAIS_OUTBOX": outbox.folder() is not None,
        "main_menu": menu.lazy_links(request),
        "UPLOAD_MAX_BYTES": uploads.max_upload_bytes(),
        "upload_too_large": uploads.too_large_template,  # called only where a page uses it
    }
