import time

from django.conf import settings
from django.utils import timezone

from relais.core import logs, requestcontext


class RequestContextMiddleware:
    """Give every request an id (echoed in X-Request-ID) that audit events and log lines
    carry; log the request once answered (RELAIS_REQUEST_LOG)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        context = requestcontext.context_for(request)
        request.request_id = context.request_id
        token = requestcontext.activate(context)
        # The zone pages are shown in, made current for the request: asking for the current
        # zone when none is set raises and catches an error inside asgiref's Local (3 µs),
        # and a page asks some thirty times (each kept query's day, each time shown).
        timezone.activate(timezone.get_default_timezone())
        try:
            response = self.get_response(request)
            logs.log_request(request, response, started)
        finally:
            timezone.deactivate()
            requestcontext.deactivate(token)
        response["X-Request-ID"] = context.request_id
        return response


class NoStoreWhenSignedInMiddleware:
    """Whatever a signed-in user receives may carry person data (a record, the inbox, a
    booklet, an attachment, a print): no browser or shared cache keeps a copy. A view that
    chose its own Cache-Control keeps it. Static files never get here (WhiteNoise answers
    them first); the path check is for development servers that route them through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.user.is_authenticated and not response.has_header("Cache-Control")
                and not request.path.startswith(settings.STATIC_URL)):
            response["Cache-Control"] = "no-store, private"
        return response
