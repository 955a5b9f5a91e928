"""A search's page found from its candidates: the search's own filters choose the rows
through their indexes, in the search's order and with a LIMIT, and the gate is asked
about those rows only, a chunk at a time, until the page (and one more, for the `next`
link) is full or the candidates run out — as the web UI's person search does
(network/search.py). Asking the gate about every row instead means, for a stay or any
row of a person, computing every person the caller may read (100,000 for a home-care
organisation) on each search.

The gate's answer is the same: a type whose rows belong to a person names that person
(`ResourceType.person_field`), and the type's own gate (`visible`) decides about the
chunk's rows with its person questions narrowed to the chunk's persons
(`persons.deciding_among`); a type that answers about its persons more directly says
how (`ResourceType.shown`: Patient asks the gate about the persons themselves).

`total` (docs/fhir.md, "Search"): exact whenever it is given. It is given when every
candidate was put to the gate (a narrow search: an SSIN, a patient's stays), or when the
client asks for `_total=accurate` or `_summary=count` (then counted through the whole
gate, as before: slow on a broad search); otherwise a broad search's Bundle carries no
`total` (FHIR makes it optional, as HAPI does), and `next` says whether more follow.
"""

from dataclasses import dataclass

from relais.access import persons
from relais.core import kept
from relais.interop.fhir.registry import ResourceType

CHUNK = persons.AMONG_AT_MOST
# Candidates put to the gate in chunks, at most; past that (a deep page, or a caller who
# may read few of many candidates) the database finds the visible rows among all the
# candidates itself, still with a LIMIT.
CHUNKS = 4


@dataclass
class Found:
    rows: list  # the page's rows, in the search's order, with what `render` needs
    more: bool  # visible rows follow the page
    total: int | None  # every visible match, when known (see the module's docstring)


def is_served(resource: ResourceType) -> bool:
    """Whether the type's searches find their rows from candidates."""
    return resource.candidates is not None


def page(user, resource: ResourceType, filtered, order, offset: int, count: int) -> Found:
    """The visible rows offset..offset+count of `filtered` (the type's candidates with the
    search's filters, before the gate) in `order`."""
    wanted = offset + count + 1
    candidates = filtered.order_by(*order)
    pks, walked_all = _visible_first(user, resource, candidates, wanted)
    if pks is None:  # too few visible among the first candidates: the database's turn
        pks = list(resource.visible(user).filter(pk__in=candidates.values("pk"))
                   .order_by(*order).values_list("pk", flat=True)[offset:wanted])
        return Found(_load(resource, pks[:count]), len(pks) > count, None)
    shown = pks[offset:offset + count]
    total = len(pks) if walked_all else None
    return Found(_load(resource, shown), len(pks) > offset + count, total)


def visible_among(user, resource: ResourceType, pks) -> list:
    """The rows #pks the gate shows `user` (an `_include`'s targets), in the type's
    order."""
    pks = list(pks)
    rows = resource.candidates().filter(pk__in=pks).order_by(*resource.order)
    keys = list(rows.values_list("pk", *_person(resource)))
    shown = set()
    for start in range(0, len(keys), CHUNK):
        shown |= _shown(user, resource, keys[start:start + CHUNK])
    return _load(resource, [key[0] for key in keys if key[0] in shown])


def _visible_first(user, resource, candidates, wanted: int) -> tuple[list | None, bool]:
    """(the first `wanted` visible candidates' pks, whether every candidate was asked
    about); (None, False) when CHUNKS chunks did not find them."""
    found, start = [], 0
    for size in chunk_sizes(wanted):
        chunk = list(candidates.values_list("pk", *_person(resource))[start:start + size])
        start += size
        shown = _shown(user, resource, chunk)
        found += [key[0] for key in chunk if key[0] in shown]
        if len(chunk) < size:
            return found, True
        if len(found) >= wanted:
            return found, False
    return None, False


def chunk_sizes(wanted: int) -> list[int]:
    """How many candidates each chunk puts to the gate: the first half as many again as
    the page needs (a power of two: few sizes of the gate's statements are kept and
    prepared), the others CHUNK. The gate's questions cost with the number of persons
    asked about: a page of 20 asks about 32 rows first, where it asked about 128."""
    first = min(CHUNK, max(16, 1 << (wanted + wanted // 2 - 1).bit_length()))
    return [first] + [CHUNK] * (CHUNKS - 1)


def _person(resource: ResourceType) -> tuple[str, ...]:
    return (resource.person_field,) if resource.person_field != "pk" else ()


def _shown(user, resource: ResourceType, chunk: list[tuple]) -> set:
    """The pks of the chunk's rows (pk, and person id unless the row is the person) that
    the type's gate shows `user`."""
    if not chunk:
        return set()
    pks = [key[0] for key in chunk]
    if resource.shown is not None:
        return resource.shown(user, pks)
    person_ids = {key[-1] for key in chunk if key[-1] is not None}
    with persons.deciding_among(person_ids):
        return set(resource.visible(user).filter(pk__in=pks).values_list("pk", flat=True))


def _load(resource: ResourceType, pks: list) -> list:
    """The rows #pks, which the gate has just shown, in that order, with what `render`
    needs."""
    if not pks:
        return []
    by_pk = kept.by_pks(("fhir.load", resource.name),
                        lambda ids: resource.candidates().filter(pk__in=ids), pks)
    return [by_pk[pk] for pk in pks if pk in by_pk]
