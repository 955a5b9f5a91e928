"""`{% colon %}`: the colon after a label, as each language writes it (French puts a
non-breaking space before it: « Lu par : … »). Loaded for every template (settings)."""

from django import template
from django.utils import translation

register = template.Library()


@register.simple_tag
def colon() -> str:
    return "\u00a0: " if (translation.get_language() or "")[:2] == "fr" else ": "
