"""Lists as the HSDS API reference pages them, or streamed whole as NDJSON.

A page: {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
"empty", "contents"}. A page past the last one is an empty page (its rows are not asked
for), not an error: a client that walks pages stops at `last_page`. A page costs a count
and one query for its rows, plus the prefetches its records need, however long it is.

`format=ndjson`, as the OpenAPI describes it, streams every record, one JSON object a
line, without paging: rows are read in chunks (each with its prefetches), so memory and
queries grow with chunks, not records.
"""

import json
import math

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import JsonResponse, StreamingHttpResponse

CHUNK = 500


def page_of(rows, values: dict, record) -> JsonResponse | StreamingHttpResponse:
    """The `page` of `rows` (a queryset or a list) asked for, each row as `record`."""
    if values.get("format") == "ndjson":
        return _streamed(rows, record)
    per_page, number = values["per_page"], values["page"]
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    pages = math.ceil(total / per_page)
    start = (number - 1) * per_page
    contents = [record(row) for row in rows[start:start + per_page]] if number <= pages else []
    return _page(contents, total, per_page, number)


def ranked_page(values: dict, ranked, fetch, count, record) -> JsonResponse:
    """The `page` asked for, from `ranked(start, size)` ([(pk, total)], best first),
    `fetch(pks)` ({pk: row}) and `count()` (only for a page past the last one)."""
    per_page, number = values["per_page"], values["page"]
    start = (number - 1) * per_page
    ranking = ranked(start, per_page)
    total = ranking[0][1] if ranking else (count() if start else 0)
    by_pk = fetch([pk for pk, _ in ranking])
    contents = [record(by_pk[pk]) for pk, _ in ranking if pk in by_pk]
    return _page(contents, total, per_page, number)


def _page(contents: list, total: int, per_page: int, number: int) -> JsonResponse:
    pages = math.ceil(total / per_page)
    return JsonResponse({
        "total_items": total, "total_pages": pages, "page_number": number,
        "size": len(contents), "first_page": number == 1, "last_page": number >= pages,
        "empty": total == 0, "contents": contents,
    })


def _streamed(rows, record) -> StreamingHttpResponse:
    items = rows.iterator(chunk_size=CHUNK) if isinstance(rows, QuerySet) else iter(rows)
    lines = (json.dumps(record(row), cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"
             for row in items)
    return StreamingHttpResponse(lines, content_type="application/x-ndjson")
