"""SMART App Launch v2 system scopes (`system/Patient.rs`), and the v1 form
(`system/Patient.read`) that older clients still send.

A scope grants a resource type (or `*`) some of c, r, u, d, s, in that order. The API
reads and searches: a client is offered only the read-side scopes its registration
allows (`SystemClient.scopes`), and a request needs `r` to read and `s` to search.
Finer scopes (`system/Observation.rs?category=…`) are not supported and not offered.
"""

import re

from oauth2_provider.scopes import BaseScopes

from relais.interop.fhir import registry

SCOPE = re.compile(r"^system/(?P<type>\*|[A-Z][A-Za-z]{1,63})\.(?P<permissions>[cruds]{1,5}"
                   r"|read|write|\*)$")
V1 = {"read": "rs", "write": "cud", "*": "cruds"}
NEEDED = {registry.READ: "r", registry.SEARCH: "s"}
OFFERED = ("rs", "r", "s", "read")  # the read side, in the forms clients ask for


def parse(scope: str) -> tuple[str, set[str]] | None:
    """("Patient", {"r", "s"}) for "system/Patient.rs"; None for anything else (a v2 scope
    must list its letters once each, in the order c, r, u, d, s)."""
    match = SCOPE.match(scope)
    if match is None:
        return None
    permissions = V1.get(match["permissions"], match["permissions"])
    if permissions != "".join(letter for letter in "cruds" if letter in permissions):
        return None
    return match["type"], set(permissions)


def grants(scopes, resource: str, interaction: str) -> bool:
    """Whether one of `scopes` allows `interaction` on `resource`."""
    needed = NEEDED[interaction]
    for scope in scopes:
        parsed = parse(scope)
        if parsed and parsed[0] in ("*", resource) and needed in parsed[1]:
            return True
    return False


def covered(scope: str, allowed) -> bool:
    """Whether every permission `scope` asks for is within the `allowed` scopes."""
    parsed = parse(scope)
    if parsed is None:
        return False
    kind, permissions = parsed
    if kind != "*" and kind not in registry.TYPES:
        return False
    for permission in permissions:
        interaction = next((i for i, letter in NEEDED.items() if letter == permission), None)
        if interaction is None:
            return False
        types = registry.TYPES if kind == "*" else [kind]
        if not all(grants(allowed, name, interaction) for name in types):
            return False
    return True


def every_scope() -> list[str]:
    """The read-side scopes of every registered type, and of `*`."""
    return [f"system/{name}.{permissions}" for name in ("*", *registry.TYPES)
            for permissions in OFFERED]


class SmartScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend (settings.OAUTH2_PROVIDER): a client may ask
    for any read-side scope its registration covers; asking for none gives it all of
    those its registration lists."""

    def get_all_scopes(self):
        return {scope: scope for scope in every_scope()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        allowed = _allowed(application)
        return [scope for scope in every_scope() if covered(scope, allowed)]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return [scope for scope in _allowed(application) if parse(scope)]


def _allowed(application) -> list[str]:
    client = getattr(application, "relais_client", None) if application else None
    return client.allowed_scopes if client is not None and client.is_active else []
