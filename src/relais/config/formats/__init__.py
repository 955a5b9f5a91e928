"""Dates and times as Belgium writes them, in every language of Relais (FORMAT_MODULE_PATH).

Dutch, French and English alike write day/month/year and a 24-hour clock, so an English
page shows 31/12/2026, never 12/31/2026. What a page shows, its forms accept: typed
dates may use /, - or . between day, month and year; ISO (2026-12-31) is what the
browser's date picker sends. Two-digit years are refused: "02/03/41" is 1941 for a birth
date and 2041 for Python. Anything not set here (numbers) comes from Django's own
module for the language.
"""

DATE_FORMAT = "j F Y"  # 31 december 2026 / 31 décembre 2026 / 31 December 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M"]
DATETIME_INPUT_FORMATS = [
    f"{day} {time}" for day in DATE_INPUT_FORMATS for time in ("%H:%M", "%H:%M:%S")
] + ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]  # the browser's datetime-local
