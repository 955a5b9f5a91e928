"""The query string of a search: FHIR's own controls (`_count`, `_offset`, `_summary`,
`_format`) and the resource type's search parameters.

An unknown parameter is ignored and named in a warning (the Bundle's OperationOutcome
entry) unless the client sent `Prefer: handling=strict`, which turns it into a 400, as
FHIR's search page says. A parameter the server knows but whose value it cannot read
(an invalid SSIN, a date that is not one) is always a 400: ignoring it would return more
than was asked for.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.registry import ResourceType

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Read by the server but not searched on: output format, pretty printing, totals.
PASSED = {"_format", "_pretty", "_total"}


@dataclass
class Search:
    filters: list[tuple] = field(default_factory=list)  # (SearchParam, modifier, value)
    count: int = DEFAULT_COUNT
    offset: int = 0
    only_count: bool = False
    ignored: list[str] = field(default_factory=list)
    used: list[tuple[str, str]] = field(default_factory=list)  # for the self link


def is_strict(request) -> bool:
    """`Prefer: handling=strict`, alone or among other preferences (RFC 7240)."""
    prefer = request.headers.get("Prefer", "")
    return any(part.strip().lower() == "handling=strict"
               for part in re.split(r"[,;]", prefer))


def parse_search(request, resource: ResourceType) -> Search:
    search = Search()
    params = {param.name: param for param in resource.search_params}
    for key, values in request.GET.lists():
        for value in values:
            _read(search, params, key, value)
    if search.ignored and is_strict(request):
        raise FhirError(400, "not-supported", _(
            "Unknown search parameters: %(names)s.") % {"names": ", ".join(search.ignored)})
    return search


def _read(search: Search, params: dict, key: str, value: str) -> None:
    name, _colon, modifier = key.partition(":")
    if key == "_count":
        search.count = _number(key, value, 0, MAX_COUNT)
    elif key == "_offset":
        search.offset = _number(key, value, 0, 10**9)
    elif key == "_summary":
        _summary(search, value)
    elif key in PASSED:
        return
    elif name in params:
        _modifier(params[name], modifier)
        search.filters.append((params[name], modifier, value))
        search.used.append((key, value))
    else:
        search.ignored.append(key[:64])


def _summary(search: Search, value: str) -> None:
    if value == "count":
        search.only_count = True
    elif value != "false":
        search.ignored.append(f"_summary={value[:20]}")


def _modifier(param, modifier: str) -> None:
    if modifier and modifier not in param.modifiers:
        raise FhirError(400, "not-supported", _(
            "The search parameter “%(name)s” does not support the modifier “%(modifier)s”.")
            % {"name": param.name, "modifier": modifier[:20]})


def _number(name: str, value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise FhirError(400, "invalid", _(
            "“%(name)s” must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high})
    return int(value)
