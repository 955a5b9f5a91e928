"""Links written from a learnt shape (core/reversing.py, and `{% url %}` through it) are
exactly Django's `reverse()`, for every named URL of Relais."""

import uuid

import pytest
from django.template import Context, Engine, Template
from django.urls import NoReverseMatch, URLResolver, get_resolver, path, re_path
from django.urls import reverse as django_reverse
from django.urls.converters import UUIDConverter

from relais.core import reversing


def named_urls(resolver=None, namespace=""):
    """(name with its namespaces, {argument: converter}) for every named pattern."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            prefix = pattern.pattern.converters
            for name, converters in named_urls(pattern, inner):
                yield name, {**prefix, **converters}
        elif pattern.name:
            yield namespace + pattern.name, pattern.pattern.converters


URLS = sorted({name: converters for name, converters in named_urls()}.items())


def test_relais_has_many_named_urls_with_whole_number_arguments():
    with_numbers = [name for name, converters in URLS if converters]
    assert len(URLS) > 150 and len(with_numbers) > 60


@pytest.mark.parametrize("values", [(0, 1), (7, 42), (123456789, 5), (9_087_654_321, 3)])
def test_every_named_url_is_written_as_django_writes_it(values):
    reversing.forget()
    compared = 0
    for name, converters in URLS:
        if any(isinstance(c, UUIDConverter) for c in converters.values()):
            continue
        kwargs = {arg: values[n % 2] + n for n, arg in enumerate(sorted(converters))}
        try:
            expected = django_reverse(name, kwargs=kwargs)
        except NoReverseMatch:  # a regular expression's groups (the admin's): refused alike
            with pytest.raises(NoReverseMatch):
                reversing.reverse(name, kwargs=kwargs)
            continue
        assert reversing.reverse(name, kwargs=kwargs) == expected, name
        assert reversing.reverse(name, kwargs=kwargs) == expected, name  # from the shape
        if len(converters) == 1:  # positional, as most templates write it
            assert reversing.reverse(name, args=list(kwargs.values())) == expected, name
        compared += 1
    assert compared > 150


def test_a_writer_writes_each_rows_link_as_django_does():
    reversing.forget()
    one_argument = [name for name, converters in URLS if len(converters) == 1
                    and not isinstance(next(iter(converters.values())), UUIDConverter)]
    for name in one_argument:
        try:
            expected = [django_reverse(name, args=[pk]) for pk in (0, 7, 123456789)]
        except NoReverseMatch:
            continue
        assert [reversing.writer(name)(pk) for pk in (0, 7, 123456789)] == expected, name
    assert len(one_argument) > 50


def test_what_is_not_a_whole_number_goes_to_django():
    name, converters = next((n, c) for n, c in URLS if len(c) == 1
                            and not isinstance(next(iter(c.values())), UUIDConverter))
    for odd in ("12", "x y", -3, True):
        try:
            expected = django_reverse(name, args=[odd])
        except Exception as error:  # noqa: BLE001 - the same refusal is expected
            with pytest.raises(type(error)):
                reversing.reverse(name, args=[odd])
        else:
            assert reversing.reverse(name, args=[odd]) == expected


def _view(request, **kwargs):
    raise AssertionError("never called")


urlpatterns = [  # this module is the URL configuration of the test below
    path("card/<uuid:key>/", _view, name="by_uuid"),
    re_path(r"^year/(?P<year>[0-9]{4})/$", _view, name="by_year"),
    path("persons/<int:pk>/members/<int:member>/", _view, name="two"),
]


def test_a_url_the_sentinels_do_not_fit_is_left_to_django(settings):
    settings.ROOT_URLCONF = __name__
    reversing.forget()
    key = uuid.UUID(int=5)
    assert reversing.reverse("by_uuid", args=[key]) == django_reverse("by_uuid", args=[key])
    # Four digits only: the sentinels do not fit, Django's reverse writes it (and refuses
    # what does not fit, as it would).
    assert reversing.reverse("by_year", args=[2026]) == "/year/2026/"
    assert "unfit" in reversing._shapes.values()
    with pytest.raises(NoReverseMatch):
        reversing.reverse("by_year", args=[12345])
    assert reversing.reverse("two", args=[3, 40]) == "/persons/3/members/40/"
    assert reversing.reverse("two", kwargs={"member": 1, "pk": 22}) == "/persons/22/members/1/"


def test_the_url_tag_writes_the_same_links_as_djangos():
    """Through the engine Relais configures (its `url` replaces Django's) and through a
    plain engine with Django's own tag: the same text, escaped the same way."""
    from django.template import engines

    source = ("{% url 'network:person_detail' pk %}|{% url 'network:member_edit' 3 %}|"
              "{% url 'directory:service_search' as search %}{{ search }}|"
              "{% url 'network:person_detail' 'x&y' as missing %}[{{ missing }}]")
    relais_engine = engines["django"].engine
    assert "LearntURLNode" in repr(relais_engine.from_string(source).nodelist)
    context = {"pk": 12}
    ours = relais_engine.from_string(source).render(Context(context))
    djangos = Template(source, engine=Engine()).render(Context(context))
    assert ours == djangos
    assert "/12/" in ours
