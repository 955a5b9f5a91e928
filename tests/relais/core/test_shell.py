"""The UI shell: error pages in three languages, security headers, health check."""

import json
import re

import pytest
from django.test import Client, override_settings
from django.urls import path

from relais.config.urls import urlpatterns as relais_urls


def broken_view(request):
    raise RuntimeError("boom")


urlpatterns = [*relais_urls, path("broken/", broken_view)]
handler404 = "relais.core.views.error_404"
handler500 = "relais.core.views.error_500"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "heading"), [
    ("en", "This page does not exist, or you may not see it"),
    ("nl", "Deze pagina bestaat niet"),
    ("fr", "Cette page n"),
])
def test_not_found_page_speaks_the_visitors_language(language, heading):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/no/such/page/")
    assert response.status_code == 404
    assert heading in response.content.decode()
    assert f'lang="{language}"' in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_server_error_page_is_translated_and_shows_the_request_id(language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    response = client.get("/broken/", HTTP_X_REQUEST_ID="incident-42-abc")
    assert response.status_code == 500
    body = response.content.decode()
    assert "incident-42-abc" in body and f'lang="{language}"' in body


@pytest.mark.parametrize(("language", "heading"), [
    ("en", "This could not be sent"), ("nl", "Dit kon niet verzonden worden"),
    ("fr", "Ceci n'a pas pu être envoyé"),
])
def test_a_post_too_large_for_any_form_is_refused_in_the_users_language(
        language, heading, settings):
    """Beyond DATA_UPLOAD_MAX_MEMORY_SIZE Django refuses before any view: still a page
    people read, and nothing saved (no view ran)."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/accounts/login/", {"username": body, "password": "p"})
    assert response.status_code == 400
    assert heading in response.content.decode()


def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) == 32


def test_htmx_evaluates_no_code_and_runs_no_swapped_script(client):
    """The CSP blocks eval and inline scripts already; htmx is told too, so that a
    filter or an hx-on written into a page by mistake fails loudly in development, not
    silently by the browser's refusal, and a swapped fragment's script never runs."""
    body = client.get("/accounts/login/").content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>",
                                  body).group(1))
    assert config["allowEval"] is False and config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True


def test_a_forged_request_id_is_replaced(client):
    response = client.get("/", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32


def test_health_check_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_pages_are_served_without_any_external_asset(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'src="/static/relais/htmx.min.js"' in body
    assert "http://" not in body.replace('http://www.w3.org', '') and "https://" not in body


@pytest.mark.parametrize(("language", "expected"), [("fr", "Lu par\u00a0: "),
                                                     ("nl", "Gezien door: ")])
def test_labels_take_the_colon_of_their_language(language, expected):
    from django.template import engines
    from django.utils import translation

    template = engines["django"].from_string('{% load i18n %}{% translate "Seen by" %}{% colon %}')
    with translation.override(language):
        assert template.render({}) == expected
