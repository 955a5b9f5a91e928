"""`_include` and `_revinclude`: the resources a page's rows point at, and the rows that
point at them. Written from the search parameters: a reference parameter that names its
`target` can be rev-included, and followed forward when it also says which ids a row
points at (`refs`). Whatever is included is read through its own type's gate (a hospital
that sees its stay does not see the person by that alone) and audited as a search of
that type. `:iterate` follows the same from what was included too (a search's stays,
their patients, those patients' GPs), at most MAX_ROUNDS times; `*` is not supported.
A type searched from candidates (candidates.py) has its gate asked about the included
rows only.
"""

from dataclasses import dataclass

from relais.access import policy
from relais.core import kept
from relais.interop.fhir import candidates, registry
from relais.interop.fhir.registry import ResourceType, SearchParam

# At most this many rows per _revinclude (a page of patients with all their stays is far
# fewer); the rest is left out rather than make one search unbounded.
MAX_REVINCLUDED = 500
# `:iterate` follows what it found again, this many times at most (HAPI FHIR's default).
MAX_ROUNDS = 3
POINTED_AT = 100  # a search's page at most (MAX_COUNT)


@dataclass(frozen=True)
class Include:
    source: ResourceType  # the type whose search parameter it is
    param: SearchParam
    reverse: bool
    to: str = ""  # the type pointed at (a reference may point at several)
    iterate: bool = False  # also from what was included (`_include:iterate`)

    @property
    def target(self) -> ResourceType | None:
        return self.source if self.reverse else registry.TYPES.get(self.to)

    def refs(self, row) -> list:
        return self.param.targets()[self.to](row)


def include_names(resource: ResourceType) -> list[str]:
    return [f"{resource.name}:{p.name}" for p in resource.search_params
            if any(name in registry.TYPES and refs for name, refs in p.targets().items())]


def revinclude_names(resource: ResourceType) -> list[str]:
    return [f"{other.name}:{p.name}" for other in registry.TYPES.values()
            for p in other.search_params if resource.name in p.targets()]


def read_include(resource: ResourceType, value: str, *, reverse: bool,
                 iterate: bool = False) -> list[Include]:
    """`Encounter:patient` (or `Encounter:patient:Patient`) as the Includes of a search of
    `resource` (one per type a reference may point at, unless one is named), or none
    when this server cannot follow it. Iterated, it may start from any type served."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or parts[0] not in registry.TYPES:
        return []
    source = registry.TYPES[parts[0]]
    param = source.param(parts[1])
    targets = param.targets() if param is not None else {}
    named = parts[2:] or list(targets)
    if not targets or any(name not in targets for name in named):
        return []
    if reverse:
        pointed = [name for name in named if name in registry.TYPES
                   and (iterate or name == resource.name)]
        return [Include(source, param, True, name, iterate) for name in pointed]
    if source is not resource and not iterate:
        return []
    followed = [name for name in named if targets[name] and name in registry.TYPES]
    return [Include(source, param, False, name, iterate) for name in followed]


def gather(user, resource: ResourceType, page: list, wanted: list[Include]) -> list[tuple]:
    """(type, row) of each resource included, once each, never one of the page's own:
    first from the page, then (`:iterate`) from the page and what was included, until a
    round adds nothing."""
    seen = {(resource.name, resource.id_of(row)) for row in page}
    found = []
    pool = {resource.name: list(page)}  # the rows of each type, to iterate from
    followed: dict[Include, int] = {}  # how many of its starting rows each has followed

    def follow(include: Include) -> bool:
        start = include.to if include.reverse else include.source.name
        rows = pool.get(start, [])[followed.get(include, 0):]  # the new ones only
        followed[include] = len(pool.get(start, []))
        if not rows:
            return False
        if include.reverse:
            rows = _reverse(user, registry.TYPES[start], rows, include)
        else:
            rows = _forward(user, rows, include)
        added = False
        for row in rows:
            key = (include.target.name, include.target.id_of(row))
            if key not in seen:
                seen.add(key)
                found.append((include.target, row))
                pool.setdefault(include.target.name, []).append(row)
                added = True
        return added

    for include in wanted:
        if not include.iterate:
            follow(include)
    iterated = [include for include in wanted if include.iterate]
    for _round in range(MAX_ROUNDS if iterated else 0):
        if not any([follow(include) for include in iterated]):
            break
    _audit(user, found)
    return found


def _forward(user, page: list, include: Include) -> list:
    target = include.target
    ids = {pk for row in page for pk in include.refs(row) if pk is not None}
    if target is None or not ids:
        return []
    vouched = _vouched(include, page, ids)
    ids -= {row.pk for row in vouched}
    return vouched + _through_the_gate(user, target, ids) if ids else vouched


def _vouched(include: Include, page: list, ids: set) -> list:
    """The targets the page's persons vouch for: a Patient page's rows passed the gate,
    so the members of their networks are what the caller may read of them (the network
    rule: the members of the persons one sees)."""
    target = include.target
    if include.source.name != "Patient" or target.vouched is None:
        return []
    persons = {f"person{n}": row.pk for n, row in enumerate(page)}
    return kept.among(  # compiled once per number of ids and of persons
        ("fhir.vouched", target.name), lambda s, pks: target.vouched(
            pks, [getattr(s, name) for name in persons]).order_by(*target.order),
        sorted(ids), **persons)


def _through_the_gate(user, target: ResourceType, ids: set) -> list:
    if candidates.is_served(target):
        return candidates.visible_among(user, target, ids)
    return list(target.visible(user).filter(pk__in=ids).order_by(*target.order))


def _reverse(user, resource: ResourceType, page: list, include: Include) -> list:
    """The rows pointing at the page's, at most MAX_REVINCLUDED, asked about POINTED_AT
    rows at a time (an iteration's pool can be hundreds: one condition each)."""
    found = []
    for start in range(0, len(page), POINTED_AT):
        chunk = page[start:start + POINTED_AT]
        found += _pointing_at(user, resource, chunk, include, MAX_REVINCLUDED - len(found))
        if len(found) >= MAX_REVINCLUDED:
            break
    return found


def _pointing_at(user, resource: ResourceType, page: list, include: Include,
                 at_most: int) -> list:
    pointing = ",".join(f"{resource.name}/{resource.id_of(row)}" for row in page)
    source = include.source
    if candidates.is_served(source):
        pointed = include.param.apply(source.candidates(), pointing, "")
        return candidates.page(user, source, pointed, source.order, 0, at_most).rows
    rows = include.param.apply(source.visible(user), pointing, "")
    return list(rows.order_by(*source.order)[:at_most])


def _audit(user, found: list[tuple]) -> None:
    by_type: dict[str, tuple[ResourceType, list]] = {}
    for target, row in found:
        by_type.setdefault(target.name, (target, []))[1].append(row)
    for target, rows in by_type.values():
        if target.search_action:
            policy.record_list_read(user, target.search_action,
                                    [target.person_of(row) for row in rows])
