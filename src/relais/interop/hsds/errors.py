"""Every answer of the HSDS API is JSON, errors included: {"status", "detail"} and, for bad
parameters, "errors": [{"parameter", "detail"}], in the reader's language.

`endpoint` wraps each view: GET or HEAD only (405 otherwise, with Allow), the directory's read
right (401), then the view; a `BadRequest`, an `Http404` or a request Django refuses
(too many parameters) become JSON, and an unexpected error is logged as Django logs one
and answered with a JSON 500. Nothing in the API writes, so a refused request changes
nothing by construction.
"""

from functools import wraps

from django.core import signals
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from relais.directory import rules as directory_rules


class BadRequest(Exception):
    """Parameters the API cannot answer: [(parameter, what is wrong)]."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


def error_response(status: int, detail: str, problems=()) -> JsonResponse:
    body = {"status": status, "detail": detail}
    if problems:
        body["errors"] = [{"parameter": name, "detail": text} for name, text in problems]
    return JsonResponse(body, status=status)


def not_found() -> JsonResponse:
    return error_response(404, _("Nothing here: no such object, or not one you may read."))


def readable(request) -> bool:
    """The directory's read right (directory/rules.py): signed in, or a public directory."""
    return request.user.is_authenticated or directory_rules.public_directory()


def endpoint(view=None, *, open_to_all: bool = False):
    """The checks and error answers every HSDS endpoint shares (see the module)."""
    if view is None:
        return lambda view: endpoint(view, open_to_all=open_to_all)

    # Exempt from CSRF: nothing here accepts a change, and a POST must get the JSON 405
    # rather than the HTML page of a CSRF failure.
    @csrf_exempt
    @wraps(view)
    def answer(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):  # HEAD: the server sends no body
            response = error_response(405, _("The HSDS API is read-only: use GET."))
            response["Allow"] = "GET, HEAD"
            return response
        if not (open_to_all or readable(request)):
            return error_response(401, _("Sign in to read the directory."))
        return _answered(view, request, *args, **kwargs)

    return answer


def _answered(view, request, *args, **kwargs):
    try:
        return view(request, *args, **kwargs)
    except BadRequest as error:
        return error_response(400, _("Some parameters of this request are not valid."),
                              error.problems)
    except Http404:
        return not_found()
    except SuspiciousOperation:  # e.g. more parameters than Django reads
        return error_response(400, _("This request is not valid."))
    except Exception as error:
        # What Django does for a view's error (log it, tell got_request_exception, which
        # also lets the test client raise it), with a JSON body instead of the HTML page.
        signals.got_request_exception.send(sender=None, request=request)
        response = error_response(500, _("Something went wrong on our side; it has been "
                                         "logged."))
        log_response("Internal Server Error: %s", request.path, response=response,
                     request=request, exception=error)
        return response
