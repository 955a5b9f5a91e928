"""WhiteNoise's static files are found once per process, not once per handler."""

import pytest
from django.contrib.staticfiles import finders

from relais.core import static
from relais.core.static import FoundOnceWhiteNoiseMiddleware


def test_a_second_handler_serves_the_files_without_listing_them_again(monkeypatch, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = False
    monkeypatch.setattr(static, "_found", {})
    first = FoundOnceWhiteNoiseMiddleware(lambda request: None)
    assert "/static/relais/relais.css" in first.files

    def listed_again():
        raise AssertionError("the finders were listed again")

    monkeypatch.setattr(finders, "get_finders", listed_again)
    second = FoundOnceWhiteNoiseMiddleware(lambda request: None)
    assert second.files.keys() == first.files.keys()
    assert second.files["/static/relais/relais.css"] is first.files["/static/relais/relais.css"]


def test_other_settings_list_the_files_again(monkeypatch, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = False
    monkeypatch.setattr(static, "_found", {})
    FoundOnceWhiteNoiseMiddleware(lambda request: None)
    settings.STATIC_URL = "/assets/"
    moved = FoundOnceWhiteNoiseMiddleware(lambda request: None)
    assert "/assets/relais/relais.css" in moved.files
    assert not any(url.startswith("/static/") for url in moved.files)


@pytest.mark.django_db
def test_the_client_is_served_a_static_file(client):
    assert client.get("/static/relais/relais.css").status_code == 200
