"""Digits of other scripts in an address or a form: "²" passes `str.isdigit()` and makes
`int()` raise (a 500); ids, years and national numbers are written in 0-9 only."""

import pytest

from relais.core.text import is_digits


@pytest.mark.parametrize(("value", "expected"), [
    ("0123456789", True), ("7", True), ("", False), ("²", False), ("1²", False),
    ("٣", False), ("１２", False), ("-1", False), (" 1", False), ("1.0", False)])
def test_only_the_digits_0_to_9(value, expected):
    assert is_digits(value) is expected


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/hospital/worklist/?ward=²", "/work/?person=²&page=²",
    "/observatory/brussels/cooperation/?year=²"])
def test_a_page_asked_with_them_answers_not_a_server_error(url, client, liaison_nurse,
                                                          analyst, world):
    for user in (liaison_nurse, analyst):
        client.force_login(user)
        client.raise_request_exception = False
        assert client.get(url).status_code < 500, url
