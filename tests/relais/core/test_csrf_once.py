"""A Jinja2 page masks its CSRF token once, as Django's templates do (core/jinja.py:
request_values): the page's meta tag and every form carry the same masked token, and it
is accepted."""

import re

from django.test import Client
from django.urls import reverse


def test_the_page_masks_its_token_once_and_the_token_is_accepted(liaison_nurse):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(liaison_nurse)

    page = client.get(reverse("stays:worklist")).content.decode()

    in_meta = re.findall(r'<meta name="csrf-token" content="([^"]+)"', page)
    in_forms = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(in_meta) == 1 and len(in_forms) >= 2  # the language switch, the log-out
    assert set(in_forms) == set(in_meta) and len(in_meta[0]) == 64
    changed = client.post(reverse("set_language"), {
        "language": "fr", "next": "/", "csrfmiddlewaretoken": in_forms[0]})
    assert changed.status_code == 302
    refused = Client(enforce_csrf_checks=True).post(reverse("set_language"), {
        "language": "fr", "next": "/", "csrfmiddlewaretoken": in_forms[0]})
    assert refused.status_code == 403  # the token belongs to this session's cookie
