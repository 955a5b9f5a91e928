"""Finding persons: candidates by index first, the gate on as few as fill the page.

A broad search ("dupo" among 100,000 persons the user may see) used to ask the gate about
every candidate row (three correlated EXISTS each) to count them all, then again for the
page. Here the name (or birth date, or national number) chooses the candidates through
its indexes, in the list's order and with a LIMIT, and the gate is asked only about
those, a chunk at a time: enough to fill the pages a person would look through
(`SHOWN_AT_MOST`). Past that the count reads "more than 100": a broader list is not read,
it is narrowed. The gate's answer is exact: what it does not show is never listed or
counted, exclusions included. When few candidates are visible (a user who sees few of
many namesakes), the database is asked for the visible ones among all candidates, still
with a LIMIT.
"""

from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Q
from django.utils.formats import get_format

from relais.access import decisions
from relais.access.persons import (
    CANDIDATES_FOR_WORDS_AT_MOST,
    candidate_person_ids,
    persons_among,
    visible_persons,
)
from relais.core import kept
from relais.core.sql import AnyOf
from relais.core.text import is_digits
from relais.network.models import Person, name_key
from relais.network.validators import compact_niss

ORDER_KEPT_SECONDS = 120  # _first_in_order
SHOWN_AT_MOST = 100  # visible matches listed (4 pages) and counted; beyond, "more than 100"
# Candidates the gate is asked about in one query. PostgreSQL probes each row's grants
# with its indexes up to about 150 rows; from about 200 it reads every network member and
# consent into a hash instead (250 ms at 100,000 persons): ask in chunks.
CHUNK = 125
CHUNKS = 4  # then, if still too few are visible, the database looks through the rest
# A search's order: by the name's key (case and accents folded), which the prefix indexes
# do not sort: PostgreSQL then reads the few matching rows and sorts them, instead of
# walking the whole table in name order looking for matches. The list without a search
# walks Person's ordering (by name, through its index).
SEARCH_ORDER = ("last_name_key", "first_name_key", "birth_date", "pk")
LIST_ORDER = ("last_name", "first_name", "birth_date", "pk")


class SearchPage(Page):
    """A page of the search, whose paginator knows whether more matched than it holds."""

    @property
    def more(self) -> bool:
        return self.paginator.more


class SearchPaginator(Paginator):
    def __init__(self, pks: list[int], per_page: int, *, more: bool):
        super().__init__(pks, per_page)
        self.more = more

    def _get_page(self, *args, **kwargs):
        return SearchPage(*args, **kwargs)


def search_persons(user, query: str, number, *, per_page: int) -> SearchPage:
    """The page `number` of the persons `user` may read that match `query` (all of them
    when empty), in the list's order; at most `SHOWN_AT_MOST` are counted."""
    candidates = _candidates(user, query)
    pks = _visible_first(user, candidates, _first_in_order(user, query, candidates),
                         SHOWN_AT_MOST + 1)
    paginator = SearchPaginator(pks[:SHOWN_AT_MOST], per_page, more=len(pks) > SHOWN_AT_MOST)
    page = paginator.get_page(number)
    # The page's rows, by the keys the gate has just let through in this request, from a
    # statement kept across requests (built and compiled anew, in_bulk cost a third of the
    # list's Python).
    by_pk = kept.by_pks(("network.list_rows",), lambda ids: Person.objects.select_related(
        "municipality").filter(pk__in=ids), page.object_list)
    page.object_list = [by_pk[pk] for pk in page.object_list if pk in by_pk]
    return page


def _candidates(user, query: str):
    """The persons matching `query` (all when empty) that a grant may show the user
    (their networks, their hospitals' stays, their organisations' referrals:
    `candidate_person_ids`, found from their side), in the list's order. A coordinator
    may read 4,000 persons of a region's million: walked in name order, the whole table
    held about 250 others for each one shown, every one asked of the gate (170 ms for the
    list at 300,000 persons, growing with the region)."""
    if query:
        candidates, order = Person.objects.filter(search_filter(query)), SEARCH_ORDER
        ids = candidate_person_ids(user, at_most=CANDIDATES_FOR_WORDS_AT_MOST)
    else:
        candidates, order = Person.objects.all(), LIST_ORDER
        ids = candidate_person_ids(user)
    if ids is None:
        return candidates.order_by(*order)
    candidates = candidates.filter(AnyOf(F("pk"), ids))
    if query:  # its words' indexes find few rows, then sorted
        return candidates.order_by(*order)
    # The whole list: NULLS FIRST on a column that has no NULL is the same order, which
    # the name index does not give, so PostgreSQL reads the candidates by id and sorts
    # them rather than walk the index past everyone else's (a hospital's 8,600 at a
    # million: 59 → 35 ms).
    first, *rest = order
    return candidates.order_by(F(first).asc(nulls_first=True), *rest)


