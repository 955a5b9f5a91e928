"""The envelopes around what a resource type renders: the resource's id and meta, the
searchset Bundle with its paging links."""

import hashlib
import json
from urllib.parse import urlencode

from relais.interop.fhir.outcome import fhir_strings, issue, operation_outcome
from relais.interop.fhir.registry import ResourceType


def as_resource(resource: ResourceType, obj) -> dict:
    """The resource with its id and meta: the row's version where it has one, else a
    digest of the content (it changes exactly when what is served does). Its strings are
    valid FHIR strings (a French no-break space served as a space)."""
    body = fhir_strings(resource.render(obj))
    version = resource.version_of(obj)
    detail = resource.version_detail(obj) if resource.version_detail else ""
    meta = {"versionId": (f"{version}-{detail}" if detail else str(version))
            if version is not None else digest(body),
            "profile": [resource.profile]}
    updated = resource.last_updated(obj)
    if updated is not None:
        meta["lastUpdated"] = updated.isoformat(timespec="milliseconds")
    return {"resourceType": resource.name, "id": resource.id_of(obj), "meta": meta, **body}


def digest(body: dict) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def searchset(base: str, resource: ResourceType, search, total: int | None, rows: list,
              warnings: list[str], included: list[dict] = (), *, more: bool) -> dict:
    """The searchset Bundle: `total` when known (None: left out, FHIR allows it), a
    `next` link when `more` visible rows follow the page."""
    bundle = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    bundle["link"] = _links(base, resource, search, more)
    entries = [entry(base, row, "match") for row in rows]
    entries += [entry(base, row, "include") for row in included]
    if warnings:
        entries.append({"resource": operation_outcome(*(issue("warning", "not-supported", w)
                                                        for w in warnings)),
                        "search": {"mode": "outcome"}})
    if entries:
        bundle["entry"] = entries
    return bundle


def entry(base: str, document: dict, mode: str) -> dict:
    return {"fullUrl": f"{base}{document['resourceType']}/{document['id']}",
            "resource": document, "search": {"mode": mode}}


def _links(base: str, resource: ResourceType, search, more: bool) -> list[dict]:
    links = [{"relation": "self", "url": _page_url(base, resource, search, search.offset)}]
    if search.only_count:
        return links
    following = search.offset + search.count
    if search.count and more:
        links.append({"relation": "next",
                      "url": _page_url(base, resource, search, following)})
    if search.offset:
        previous = max(search.offset - max(search.count, 1), 0)
        links.append({"relation": "previous",
                      "url": _page_url(base, resource, search, previous)})
    return links


def _page_url(base: str, resource: ResourceType, search, offset: int) -> str:
    """The search as the server understood it: the parameters it used, the page."""
    query = list(search.used)
    if search.only_count:
        query.append(("_summary", "count"))
    else:
        query += [("_count", str(search.count)), ("_offset", str(offset))]
    return f"{base}{resource.name}?{urlencode(query)}"
