"""Vietnamese text: names stored as typed (NFC), and a search key that folds diacritics."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans("", "", "'’‘`´")


def normalize_name(value: str) -> str:
    """The stored form of a name: Unicode NFC, trimmed, single spaces; nothing else rewritten.

    Tone placement is kept as typed ("Hoà" stays "Hoà") so that the name prints as on the ID card.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def search_key(value: str) -> str:
    """The matching key of a text: lower case, no diacritics or tone marks, đ → d, no apostrophes.

    "Nguyễn Văn Hùng", its NFD spelling, "nguyen van hung" and "NGUYEN VAN HUNG" share one key;
    "Hoà" and "Hòa" (old and new tone placement) both give "hoa"; "Ea H'Leo" gives "ea hleo".
    """
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.translate(_APOSTROPHES).casefold()).strip()


def mask_identifier(value: str, visible: int = 3) -> str:
    """A national ID or card number as shown by default: only its last ``visible`` digits."""
    if not value:
        return ""
    shown = value[-visible:] if len(value) > visible else ""
    return "•" * (len(value) - len(shown)) + shown


def thousands(count: int) -> str:
    """A count with dots between thousands, as Vietnamese writes it: 1.234.567."""
    return f"{count:,}".replace(",", ".")
