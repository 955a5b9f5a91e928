"""Helpers for data that carries its own translations (names_fr / names_nl / names_en)."""

from django.utils.translation import get_language

# French first: in English, Brussels place names are usually given in French.
FALLBACK_ORDER = ("fr", "nl", "en")


def localized(obj, field: str) -> str:
    """`obj.<field>_<current language>`, else the first non-empty translation."""
    return _first_translation(lambda code: getattr(obj, f"{field}_{code}", ""))


def localized_value(row: dict, prefix: str) -> str:
    """`localized` for a row read as values: `row["<prefix>_<code>"]` (a list's lines
    read without their model instances)."""
    return _first_translation(lambda code: row.get(f"{prefix}_{code}", ""))


def _first_translation(text_in) -> str:
    language = (get_language() or "nl")[:2]
    for code in (language, *FALLBACK_ORDER):
        value = text_in(code)
        if value:
            return value
    return ""
