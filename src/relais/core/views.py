from django.shortcuts import render

from relais.core.models import CareZone, Municipality
from relais.core.uploads import StoredFileMissing


def care_zones(request):
    zones = CareZone.objects.prefetch_related("municipalities__postcodes")
    split = Municipality.objects.filter(care_zone__isnull=True).prefetch_related(
        "postcodes__care_zone"
    )
    return render(request, "core/care_zones.html", {"zones": zones, "split": split})


def error_400(request, exception=None):
    """A request Django refuses before any view (too many fields, a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE): said in the user's language, not a bare 'Bad Request'."""
    return render(request, "400.html", status=400)


def error_404(request, exception=None):
    if isinstance(exception, StoredFileMissing):  # the record is there, its file is not
        return render(request, "file_missing.html", status=410)
    return render(request, "404.html", status=404)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_500(request):
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    return render(request, "403.html", {"csrf": True}, status=403)
