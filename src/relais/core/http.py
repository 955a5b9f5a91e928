from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "accounts:home") -> str:
    """The `next` the form carried, if it stays on this site; else the default page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


def safe_referer(request) -> str:
    """The page the request came from (the form, for a refused upload), if it is on this
    site; else ""."""
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return ""
