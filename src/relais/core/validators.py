"""Plausible dates (issue 12): a birth date of 1000-01-01 or an admission in 2207 is a typing
error. Each validator accepts a window that fits what the date says and, outside it,
names the window in the reader's language. Model fields list them (ModelForms and
`full_clean` use them); plain forms and the services that take dates from a feed call
them too.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

BIRTHS_FROM = date(1900, 1, 1)  # nobody in care today was born earlier
# Stays, consents, mandates, screenings: nothing Relais records happened before 2000
# (an earlier year is "1025" for "2025", or "0202" for "2020").
RECORDS_FROM = date(2000, 1, 1)
PLANNED_DAYS_AHEAD = 366  # a stay, a start, a review or a deadline: at most a year ahead
ENDS_YEARS_AHEAD = 30  # how far ahead a mandate or an agreement may say it ends


def validate_birth_date(value) -> None:
    _check(value, BIRTHS_FROM, timezone.localdate(),
           _("Enter a birth date between %(earliest)s and today."))


def validate_past_date(value) -> None:
    """Something that has happened: a consent given, a mandate signed, a screening done."""
    _check(value, RECORDS_FROM, timezone.localdate(),
           _("Enter a date between %(earliest)s and today."))


def validate_planning_date(value) -> None:
    """A stay's admission, expected discharge and discharge; when help starts; a review;
    a deadline: from 2000 to a year ahead. Takes dates and date-times."""
    _check(value, RECORDS_FROM, timezone.localdate() + timedelta(days=PLANNED_DAYS_AHEAD),
           _("Enter a date between %(earliest)s and %(latest)s."))


def validate_end_date(value) -> None:
    """When a mandate or an agreement ends: possibly years ahead, not centuries."""
    _check(value, RECORDS_FROM, date(timezone.localdate().year + ENDS_YEARS_AHEAD, 12, 31),
           _("Enter a date between %(earliest)s and %(latest)s."))


def _check(value, earliest: date, latest: date, message) -> None:
    if value is None:
        return
    day = _day(value)
    if not earliest <= day <= latest:
        raise ValidationError(message, code="implausible_date",
                              params={"earliest": _shown(earliest), "latest": _shown(latest)})


def _day(value) -> date:
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def _shown(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")
