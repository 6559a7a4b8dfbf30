"""Search that ignores case and accents: one folding rule, used for the stored keys and for the queries.

`TRAORÉ`, `traore` and `Traoré` fold to the same `traore`, so a stored `search_key` (folded once, when
the row is written) is matched with a plain `LIKE '%…%'` on SQLite and PostgreSQL alike, behind an index.
"""

import re
import unicodedata

from sqlalchemy import and_, true

from intranet.phones import phone_digits

# Letters NFKD does not take apart into a base letter and an accent.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
# Jean-Noël is found as "jean noel", N’Diaye as "ndiaye" or "n'diaye".
PUNCTUATION = str.maketrans({"-": " ", "‐": " ", "‑": " ", "–": " ", "'": None, "’": None, "ʼ": None})


def fold(text: str) -> str:
    """Lower case, accents removed, œ→oe, æ→ae, ß→ss, dashes as spaces, whitespace collapsed.

    'Cœur-de-LOIRE' -> 'coeur de loire', 'TRAORÉ' -> 'traore', 'N’Diaye' -> 'ndiaye'.
    """
    decomposed = unicodedata.normalize("NFKD", (text or "").lower().translate(LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(LIGATURES).translate(PUNCTUATION)
    return " ".join(bare.split())


def search_key(*texts: str, phone: str = "") -> str:
    """The stored key of a row: its texts folded and joined, then the digits a person may type for its phone."""
    return " ".join(part for part in (fold(" ".join(t or "" for t in texts)), phone_digits(phone)) if part)


def matches(column, q: str):
    """One condition on a `search_key` column: every word of `q` (folded) appears in it.

    A query that looks like a phone number ('06 12 34', '+262 692') is matched as its digits, whatever
    spaces or dots were typed.
    """
    text = (q or "").strip()
    if re.fullmatch(r"[0-9+ .\-/()]+", text) and sum(c.isdigit() for c in text) >= 4:
        words = [re.sub(r"[^0-9]", "", text.replace("(0)", ""))]
    else:
        words = fold(text).split()
    return and_(true(), *(column.contains(word, autoescape=True) for word in words))  # only dashes: every row
