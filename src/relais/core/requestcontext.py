"""Who is asking, from where, under which request id: read by the audit log.

Services write audit events without being handed the request; the middleware puts the
request id and client address in a context variable for the duration of the request.
"""

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    organisation: object | None = None  # the organisation the user acts for




_current: ContextVar[RequestContext] = ContextVar("relais_request", default=RequestContext())  # noqa: B039 - frozen

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current() -> RequestContext:
    return _current.get()


def activate(context: RequestContext):
    return _current.set(context)


def deactivate(token) -> None:
    _current.reset(token)


def set_organisation(organisation) -> None:
    """Record which organisation the logged-in user acts for in this request."""
    context = _current.get()
    _current.set(RequestContext(context.request_id, context.ip_address, organisation))


def context_for(request) -> RequestContext:
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return RequestContext(request_id=request_id, ip_address=client_ip(request))


def client_ip(request) -> str | None:
    # X-Forwarded-For is trusted only behind a proxy we were told about; else it is forgeable.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
