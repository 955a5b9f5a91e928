"""Reading search values: tokens (`system|code`), dates with their prefixes (`ge1941`),
references (`Patient/12`), and the parameters every type has (`_id`, `_lastUpdated`)."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from relais.core.text import is_digits
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.registry import SearchParam

DATE = re.compile(r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb)?(?P<year>\d{4})(-(?P<month>\d{2})"
                  r"(-(?P<day>\d{2}))?)?$")
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def invalid(name: str, value: str) -> FhirError:
    return FhirError(400, "invalid", _("“%(value)s” is not a valid value for “%(name)s”.")
                     % {"value": value[:64], "name": name})


def token(value: str) -> tuple[str | None, str]:
    """(system, code) from "system|code"; (None, code) when no system was given;
    ("", code) for "|code" (explicitly no system)."""
    if "|" not in value:
        return None, value
    system, _bar, code = value.partition("|")
    return system, code


def alternatives(value: str) -> list[str]:
    """FHIR's comma: any of the values (a backslash keeps a comma in a value)."""
    return [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", value)]


def any_of(queryset: QuerySet, value: str, condition) -> QuerySet:
    """The rows matching any of the comma-separated values (`condition(value) -> Q`)."""
    matches = Q(pk__in=[])
    for part in alternatives(value):
        matches |= condition(part)
    return queryset.filter(matches)


def date_range(name: str, value: str) -> tuple[str, date, date]:
    """(prefix, first day, day after the last) of a date search value."""
    match = DATE.match(value)
    if match is None:
        raise invalid(name, value)
    year, month, day = int(match["year"]), match["month"], match["day"]
    try:
        if day:
            start = date(year, int(month), int(day))
            return match["prefix"] or "eq", start, start + timedelta(days=1)
        if month:
            start = date(year, int(month), 1)
            return match["prefix"] or "eq", start, _next_month(start)
        return match["prefix"] or "eq", date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError:
        raise invalid(name, value) from None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def date_condition(field: str, prefix: str, start, end) -> Q:
    """FHIR's prefixes over a value that is a range [start, end)."""
    conditions = {
        "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "ne": ~Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "gt": Q(**{f"{field}__gte": end}), "sa": Q(**{f"{field}__gte": end}),
        "ge": Q(**{f"{field}__gte": start}),
        "lt": Q(**{f"{field}__lt": start}), "eb": Q(**{f"{field}__lt": start}),
        "le": Q(**{f"{field}__lt": end}),
    }
    return conditions[prefix] & Q(**{f"{field}__isnull": False})


def date_param(name: str, field: str, documentation: str) -> SearchParam:
    def apply(queryset, value, modifier):
        prefix, start, end = date_range(name, value)
        return queryset.filter(date_condition(field, prefix, start, end))

    return SearchParam(name, "date", documentation, apply, sort_by=(field,))


def _moments(start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (datetime.combine(start, time(), zone), datetime.combine(end, time(), zone))


def _last_updated(queryset, value, modifier):
    prefix, start, end = date_range("_lastUpdated", value)
    return queryset.filter(date_condition("updated_at", prefix, *_moments(start, end)))


def _id(queryset, value, modifier):
    ids = [part for part in alternatives(value) if ID.match(part)]
    return queryset.filter(pk__in=[int(part) for part in ids if is_row_id(part)])


def audited_id(id: str) -> str:
    """An id as the audit log keeps it: as sent when it is one (or none), else escaped —
    a NUL, which no text column takes, among what a client may send."""
    return id[:64] if not id or ID.match(id) else ascii(id)[:64]


def holds_nul(node) -> bool:
    """Whether a text, or any key or text of a JSON document, holds a NUL (U+0000): no
    text in Relais does (PostgreSQL refuses it)."""
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(holds_nul(key) or holds_nul(value) for key, value in node.items())
    if isinstance(node, list):
        return any(holds_nul(item) for item in node)
    return False


def is_row_id(text: str) -> bool:
    """Digits that fit a database key (a longer number names nothing: the database would
    refuse it, an error rather than "not found")."""
    return is_digits(text) and len(text) <= 18


def reference_id(name: str, value: str, target: str) -> int:
    """12 from "Patient/12" or "12" (a reference to `target`); a 400 otherwise."""
    local = value.removeprefix(f"{target}/")
    if not is_row_id(local):
        raise invalid(name, value)
    return int(local)


ID_PARAM = SearchParam("_id", "token", "The resource's logical id.", _id, sort_by=("pk",))
LAST_UPDATED = SearchParam("_lastUpdated", "date",
                           "When the resource last changed (Europe/Brussels days).",
                           _last_updated, sort_by=("updated_at",))
COMMON = (ID_PARAM,)
