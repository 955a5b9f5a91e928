"""Text folding shared by every search: lower case, no accents, single spaces."""

import re
import unicodedata

from django.utils.text import Truncator, add_truncation_text, calculate_truncate_chars_length


def fold(value: str) -> str:
    """"Öztürk-Şahin" → "ozturk sahin"; "Soins à domicile" → "soins a domicile"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[^0-9a-z]+", plain.lower().replace("ß", "ss"))).strip()


def is_digits(value: str) -> bool:
    """Only the digits 0-9, at least one. `str.isdigit()` is also true of "²" (which
    `int()` refuses: a 500 on `?ward=²`) and of other scripts' digits, which no id,
    national number or year of ours is written in."""
    return value.isascii() and value.isdigit()


def truncated(value: str, length: int) -> str:
    """Django's `truncatechars` filter, without its walk over every character in Python
    when none combines (an accent written as a second code point): a booklet's page cuts
    a dozen openings. The same text out, its ellipsis translated as Django's."""
    text = str(value)
    if length <= 0 or not unicodedata.is_normalized("NFC", text) or any(
            map(unicodedata.combining, text)):
        return Truncator(text).chars(length)
    if len(text) <= length:
        return text
    kept = max(calculate_truncate_chars_length(length, None), 0)
    return add_truncation_text(text[:kept])
