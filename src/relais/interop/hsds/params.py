"""Query parameters of the HSDS API, as the OpenAPI names them, read strictly.

Each endpoint declares the parameters it takes; one it does not take (a typo such as
`organisation_id` would otherwise return the whole directory), or a value it cannot read,
is a 400 naming every problem at once. An empty value counts as absent (what an HTML form
sends). Repeated parameters: the last one counts, as in Django.
"""

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from relais.interop.hsds.errors import BadRequest

MAX_PER_PAGE = 100
MAX_PER_PAGE_MINIMAL = 1000  # `minimal` asks for everything in one call: small records
DEFAULT_PER_PAGE = 25
MAX_SEARCH = 200
FORMATS = ("json", "ndjson")


@dataclass(frozen=True)
class Param:
    read: Any  # str -> value, raising ValueError with a message for the reader
    default: Any = None


def positive_integer(raw: str) -> int:
    if not re.fullmatch(r"\d{1,9}", raw) or int(raw) < 1:
        raise ValueError(_("Give a whole number of 1 or more."))
    return int(raw)


def boolean(raw: str) -> bool:
    value = raw.lower()
    if value not in ("true", "false", "1", "0"):
        raise ValueError(_("Give true or false."))
    return value in ("true", "1")


def hsds_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise ValueError(_("Give an HSDS id (a UUID).")) from None


def text(raw: str) -> str:
    if len(raw) > MAX_SEARCH:
        raise ValueError(_("Give at most %(limit)d characters.") % {"limit": MAX_SEARCH})
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise ValueError(_("Control characters cannot be searched for."))
    return raw


def moment(raw: str) -> dt.datetime:
    """An ISO 8601 date-time (without an offset: Brussels time) or a date (its midnight)."""
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = dt.datetime.combine(day, dt.time())
        if value is None:
            raise ValueError
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise ValueError(_("Give a date and time as ISO 8601, e.g. 2025-03-01T08:00:00+01:00."
                           )) from None


def postcode(raw: str) -> str:
    if not re.fullmatch(r"\d{4}", raw):
        raise ValueError(_("Give a Belgian postcode of four digits."))
    return raw


def output_format(raw: str) -> str:
    if raw not in FORMATS:
        raise ValueError(_("Give json or ndjson."))
    return raw


def unsupported_proximity(raw: str):
    raise ValueError(_("Relais knows the municipalities a service covers, not where it is on "
                       "a map: filter with postcode alone."))


PAGE = {"page": Param(positive_integer, 1), "per_page": Param(positive_integer),
        "format": Param(output_format, "json")}
SEARCH = {"search": Param(text, "")}
SERVICE_FILTERS = {"taxonomy_term_id": Param(hsds_id), "taxonomy_id": Param(hsds_id),
                   "organization_id": Param(hsds_id), "modified_after": Param(moment)}
FULL = {"full": Param(boolean, False)}
FULL_SERVICE = {"full_service": Param(boolean, False)}

SERVICES = SEARCH | PAGE | SERVICE_FILTERS | FULL | {"minimal": Param(boolean, False)}
SERVICE_AT_LOCATIONS = SEARCH | PAGE | SERVICE_FILTERS | FULL | {
    "postcode": Param(postcode), "proximity": Param(unsupported_proximity)}
ORGANIZATIONS = SEARCH | PAGE | FULL | FULL_SERVICE
TAXONOMIES = SEARCH | PAGE
TAXONOMY_TERMS = SEARCH | PAGE | {"taxonomy_id": Param(hsds_id), "top_only": Param(boolean, False),
                                  "parent_id": Param(hsds_id)}
ORGANIZATION = FULL_SERVICE
NONE: dict[str, Param] = {}


def read(request, accepted: dict[str, Param]) -> dict[str, Any]:
    """The request's parameters, read by `accepted`; BadRequest lists every problem."""
    problems = [(name, _("This parameter is not one this endpoint takes (%(names)s).") % {
        "names": ", ".join(accepted) or "-"}) for name in request.GET if name not in accepted]
    values = {}
    for name, param in accepted.items():
        raw = request.GET.get(name, "")
        try:
            values[name] = param.read(raw) if raw != "" else param.default
        except ValueError as error:
            problems.append((name, str(error)))
    values.update(_per_page(values, problems))
    if values.get("minimal") and values.get("full"):
        problems.append(("minimal", _("Ask for minimal or full records, not both.")))
    if problems:
        raise BadRequest(problems)
    return values


def _per_page(values: dict, problems: list) -> dict:
    if "page" not in values:
        return {}
    limit = MAX_PER_PAGE_MINIMAL if values.get("minimal") else MAX_PER_PAGE
    per_page = values.get("per_page") or DEFAULT_PER_PAGE
    if per_page > limit:
        problems.append(("per_page", _("Give at most %(limit)d.") % {"limit": limit}))
    return {"per_page": per_page}
