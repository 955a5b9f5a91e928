"""The chrome kept per shape of page (core/chrome.py): each user's page is the page the
chrome's templates render for them, though the HTML was kept from another user's."""

import re

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse
from jinja2 import meta
from markupsafe import Markup

from relais.accounts.models import Function
from relais.core import chrome
from relais.notifications.models import Notification
from tests.conftest import _member

pytestmark = pytest.mark.django_db

PARTS = ("chrome/head.jinja", "chrome/header.jinja", "chrome/footer.jinja")


def test_the_chrome_reads_only_values_its_keeper_keys_or_marks():
    environment = engines["jinja2"].env
    for name in PARTS:
        source = environment.loader.get_source(environment, name)[0]
        read = meta.find_undeclared_variables(environment.parse(source))
        assert read - set(environment.globals) <= chrome.SHAPED_BY | chrome.MARKED, name


def _rendered_directly(template, values):
    values = values.get_all() if hasattr(values, "get_all") else values
    return Markup(template.render(values))  # noqa: S704 - Jinja2 escapes


def _page(client, path: str) -> str:
    """The page with its CSRF tokens (masked anew at each request) set aside."""
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert "\x1e" not in html  # no marker left
    return re.sub(r'(csrf-token" content=|csrfmiddlewaretoken" value=)"[^"]+"', r"\1TOKEN", html)


@pytest.fixture
def nurses(world):
    """Two liaison nurses of one hospital: the same menu, their own names."""
    first = _member(world.hospital, Function.LIAISON_NURSE, email="first@test.relais.example",
                    first_name="Anne", last_name="Peeters")
    second = _member(world.hospital, Function.LIAISON_NURSE, email="second@test.relais.example",
                     first_name='Jan <b>"&', last_name="D'Hondt")
    return first, second


def _kept_and_direct(user, path: str, monkeypatch) -> str:
    client = Client()
    client.force_login(user)
    kept = _page(client, path)
    with monkeypatch.context() as direct:
        direct.setattr(chrome, "html", _rendered_directly)
        assert _page(client, path) == kept
    return kept


@pytest.mark.parametrize("path", [
    reverse("stays:worklist"),  # Jinja2 (base.jinja)
    reverse("accounts:profile"),  # Django's templates (base.html, {% chrome %})
    reverse("network:person_list") + '?q=<script>"x"&page=2',
])
def test_each_user_gets_the_page_the_templates_render_for_them(nurses, path, monkeypatch):
    first, second = nurses
    _kept_and_direct(first, path, monkeypatch)
    shapes = len(chrome._kept)
    page = _kept_and_direct(second, path, monkeypatch)
    assert len(chrome._kept) == shapes  # the second nurse's chrome was the first's, filled
    assert 'Jan &lt;b&gt;&#34;&amp; D&#39;Hondt</a>' in page
    if "?" in path:
        assert 'name="next" type="hidden" value="/persons/?q=%3Cscript%3E%22x%22&amp;page=2"' \
            in page
    # Another shape: French, with a notification unread.
    Notification.objects.create(recipient=second, kind="gone.kind")
    second.language = "fr"
    second.save(update_fields=["language"])
    page = _kept_and_direct(second, path, monkeypatch)
    assert '<span class="badge badge-warn">1</span>' in page
    assert '<html lang="fr">' in page


def test_a_page_with_messages_and_a_signed_out_page_are_rendered_as_before(nurses,
                                                                          monkeypatch):
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    login_page = _page(client, reverse("accounts:login"))
    client.force_login(nurses[0])
    response = client.post(reverse("accounts:profile"), {
        "first_name": "Anne", "last_name": "Peeters", "language": "en", "phone": ""},
        follow=True)
    assert '<li class="success">Your profile was saved.</li>' in response.content.decode()
    assert "Your profile was saved." not in _page(client, reverse("accounts:profile"))
    with monkeypatch.context() as direct:
        direct.setattr(chrome, "html", _rendered_directly)
        assert _page(Client(HTTP_ACCEPT_LANGUAGE="nl"), reverse("accounts:login")) == login_page


def test_a_value_put_in_is_not_read_again_for_markers(nurses):
    """An address someone sent, or a name, holding a marker's text stays as it is."""
    first, _ = nurses
    first.first_name = "A\x1echrome:unread\x1eB"
    first.save(update_fields=["first_name"])
    client = Client()
    client.force_login(first)
    page = client.get(reverse("network:person_list") + "?q=%1Echrome:name%1E").content.decode()
    assert ">A\x1echrome:unread\x1eB Peeters</a>" in page
    assert "?q=%1Echrome:name%1E" in page and "Peeters\" type" not in page
