"""Text folding shared by every search: lower case, no accents, single spaces."""

import re
import unicodedata


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
