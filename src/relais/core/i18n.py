"""Helpers for data that carries its own translations (names_fr / names_nl / names_en)."""

from django.utils.translation import get_language

# French first: in English, Brussels place names are usually given in French.
FALLBACK_ORDER = ("fr", "nl", "en")


def localized(obj, field: str) -> str:
    """`obj.<field>_<current language>`, else the first non-empty translation."""
    language = (get_language() or "nl")[:2]
    for code in (language, *FALLBACK_ORDER):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value
    return ""
