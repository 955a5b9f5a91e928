"""The national number (INSZ/NISS) and the BIS number (DOMAIN.md §2), with python-stdnum."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.be import bis, nn


def compact_niss(value: str) -> str:
    return nn.compact(value or "")


def niss_facts(value: str) -> tuple[date | None, str | None]:
    """(birth date, 'M'/'F') encoded in a valid national or BIS number; None when unknown."""
    module = nn if nn.is_valid(value) else bis
    return module.get_birth_date(value), module.get_gender(value)


def validate_niss(value: str) -> None:
    if not (nn.is_valid(value) or bis.is_valid(value)):
        raise ValidationError(
            _("%(value)s is not a valid national register or BIS number (11 digits, "
              "e.g. 85.07.30-033.28)."),
            code="invalid_niss", params={"value": value},
        )


def check_niss_matches(value: str, birth_date: date | None, sex: str) -> list[ValidationError]:
    """The number encodes a birth date and a sex: they must agree with what was typed."""
    born, gender = niss_facts(value)
    errors = []
    if born and birth_date and born != birth_date:
        errors.append(ValidationError(
            _("The national number says this person was born on %(date)s."),
            code="niss_birth_date", params={"date": born.strftime("%d/%m/%Y")}))
    if gender and sex in {"M", "F"} and gender != sex:
        errors.append(ValidationError(
            _("The national number does not match the sex recorded."), code="niss_sex"))
    return errors


def format_niss(value: str) -> str:
    n = compact_niss(value)
    if len(n) != 11:
        return value
    return f"{n[0:2]}.{n[2:4]}.{n[4:6]}-{n[6:9]}.{n[9:11]}"