def _first_in_order(user, query: str, candidates) -> list[int]:
    """The pks of the first CHUNK × CHUNKS candidates, in the list's order. Without a
    search, for a user whose candidates are listed (`candidate_person_ids`), the order
    of those candidates is kept a while in this process: sorting a coordinator's 4,200
    by name was a quarter of the list's time, at every page and every return to it. The
    key is the set of candidates itself, so a person who joins or leaves them is placed
    at once; a renamed person keeps their old place for ORDER_KEPT_SECONDS at most. The
    gate is asked at every request all the same: the order shows no one."""
    def read() -> list[int]:
        return list(candidates.values_list("pk", flat=True)[:CHUNK * CHUNKS])

    ids = None if query else candidate_person_ids(user)  # remembered for the request
    if ids is None:
        return read()
    key = ("network.list_order", user.pk, len(ids), hash(tuple(ids)))
    first = decisions.known_lately(key)
    if first is None:
        first = read()
        decisions.keep_a_while(key, first, ORDER_KEPT_SECONDS)
    return first


def _visible_first(user, candidates, first: list[int], wanted: int) -> list[int]:
    """The first `wanted` candidates' pks that the gate shows `user`, in order: the gate
    asked about the `first` candidates, a chunk at a time; about all of them (by the
    database, with a LIMIT) only if too few of those were visible."""
    found = []
    for start in range(0, len(first), CHUNK):
        chunk = first[start:start + CHUNK]
        shown = persons_among(user, "visible", Person.objects.all(), chunk)
        found += [pk for pk in chunk if pk in shown]
        if len(found) >= wanted:
            return found[:wanted]
    if len(first) < CHUNK * CHUNKS:  # every candidate asked about
        return found
    return list(visible_persons(user, candidates).values_list("pk", flat=True)[:wanted])


# --- what the words match ---------------------------------------------------------------


def search_filter(query: str) -> Q:
    """A NISS, a birth date (as pages show it, 31/12/1941, or as forms accept it:
    31-12-1941, 31.12.1941, 1941-12-31), or words of the name."""
    digits = compact_niss(query)
    if len(digits) == 11 and is_digits(digits):
        return Q(niss=digits)
    for pattern in get_format("DATE_INPUT_FORMATS"):
        try:
            return Q(birth_date=datetime.strptime(query, pattern).date())
        except ValueError:
            continue
    return name_filter(name_key(query).split())


def name_filter(words: list[str]) -> Q:
    """Each word starts the first name, the surname or the last part of a compound surname
    ("broeck" finds Van den Broeck), or the words together start the surname ("van den"),
    possibly after or before the first name. Accents and case do not matter. Prefixes only,
    so that the indexes answer: a substring search would read every row."""
    if not words:
        return Q()
    starts = [prefix("first_name_key", w) | prefix("last_name_key", w)
              | prefix("surname_tail_key", w) for w in words]
    phrase = prefix("last_name_key", " ".join(words))
    for split in range(1, len(words)):
        head, tail = " ".join(words[:split]), " ".join(words[split:])
        phrase |= prefix("first_name_key", head) & prefix("last_name_key", tail)
        phrase |= prefix("last_name_key", head) & prefix("first_name_key", tail)
    # Every match starts a key with the first word: saying so first lets the indexes
    # narrow the rows before the rest is checked.
    rest = Q()
    for condition in starts[1:]:
        rest &= condition
    return starts[0] & (rest | phrase) if len(words) > 1 else starts[0] | phrase


def prefix(field: str, start: str) -> Q:
    """`field` starts with `start`, in a form the database's index can answer.

    PostgreSQL uses its pattern index for LIKE 'x%'. SQLite's LIKE ignores case and so
    cannot use an index; the keys are lowercase ASCII, so a range in byte order is the
    same test and uses the index.
    """
    if connection.vendor != "sqlite":
        return Q(**{f"{field}__startswith": start})
    after = start[:-1] + chr(ord(start[-1]) + 1)
    return Q(**{f"{field}__gte": start, f"{field}__lt": after})


