"""CountingPaginator: the same pages as Django's Paginator, in fewer queries."""

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.utils import translation

from relais.core.models import Municipality
from relais.core.pagination import CountingPaginator

pytestmark = pytest.mark.django_db


def municipalities():
    return Municipality.objects.order_by("-name_fr")  # the 19 loaded by migration


def names(page):
    return [m.name_fr for m in page]


@pytest.mark.parametrize("fetch", [None, lambda pks: Municipality.objects.in_bulk(pks)])
@pytest.mark.parametrize("number", [1, 2, 4, "x", None, 99])
def test_pages_match_djangos(number, fetch):
    ours = CountingPaginator(municipalities(), 5, fetch=fetch).get_page(number)
    theirs = Paginator(municipalities(), 5).get_page(number)
    assert names(ours) == names(theirs)  # the order survives the two-step fetch
    assert (ours.number, ours.paginator.count) == (theirs.number, 19)


def test_a_page_costs_one_query_or_two_with_fetch(django_assert_num_queries):
    with django_assert_num_queries(1):
        page = CountingPaginator(municipalities(), 5).get_page(2)
        assert page.paginator.num_pages == 4 and len(names(page)) == 5
    with django_assert_num_queries(2):
        page = CountingPaginator(municipalities(), 5, fetch=lambda pks: Municipality.objects
                                 .in_bulk(pks)).get_page(2)
        assert page.paginator.num_pages == 4 and len(names(page)) == 5


def test_a_given_ranking_is_used_instead_of_the_queryset(django_assert_num_queries):
    """`ranked` (a kept query, say) ranks the page; the queryset is not asked."""
    ranking = list(municipalities().values_list("pk", flat=True))
    expected = names(Paginator(municipalities(), 5).get_page(2))

    def ranked(first, size):
        return [(pk, len(ranking)) for pk in ranking[first:first + size]]

    with django_assert_num_queries(1):  # the fetch only
        page = CountingPaginator(municipalities(), 5, ranked=ranked,
                                 fetch=Municipality.objects.in_bulk).get_page(2)
        assert names(page) == expected and page.paginator.count == 19


def test_an_empty_ranking_is_an_empty_first_page_without_counting(django_assert_num_queries):
    with django_assert_num_queries(0):
        page = CountingPaginator(municipalities(), 5, ranked=lambda first, size: [],
                                 fetch=Municipality.objects.in_bulk).get_page(1)
        assert (page.number, page.paginator.count, list(page)) == (1, 0, [])


def test_nothing_found_is_an_empty_first_page():
    page = CountingPaginator(Municipality.objects.none(), 5).get_page(3)
    assert (page.number, page.paginator.count, list(page)) == (1, 0, [])


@pytest.mark.parametrize("number", [1, 2, 4, 99])
def test_a_kept_ranking_gives_djangos_pages_and_is_built_once(number):
    from relais.core import kept
    from relais.core.pagination import kept_ranking

    kept.forget()
    built = []

    def build(s):
        built.append(s)
        return Municipality.objects.filter(pk__gt=s.floor).order_by("-name_fr")

    for _ in range(2):
        ranked = kept_ranking(("test.municipalities",), build, floor=0)
        ours = CountingPaginator(municipalities, 5, ranked=ranked, fetch=lambda pks: (
            Municipality.objects.in_bulk(pks))).get_page(number)
        theirs = Paginator(municipalities(), 5).get_page(number)
        assert names(ours) == names(theirs)
        assert (ours.number, ours.paginator.count) == (theirs.number, 19)
    assert len(built) == 1  # the second visit ran the kept statement


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
@pytest.mark.parametrize("number", [1, 7, 40])
@pytest.mark.parametrize("more", [False, True])
@pytest.mark.parametrize("query", ["", "q=Öz&kind=alert"])
def test_the_jinja2_pages_say_their_pages_as_the_django_partial_does(language, number, more,
                                                                     query):
    paginator = Paginator(range(1000), 25)
    paginator.more = more
    values = {"page": paginator.page(number), "query": query}
    with translation.override(language):
        django_html = engines["django"].get_template("partials/pagination.html").render(values)
        jinja_html = engines["jinja2"].get_template("partials/pagination.jinja").render(values)
    # The same HTML, but that Jinja2 escapes the apostrophe of Dutch's "Pagina's" in the
    # label, where Django's {% translate %} prints the translation as it is.
    assert jinja_html.strip().replace("&#39;", "'") == django_html.strip()
    assert ("rel=\"prev\"" in jinja_html) == (number > 1)
    assert ("rel=\"next\"" in jinja_html) == (number < 40)
