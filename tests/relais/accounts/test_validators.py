"""Belgian identifiers: the test vectors of DOMAIN.md §2, and properties of the rules."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from relais.accounts.validators import format_kbo, format_riziv, validate_kbo, validate_riziv


@pytest.mark.parametrize("number", ["0403019261", "0428759497", "1001686633",
                                    "0403.019.261", "BE 0403 019 261"])
def test_valid_kbo_numbers_pass(number):
    validate_kbo(number)


@pytest.mark.parametrize("number", ["0431150351", "2403019261", "12345", "abcdefghij", ""])
def test_invalid_kbo_numbers_are_refused(number):
    with pytest.raises(ValidationError) as error:
        validate_kbo(number)
    assert error.value.code == "invalid_kbo"


@pytest.mark.parametrize("number", [
    "10829059000",     # mod 97 (eHealth example 10829059)
    "1-08290-59-000",
    "10829059",        # 8-digit provider form
    "41234502401",     # 4-12345-02 mod 97
    "41234581401",     # 4-12345-81 mod 89
])
def test_valid_riziv_numbers_pass_under_either_rule(number):
    validate_riziv(number)


@pytest.mark.parametrize("number", ["10829058000", "1082905", "108290590001", "1O829059000"])
def test_invalid_riziv_numbers_are_refused(number):
    with pytest.raises(ValidationError) as error:
        validate_riziv(number)
    assert error.value.code == "invalid_riziv"


@given(st.integers(min_value=0, max_value=999_999))
def test_riziv_check_digits_follow_mod97_or_mod89(base):
    accepted = {97 - base % 97, 89 - base % 89}
    for check in range(100):
        number = f"{base:06d}{check:02d}000"
        if check in accepted:
            validate_riziv(number)
        else:
            with pytest.raises(ValidationError):
                validate_riziv(number)


@given(st.integers(min_value=0, max_value=19_999_999))
def test_kbo_check_digits_are_97_minus_mod97(base):
    number = f"{base:08d}{97 - base % 97:02d}"
    validate_kbo(number)
    wrong = f"{base:08d}{(97 - base % 97 + 1) % 100:02d}"
    with pytest.raises(ValidationError):
        validate_kbo(wrong)


def test_numbers_are_displayed_grouped():
    assert format_kbo("0403019261") == "0403.019.261"
    assert format_riziv("10829059000") == "1-08290-59-000"
    assert format_riziv("10829059") == "1-08290-59"
