"""Who is asking, from where, under which request id: read by the audit log.

Services write audit events without being handed the request; the middleware puts the
request id and client address in a context variable for the duration of the request.
"""

import ipaddress
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
    """The client's address. Behind the reverse proxy we were told about
    (RELAIS_BEHIND_PROXY), it is the address that proxy appended to X-Forwarded-For: with
    RELAIS_PROXY_COUNT proxies in a row, the one that many places from the right. Whatever
    stands further left was sent by the client and is never trusted. Without a proxy the
    header is ignored: anyone can send it. Also read by django-axes (the lock-out)."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if not settings.RELAIS_BEHIND_PROXY:
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    count = max(settings.RELAIS_PROXY_COUNT, 1)
    if len(hops) < count:  # the request did not come through every proxy
        return remote
    return _address(hops[-count]) or remote


def _address(text: str) -> str | None:
    """A valid IPv4 or IPv6 address in its normal form, else None."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None
