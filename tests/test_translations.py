"""Every UI string exists in Dutch and French, and the compiled catalogues are current."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # reads the catalogues, not a database

LOCALE = Path(__file__).resolve().parent.parent / "src" / "relais" / "locale"
LANGUAGES = ["nl", "fr"]


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgid, msgid_plural, msgstr(s) and flags."""
    entries, entry, field = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry or {"flags": "", "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif match := re.match(r'(msgid|msgid_plural|msgctxt|msgstr(?:\[(\d)\])?) "(.*)"$', line):
            key, index, text = match.groups()
            field = ("msgstr", int(index or 0)) if key.startswith("msgstr") else (key, None)
            _append(entry, field, text)
        elif line.startswith('"') and field:
            _append(entry, field, line[1:-1])
    return [e for e in entries if e.get("msgid")]


def _append(entry, field, text):
    key, index = field
    text = text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
    if key == "msgstr":
        entry["msgstr"][index] = entry["msgstr"].get(index, "") + text
    else:
        entry[key] = entry.get(key, "") + text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language):
    entries = parse_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 300
    missing = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert missing == [], f"untranslated in {language}"
    assert fuzzy == [], f"fuzzy (needs review) in {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language):
    """Run `make compilemessages` after editing a .po file: a stale .mo fails here."""
    directory = LOCALE / language / "LC_MESSAGES"
    catalogue = gettext.GNUTranslations((directory / "django.mo").open("rb"))
    for entry in parse_po(directory / "django.po"):
        if "msgid_plural" in entry:
            continue
        msgid = entry["msgid"] if "msgctxt" not in entry else (
            f"{entry['msgctxt']}\x04{entry['msgid']}")
        assert catalogue._catalog.get(msgid) == entry["msgstr"][0], entry["msgid"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language):
    for entry in parse_po(LOCALE / language / "LC_MESSAGES" / "django.po"):
        wanted = placeholders(entry["msgid"])
        for text in entry["msgstr"].values():
            found = placeholders(text)
            if "msgid_plural" in entry:
                # A singular may leave the count out ("Last day" / "Last %(days)s days"):
                # each form may use only the plural's placeholders.
                allowed = placeholders(entry["msgid_plural"])
                assert set(found) <= set(allowed), entry["msgid"]
            else:
                assert found == wanted, entry["msgid"]


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)s|\{\{ ?\w+ ?\}\}", text))


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_no_string_in_the_code_is_missing_from_the_catalogues(tmp_path):
    """A new `_("…")` or `{% translate %}` without `make messages` fails here."""
    copy = tmp_path / "relais"
    shutil.copytree(LOCALE.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "relais.config.cli", "makemessages", "-l", "nl",
         "--no-location", "--no-obsolete"],
        cwd=copy, check=True, capture_output=True, timeout=120,
    )
    extracted = {e["msgid"] for e in parse_po(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po")}
    committed = {e["msgid"] for e in parse_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")}
    assert sorted(extracted - committed) == []
