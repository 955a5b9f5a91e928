"""Directory search: one box, accent- and case-insensitive in NL, FR and EN, ranked.

Every service keeps `search_text`: the folded words (core.text.fold) of its names,
descriptions, how-to-refer texts, category (label in three languages and the words people
type for it), organisation, and the places it serves in French and Dutch. A query is
folded the same way, so "Schaarbeek", "SCHAERBEEK" and "soins à domicile" all match.

PostgreSQL answers with full-text search over that text (a GIN index, prefix matching on
each word); SQLite, which has no such index, checks each word as a substring. Both rank
the same way: a word found in the service's name counts most, then its category words.
"""

from contextlib import ExitStack, contextmanager

from django.db import connection, connections
from django.db.models import BooleanField, Case, CharField, F, IntegerField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils import translation

from relais.core.text import fold
from relais.directory.models import CATEGORY_WORDS, Category, Service

LANGUAGES = ("nl", "fr", "en")


def search_text_of(service: Service) -> str:
    parts = [
        service.name_nl, service.name_fr, service.name_en, service.description_nl,
        service.description_fr, service.description_en, service.how_to_refer_nl,
        service.how_to_refer_fr, service.how_to_refer_en, service.eligibility,
        service.organisation.name, CATEGORY_WORDS.get(service.category, ""),
        *_category_labels(service.category), *_places(service),
    ]
    words = fold(" ".join(p for p in parts if p)).split()
    return " ".join(dict.fromkeys(words))  # each word once, in first-seen order


def _category_labels(category: str) -> list[str]:
    labels = []
    for language in LANGUAGES:
        with translation.override(language):
            labels.append(str(Category(category).label))
    return labels


def _places(service: Service) -> list[str]:
    if service.pk is None:
        return []
    names = []
    for municipality in service.municipalities.all():
        names += [municipality.name_fr, municipality.name_nl]
    for zone in service.care_zones.all():
        names += [zone.name_fr, zone.name_nl, zone.name_en]
    return names


def name_search_of(service: Service) -> str:
    return fold(" ".join(n for n in (service.name_nl, service.name_fr, service.name_en) if n))


def fill_search_fields(service: Service) -> None:
    service.search_text = search_text_of(service)
    service.name_search = name_search_of(service)


def refresh_search_text(service: Service) -> None:
    """Call after the service or its areas change (bulk loaders call it too)."""
    fill_search_fields(service)
    Service.objects.filter(pk=service.pk).update(search_text=service.search_text,
                                                 name_search=service.name_search)


def words_of(query: str) -> list[str]:
    return fold(query).split()


def tsquery_of(words: list[str]) -> str:
    """PostgreSQL's full-text query for `words`: each a prefix, all of them."""
    return " & ".join(f"{w}:*" for w in words)


@contextmanager
def planned_for_its_words():
    """A search's statements, on PostgreSQL, planned at each run for the words it was
    given, never prepared. psycopg prepares a statement at its fifth run on a connection
    (settings: server-side binding), and PostgreSQL then keeps one generic plan for every
    word, which cannot know that one word matches 300 services and another 5,000: at
    50,000 services a generic plan took 31 ms where the word's own took 8
    (bench/directory_search.py: p95 42 → 23 ms). Planning it costs 0.2 ms."""
    with ExitStack() as stack:
        for database in connections.all():
            if database.vendor == "postgresql":
                stack.enter_context(database.execute_wrapper(_unprepared))
        yield


def _unprepared(execute, sql, params, many, context):
    if many or params is None:
        return execute(sql, params, many, context)
    # Django's own last step (backends.utils.CursorWrapper._execute), with psycopg told
    # not to prepare: there is no other way to say it through a queryset.
    database = context["connection"]
    database.validate_no_broken_transaction()
    with database.wrap_database_errors:
        return context["cursor"].cursor.execute(sql, params, prepare=False)


def matching(queryset, query: str):
    """Services matching every word of `query`, best first."""
    words = words_of(query)
    if not words:
        return queryset
    return matching_words(queryset, words, tsquery_of(words))


def matching_words(queryset, words: list, tsquery):
    """`matching` for the folded `words` and their `tsquery`: each is one parameter of
    the SQL, so they may be a kept query's stand-ins (core/kept.py)."""
    if connection.vendor == "postgresql":
        queryset = _full_text(queryset, tsquery)
    else:
        for word in words:
            queryset = queryset.filter(_has(F("search_text"), word))
    return queryset.annotate(relevance=_relevance(words)).order_by("-relevance", "name_fr",
                                                                   "name_nl", "pk")


def _full_text(queryset, tsquery):
    # The vector stored with the row and its GIN index (directory migration 0006): not a
    # model field, as SQLite has no such column.
    return queryset.filter(RawSQL(
        "\"directory_service\".\"search_vector\" @@ to_tsquery('simple'::regconfig, %s)",
        [tsquery], output_field=BooleanField()))


def _has(text, word) -> GreaterThan:
    """`word` is within `text` (as `__contains`, with the word as the parameter itself:
    folded text has no capitals, so SQLite's INSTR and LIKE agree)."""
    return GreaterThan(StrIndex(text, Value(word)), 0)


def _category_words():
    """Each service's category words (models.CATEGORY_WORDS) in SQL."""
    return Case(*(When(category=category, then=Value(text))
                  for category, text in CATEGORY_WORDS.items()),
                default=Value(""), output_field=CharField())


def _relevance(words):
    """Name words weigh 3, category words 2, anything else 1: portable SQL, no extension."""
    score = Value(0)
    for word in words:
        score = score + Case(When(_has(F("name_search"), word), then=Value(3)),
                             When(_has(_category_words(), word), then=Value(2)),
                             default=Value(1), output_field=IntegerField())
    return score
