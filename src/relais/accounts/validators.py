"""Belgian identifiers of organisations and professionals (DOMAIN.md §2)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.be import vat

from relais.core.text import is_digits

RIZIV_LENGTHS = (8, 11)


def compact_kbo(value: str) -> str:
    return vat.compact(value)


def validate_kbo(value: str) -> None:
    """KBO/BCE enterprise number: 10 digits, first 0 or 1, mod-97 check (python-stdnum)."""
    if not vat.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid KBO/BCE enterprise number (10 digits, e.g. 0403.019.261)."),
            code="invalid_kbo",
            params={"value": value},
        )


def compact_riziv(value: str) -> str:
    return re.sub(r"[\s./-]", "", value or "")


def riziv_check_digits_valid(number: str) -> bool:
    """Both rules are in use: 97 − (N mod 97) and, since 2013/2019, 89 − (N mod 89)."""
    base, check = int(number[:6]), int(number[6:8])
    return check in {97 - base % 97, 89 - base % 89}


def validate_riziv(value: str) -> None:
    """RIZIV/INAMI number: 8 digits (provider) or 11 (with qualification), check on first 6."""
    number = compact_riziv(value)
    if not (is_digits(number) and len(number) in RIZIV_LENGTHS
            and riziv_check_digits_valid(number)):
        raise ValidationError(
            _(
                "%(value)s is not a valid RIZIV/INAMI number "
                "(11 digits such as 1-08290-59-000; the check digits do not match)."
            ),
            code="invalid_riziv",
            params={"value": value},
        )


def format_kbo(value: str) -> str:
    number = compact_kbo(value)
    return f"{number[:4]}.{number[4:7]}.{number[7:]}" if len(number) == 10 else value


def format_riziv(value: str) -> str:
    n = compact_riziv(value)
    if len(n) == 11:
        return f"{n[0]}-{n[1:6]}-{n[6:8]}-{n[8:]}"
    if len(n) == 8:
        return f"{n[0]}-{n[1:6]}-{n[6:8]}"
    return value
