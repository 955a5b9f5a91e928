"""SMART App Launch v2 system scopes (`system/Patient.rs`), and the v1 form
(`system/Patient.read`) that older clients still send.

A scope grants a resource type (or `*`) some of c, r, u, d, s, in that order. A request
needs `r` to read (a version, the history too), `s` to search, `c` to create and `u` to
update; nothing is deleted, so no scope with `d` is offered (nor the v1 `write`, which
means c, u and d). A client is offered the scopes of what each type serves
(`ResourceType.served`) that its registration allows (`SystemClient.scopes`). Finer scopes
(`system/Observation.rs?category=…`) are not supported and not offered.
"""

import re
from itertools import combinations

from oauth2_provider.scopes import BaseScopes

from relais.interop.fhir import registry

SCOPE = re.compile(r"^system/(?P<type>\*|[A-Z][A-Za-z]{1,63})\.(?P<permissions>[cruds]{1,5}"
                   r"|read|write|\*)$")
V1 = {"read": "rs", "write": "cud", "*": "cruds"}
NEEDED = {registry.READ: "r", registry.SEARCH: "s", registry.CREATE: "c",
          registry.UPDATE: "u", registry.VREAD: "r", registry.HISTORY: "r"}


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
    """Whether `scope` asks only for what its type serves (for `*`: what some type serves)
    and every permission it asks for is within the `allowed` scopes."""
    parsed = parse(scope)
    if parsed is None:
        return False
    kind, permissions = parsed
    if kind != "*" and kind not in registry.TYPES:
        return False
    if not permissions <= set(_letters(kind)):
        return False
    for permission in permissions:
        interaction = next(i for i, letter in NEEDED.items() if letter == permission)
        types = [t.name for t in registry.TYPES.values() if interaction in t.served] if (
            kind == "*") else [kind]
        if not all(grants(allowed, name, interaction) for name in types):
            return False
    return True


def _letters(kind: str) -> str:
    """The permissions the type (or, for `*`, some type) serves, in SMART's order."""
    types = registry.TYPES.values() if kind == "*" else [registry.TYPES[kind]]
    served = {NEEDED[i] for t in types for i in t.served if i in NEEDED}
    return "".join(letter for letter in "cruds" if letter in served)


def every_scope() -> list[str]:
    """Every scope of every registered type and of `*`: each combination of the
    permissions it serves (v2), and the v1 `read` form."""
    scopes = []
    for name in ("*", *registry.TYPES):
        letters = _letters(name)
        forms = ["".join(c) for size in range(len(letters), 0, -1)
                 for c in combinations(letters, size)]
        scopes += [f"system/{name}.{form}" for form in (*forms, "read")]
    return scopes


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
