"""Text folding shared by every search: lower case, no accents, single spaces."""

import re
import unicodedata


def fold(value: str) -> str:
    """"Öztürk-Şahin" → "ozturk sahin"; "Soins à domicile" → "soins a domicile"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[^0-9a-z]+", plain.lower().replace("ß", "ss"))).strip()
