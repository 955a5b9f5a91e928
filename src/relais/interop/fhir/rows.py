"""The rows of a resource type that is not one table, with what the views ask of a
queryset: `filter`, `count`, `order_by` and a page by slicing.

* `Parts`: one FHIR type made of several models, each under an id prefix. A Task is a
  referral's (`referral-12`) or a follow-up contact's (`contact-7`); a CarePlan a stay's
  discharge plan (`discharge-3`) or the follow-up after it (`followup-2`). Each part is
  its own gate-filtered queryset; a search parameter narrows each part with its own
  condition (`narrow`), and a page lists the parts one after the other, each in order.
* `Definitions`: definitions kept in code (the screening instruments), filtered in
  Python; their ids are their own (`relais-social-1`).
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet

from relais.core.text import is_digits
from relais.interop.fhir.registry import SearchParam
from relais.interop.fhir.values import ID, alternatives


class Parts:
    def __init__(self, parts: dict[str, QuerySet], counts: dict[str, int] | None = None):
        self.parts = parts  # id prefix -> the visible rows of that model
        self._counts = counts

    def narrow(self, **conditions: Q) -> "Parts":
        """Each part filtered by its own condition; a part without one has no row that
        matches (`focus=ServiceRequest/5` finds no follow-up contact)."""
        return Parts({prefix: rows.filter(conditions[prefix]) if prefix in conditions
                      else rows.none() for prefix, rows in self.parts.items()})

    def filter(self, *args, **kwargs) -> "Parts":
        """The same condition on every part: fields they all have (`updated_at`)."""
        return Parts({prefix: rows.filter(*args, **kwargs)
                      for prefix, rows in self.parts.items()})

    def order_by(self, *fields) -> "Parts":
        return Parts({prefix: rows.order_by(*fields) for prefix, rows in self.parts.items()},
                     self._counts)

    def count(self) -> int:
        return sum(self._sizes().values())

    def _sizes(self) -> dict[str, int]:
        if self._counts is None:
            self._counts = {prefix: rows.count() for prefix, rows in self.parts.items()}
        return self._counts

    def __getitem__(self, page: slice) -> list:
        """The rows from `page.start` to `page.stop` of the parts listed one after the
        other: only the parts the page reaches are read."""
        start, stop, found = page.start or 0, page.stop, []
        for prefix, rows in self.parts.items():
            size = self._sizes()[prefix]
            if start < size and stop > 0:
                found += list(rows[max(start, 0):min(stop, size)])
            start, stop = start - size, stop - size
        return found

    def find(self, id: str):
        """The visible row named `prefix-pk`, or None."""
        prefix, _dash, pk = id.rpartition("-")
        if prefix not in self.parts or not is_digits(pk) or len(pk) > 18:
            return None
        return self.parts[prefix].filter(pk=int(pk)).first()


def part_id(prefixes: dict[type, str]) -> Callable[[object], str]:
    """A row's id: its part's prefix and its primary key."""
    return lambda row: f"{prefixes[type(row)]}-{row.pk}"


def _part_ids(parts: Parts, value: str, modifier: str) -> Parts:
    wanted: dict[str, list[int]] = {}
    for one in alternatives(value):
        prefix, _dash, pk = one.rpartition("-")
        if ID.match(one) and is_digits(pk) and len(pk) <= 18:
            wanted.setdefault(prefix, []).append(int(pk))
    return parts.narrow(**{prefix: Q(pk__in=pks) for prefix, pks in wanted.items()})


PART_ID_PARAM = SearchParam("_id", "token", "The resource's logical id (prefix-number).",
                            _part_ids)


class Definitions:
    def __init__(self, items: list):
        self.items = list(items)

    def narrow(self, keep: Callable[[object], bool]) -> "Definitions":
        return Definitions([item for item in self.items if keep(item)])

    def count(self) -> int:
        return len(self.items)

    def order_by(self, *fields) -> "Definitions":
        return self  # kept in the order they were given

    def __getitem__(self, page: slice) -> list:
        return self.items[page]


def any_of(value: str, conditions) -> dict:
    """{part: Q} matching any of the comma-separated values; `conditions(value)` gives
    each part's condition for one value (a part left out matches nothing)."""
    matches: dict[str, Q] = {}
    for one in alternatives(value):
        for part, condition in conditions(one).items():
            matches[part] = matches.get(part, Q(pk__in=[])) | condition
    return matches
