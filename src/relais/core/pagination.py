"""A paginator that counts with the page: one walk over the matching rows instead of two.

Django's Paginator runs SELECT COUNT(*) and then the page's SELECT; on a search that
matches thousands of rows both walk the same rows. Here the ranking query carries
COUNT(*) OVER () (PostgreSQL and SQLite ≥ 3.25 alike).

With `fetch`, the work is split in two: the ranking query returns only primary keys and
the count (the window then holds narrow rows, not every column of thousands of matches),
and `fetch(pks)` loads the page's few full rows ({pk: row}). `ranked(first, size)` may
give the ranking itself ([(pk, total)]: a query kept across requests, core/kept.py):
`kept_ranking` makes one.

With `ahead`, the count stops that many rows past the page's first (`more` then says
there are more): counting a booklet's 10,000 entries was most of its first page's cost,
and "more than 1,000 entries" tells the reader as much.
"""

from collections.abc import Callable

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, QuerySet, Subquery, Window

from relais.core import kept

TOTAL = "relais_total"


def ranking_of(rows: QuerySet, *, at_most: int | None = None) -> QuerySet:
    """(pk, total) of each row of the ordered `rows`: the total in the same walk, of the
    first `at_most` rows only if given (the database stops there)."""
    if at_most is not None:  # counted once, apart: the window would count every row
        return rows.annotate(**{TOTAL: CountOf(rows.values("pk")[:at_most])}).values_list(
            "pk", TOTAL)
    return rows.annotate(**{TOTAL: Window(Count("pk"))}).values_list("pk", TOTAL)


class CountOf(Subquery):
    """How many rows the queryset has (sliced, the database stops there): a subquery
    that names nothing of the outer query, so the database runs it once."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def counted_at_most(bottom: int, ahead: int | None) -> int | None:
    """The rows counted for a page starting at row `bottom`, one more than are shown as
    counted (that one says there are more); None: all."""
    return None if ahead is None else bottom + ahead + 1


def kept_ranking(key: tuple, build: Callable[[kept.Slots], QuerySet], *,
                 ahead: int | None = None, **values) -> Callable[[int, int], list]:
    """`ranked(bottom, size)` for `CountingPaginator` (and the HSDS lists): the ranking of
    the ordered `build(slots)` from row `bottom`, `size` rows, kept across requests per
    page (core/kept.py: `key` names all else the rows are made of, `values` fill slots);
    counted `ahead` rows past `bottom` at most (the paginator's `ahead` too)."""
    def ranked(bottom: int, size: int) -> list:
        at_most = counted_at_most(bottom, ahead)
        return kept.rows((*key, bottom, size, ahead), lambda s: ranking_of(
            build(s), at_most=at_most)[bottom:bottom + size], **values)

    return ranked


class CountingPaginator(Paginator):
    """`object_list` may be a function giving the queryset: with `ranked`, a page within
    the rows never needs it, and building a gated queryset costs milliseconds."""

    def __init__(self, object_list, per_page, fetch=None, ranked=None, ahead=None, **kwargs):
        self._build = object_list if callable(object_list) else lambda: object_list
        super().__init__(None, per_page, **kwargs)
        self.fetch = fetch
        self.ranked = ranked  # (first row, rows) -> [(pk, total)]: a kept query's, say
        self.ahead = ahead  # rows counted past a page's first at most (ahead ≥ per_page)
        self.more = False  # more rows than `count` says

    @property
    def object_list(self):
        if self._built is None:
            self._built = self._build()
            super()._check_object_list_is_ordered()
        return self._built

    @object_list.setter
    def object_list(self, value):  # Paginator.__init__'s None: built when first asked
        self._built = value

    def _check_object_list_is_ordered(self):
        """Django's check, when the queryset is built (`object_list`)."""

    def get_page(self, number):
        number = _page_number(number)
        bottom = (number - 1) * self.per_page
        if self.fetch is None:
            counted = self.object_list.annotate(**{TOTAL: Window(Count("pk"))})
            rows = list(counted[bottom:bottom + self.per_page])
            total = getattr(rows[0], TOTAL) if rows else None
        else:
            at_most = counted_at_most(bottom, self.ahead)
            ranked = (self.ranked(bottom, self.per_page) if self.ranked else list(
                ranking_of(self.object_list, at_most=at_most)[bottom:bottom + self.per_page]))
            total = ranked[0][1] if ranked else None
            if at_most is not None and total is not None and total >= at_most:
                self.more, total = True, at_most - 1
            by_pk = self.fetch([pk for pk, _ in ranked])
            rows = [by_pk[pk] for pk, _ in ranked if pk in by_pk]
        if total is None and self.ranked and not bottom:  # nothing at all: an empty page
            total = 0
        if total is None:  # past the last page, or nothing found: count the usual way
            return super().get_page(number)
        self.__dict__["count"] = total  # fills Paginator.count, a cached_property
        return self._get_page(rows, number, self)

    def page(self, number):
        """Django's page (past the last one, `get_page` gives the last), its rows read
        through `fetch` too: the caller gets the same kind of rows on every page."""
        page = super().page(number)
        if self.fetch is not None:
            pks = [row.pk for row in page.object_list]
            by_pk = self.fetch(pks)
            page.object_list = [by_pk[pk] for pk in pks if pk in by_pk]
        return page


def _page_number(number) -> int:
    try:
        return max(1, int(number))
    except (TypeError, ValueError):
        return 1
