"""The query string of a search: FHIR's own controls (`_count`, `_offset`, `_summary`,
`_format`, `_sort`, `_elements`, `_include`, `_revinclude`) and the resource type's
search parameters.

An unknown parameter is ignored and named in a warning (the Bundle's OperationOutcome
entry) unless the client sent `Prefer: handling=strict`, which turns it into a 400, as
FHIR's search page says; so is a `_sort` key or an `_include` this server cannot follow
(ignoring those returns the same matches, in another order or with less beside them). A
parameter the server knows but whose value it cannot read (an invalid SSIN, a date that
is not one) is always a 400: ignoring it would return more than was asked for.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from relais.core.text import is_digits
from relais.interop.fhir import includes
from relais.interop.fhir.elements import read_elements
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.registry import ResourceType

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Read by the server but not searched on: output format, pretty printing.
PASSED = {"_format", "_pretty"}
TOTALS = ("none", "estimate", "accurate")


@dataclass
class Search:
    filters: list[tuple] = field(default_factory=list)  # (SearchParam, modifier, value)
    count: int = DEFAULT_COUNT
    offset: int = 0
    only_count: bool = False
    ignored: list[str] = field(default_factory=list)
    used: list[tuple[str, str]] = field(default_factory=list)  # for the self link
    sort: list[str] = field(default_factory=list)  # order_by() fields, "-" descending
    elements: list[str] = field(default_factory=list)
    includes: list = field(default_factory=list)  # includes.Include
    total: str = "estimate"  # _total: none | estimate (when known) | accurate

def is_strict(request) -> bool:
    """`Prefer: handling=strict`, alone or among other preferences (RFC 7240)."""
    prefer = request.headers.get("Prefer", "")
    return any(part.strip().lower() == "handling=strict"
               for part in re.split(r"[,;]", prefer))


def parse_search(request, resource: ResourceType) -> Search:
    search = Search()
    for key, values in request.GET.lists():
        for value in values:
            _read(search, resource, key, value)
    if search.ignored and is_strict(request):
        raise FhirError(400, "not-supported", _(
            "Unknown search parameters: %(names)s.") % {"names": ", ".join(search.ignored)})
    return search


def _read(search: Search, resource: ResourceType, key: str, value: str) -> None:
    name, _colon, modifier = key.partition(":")
    params = {param.name: param for param in resource.search_params}
    if key in CONTROLS:
        CONTROLS[key](search, resource, value)
    elif key == "_count":
        search.count = whole_number(key, value, 0, MAX_COUNT)
    elif key == "_offset":
        search.offset = whole_number(key, value, 0, 10**9)
    elif key == "_summary":
        _summary(search, value)
    elif key == "_total":
        _total(search, value)
    elif key in PASSED:
        return
    elif name in params:
        _modifier(params[name], modifier)
        search.filters.append((params[name], modifier, value))
        search.used.append((key, value))
    else:
        search.ignored.append(key[:64])


def _sort(search: Search, resource: ResourceType, value: str) -> None:
    """`_sort=-date,_id`: each key a parameter with `sort_by` fields; `-` descending."""
    understood = []
    for key in (part.strip() for part in value.split(",") if part.strip()):
        param = resource.param(key.removeprefix("-"))
        if param is None or not param.sort_by:
            search.ignored.append(f"_sort={key[:40]}")
            continue
        descending = "-" if key.startswith("-") else ""
        search.sort += [f"{descending}{field}" for field in param.sort_by]
        understood.append(key)
    if understood:
        search.used.append(("_sort", ",".join(understood)))


def _elements(search: Search, resource: ResourceType, value: str) -> None:
    search.elements += read_elements(value, resource.name)
    search.used.append(("_elements", value))


def _include(reverse: bool, iterate: bool = False):
    def read(search: Search, resource: ResourceType, value: str) -> None:
        found = includes.read_include(resource, value, reverse=reverse, iterate=iterate)
        name = ("_revinclude" if reverse else "_include") + (":iterate" if iterate else "")
        if not found:
            search.ignored.append(f"{name}={value[:60]}")
            return
        search.includes += found
        search.used.append((name, value))

    return read


CONTROLS = {"_sort": _sort, "_elements": _elements, "_include": _include(reverse=False),
            "_revinclude": _include(reverse=True),
            "_include:iterate": _include(reverse=False, iterate=True),
            "_revinclude:iterate": _include(reverse=True, iterate=True)}


def _summary(search: Search, value: str) -> None:
    """count; false and data (Relais's resources carry no narrative `text`: the whole
    resource); text (the narrative, none, with id, meta and what R4 makes mandatory,
    tagged SUBSETTED). `true` is not known: R4's summary flags are not at hand."""
    if value == "count":
        search.only_count = True
    elif value == "text":
        search.elements.append("text")
        search.used.append(("_summary", value))
    elif value == "data":
        search.used.append(("_summary", value))
    elif value != "false":
        search.ignored.append(f"_summary={value[:20]}")


def _total(search: Search, value: str) -> None:
    """`_total`: whether the Bundle counts every match (docs/fhir.md, "Search")."""
    if value in TOTALS:
        search.total = value
        search.used.append(("_total", value))
    else:
        search.ignored.append(f"_total={value[:20]}")


def _modifier(param, modifier: str) -> None:
    if modifier and modifier not in param.modifiers:
        raise FhirError(400, "not-supported", _(
            "The search parameter “%(name)s” does not support the modifier “%(modifier)s”.")
            % {"name": param.name, "modifier": modifier[:20]})


def whole_number(name: str, value: str, low: int, high: int) -> int:
    if not is_digits(value) or not low <= int(value) <= high:
        raise FhirError(400, "invalid", _(
            "“%(name)s” must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high})
    return int(value)
