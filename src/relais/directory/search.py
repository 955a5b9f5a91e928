"""Directory search: one box, accent- and case-insensitive in NL, FR and EN, ranked.

Every service keeps `search_text`: the folded words (core.text.fold) of its names,
descriptions, how-to-refer texts, category (label in three languages and the words people
type for it), organisation, and the places it serves in French and Dutch. A query is
folded the same way, so "Schaarbeek", "SCHAERBEEK" and "soins à domicile" all match.

PostgreSQL answers with full-text search over that text (a GIN index, prefix matching on
each word); SQLite, which has no such index, checks each word as a substring. Both rank
the same way: a word found in the service's name counts most, then its category words.
"""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
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


def matching(queryset, query: str):
    """Services matching every word of `query`, best first."""
    words = words_of(query)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        queryset = _full_text(queryset, words)
    else:
        for word in words:
            queryset = queryset.filter(search_text__contains=word)
    return queryset.annotate(relevance=_relevance(words)).order_by("-relevance", "name_fr",
                                                                   "name_nl", "pk")


def _full_text(queryset, words):
    # The same expression as the GIN index (directory migration 0002), so the index answers.
    vector = SearchVector("search_text", config="simple")
    query = SearchQuery(" & ".join(f"{w}:*" for w in words), search_type="raw",
                        config="simple")
    return queryset.annotate(search_vector=vector).filter(search_vector=query)


def _relevance(words):
    """Name words weigh 3, category words 2, anything else 1: portable SQL, no extension."""
    score = Value(0)
    for word in words:
        in_name = Q(name_search__contains=word)
        in_category = Q(category__in=[c for c, text in CATEGORY_WORDS.items() if word in text])
        score = score + Case(When(in_name, then=Value(3)), When(in_category, then=Value(2)),
                             default=Value(1), output_field=IntegerField())
    return score
