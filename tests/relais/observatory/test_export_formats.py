"""The two CSVs of the observatory: `excel` opens with a double click in a Belgian
spreadsheet (`;`, byte-order mark, decimal comma in NL/FR), `csv` stays the scripts'
(comma, decimal point, no byte-order mark). Both publish the same suppressed cells."""

import csv
import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from relais.audit.models import AuditEvent
from relais.observatory import compute, exports
from relais.observatory.figures import Cell

from .conftest import at

EXPORT = "/observatory/south-east/export/?period=2025-03"


@pytest.fixture
def figures_of_march(build):
    """Auderghem 3 admissions (below the threshold), Etterbeek 30, Woluwe-Saint-Lambert
    40, Woluwe-Saint-Pierre 25 (hidden so that Auderghem's cannot be worked out)."""
    for nis, n in (("21002", 3), ("21005", 30), ("21018", 40), ("21019", 25)):
        for person in build.persons(n, nis=nis):
            build.stay(person, at(2025, 3, 5))
    compute.compute()


def client_of(user, language) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def download(user, language, fmt) -> bytes:
    response = client_of(user, language).get(f"{EXPORT}&format={fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.search(r'filename="relais-observatory-south-east-\d{8}\.csv"',
                     response["Content-Disposition"])
    return b"".join(response.streaming_content)


def admissions_by_municipality(rows: list[dict]) -> dict:
    return {row["municipality"]: (row["shown"], row["count"]) for row in rows
            if row["indicator"] == "admissions" and row["dimension"] == ""
            and row["period"] == "month"}


PUBLISHED = {"": ("100", "100"), "21002": ("<10", ""), "21005": ("30", "30"),
             "21018": ("40", "40"), "21019": ("–", "")}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_excel_csv_opens_in_a_belgian_spreadsheet(analyst, figures_of_march, language):
    body = download(analyst, language, "excel")

    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8's byte-order mark
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(exports.FIELDS)
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert admissions_by_municipality(rows) == PUBLISHED
    assert all(len(row) == len(exports.FIELDS) for row in rows)
    assert AuditEvent.objects.get(action="observatory.exported").detail["format"] == "excel"


def test_the_scripts_csv_stays_comma_and_point_without_a_byte_order_mark(analyst,
                                                                          figures_of_march):
    body = download(analyst, "nl", "csv")

    assert not body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")
    assert text.splitlines()[0] == ",".join(exports.FIELDS)
    assert "\r\n" not in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert admissions_by_municipality(rows) == PUBLISHED
    median = next(row for row in rows if row["indicator"] == "length_of_stay_median"
                  and row["municipality"] == "21018" and row["period"] == "month")
    assert (median["shown"], median["value"]) == ("5", "5.0")


def test_without_a_format_the_export_is_the_scripts_csv(analyst, figures_of_march):
    body = download(analyst, "fr", "csv")
    plain = b"".join(client_of(analyst, "fr").get(EXPORT).streaming_content)
    assert plain == body


def cell(value, shown) -> Cell:
    return Cell("length_of_stay_median", "south-east", "21018", "month", date(2025, 3, 1),
                "", "", shown=shown, count=None, value=value, suppressed=False, mark="shown")


@pytest.mark.parametrize(("language", "value", "shown"), [
    ("nl", "12,5", "12,5"), ("fr", "12,5", "12,5"), ("en", "12.5", "12.5"),
])
def test_the_excel_csv_writes_decimals_in_the_readers_language(language, value, shown):
    with translation.override(language):
        chunks = exports.lines([cell(12.5, "12.5"), cell(None, "<10")], "excel", {})
    rows = list(csv.DictReader(io.StringIO("".join(chunks).lstrip("\ufeff"), newline=""),
                               delimiter=";"))
    assert [(row["shown"], row["value"]) for row in rows] == [(shown, value), ("<10", "")]


def test_the_scripts_csv_keeps_the_decimal_point_in_any_language():
    with translation.override("fr"):
        text = "".join(exports.lines([cell(12.5, "12.5")], "csv", {}))
    assert text.splitlines()[1].endswith(",12.5,,12.5")


def test_the_command_line_writes_either_csv(tmp_path, figures_of_march):
    scripts, excel = tmp_path / "scripts.csv", tmp_path / "excel.csv"

    call_command("observatory", "export", "--zone", "south-east", "--period", "2025-03",
                 "--output", str(scripts))
    call_command("observatory", "export", "--zone", "south-east", "--period", "2025-03",
                 "--format", "excel", "--output", str(excel))

    assert scripts.read_bytes().startswith(b"indicator,zone,")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbfindicator;zone;")
    for path, delimiter in ((scripts, ","), (excel, ";")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter=delimiter))
        assert admissions_by_municipality(rows) == PUBLISHED
