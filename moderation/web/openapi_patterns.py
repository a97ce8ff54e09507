"""PURE: the submission rules of `submissions` restated as JSON Schema patterns, for the OpenAPI document.

Written in the regex dialect JSON Schema, Python and schemathesis share (\\xNN and \\uNNNN escapes,
no lookaround, no flags). Each pattern accepts what the service accepts; where a rule is beyond
a pattern (lengths counted after NFC, internationalized email addresses) the schema says so in
words. tests/test_openapi_schemathesis.py compares them with the service value by value.
"""

from __future__ import annotations

# --- Text: NFC-normalized, then trimmed of exactly these (Python's str.isspace) ---
SPACE = r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
PADDING = f"[{SPACE}]*"
CONTROL = r"\x00-\x1f\x7f-\x9f"  # Unicode category Cc
BIDI_OVERRIDES = r"\u202a-\u202e\u2066-\u2069"
# What a trimmed text starts and ends with: neither a space nor a control character (nor an override).
VISIBLE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
VISIBLE_NO_OVERRIDE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000]"
BODY_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # no control character but tab and line breaks


def _trimmed(edge: str, inner: str, most: int) -> str:
    """A text of 1 to `most` characters once surrounding spaces are trimmed."""
    return f"{PADDING}{edge}(?:{inner}{{0,{most - 2}}}{edge})?{PADDING}"


NAME = "^" + _trimmed(VISIBLE_NO_OVERRIDE, f"[^{CONTROL}{BIDI_OVERRIDES}]", 100) + "$"
BODY = "^" + _trimmed(VISIBLE, BODY_CHAR, 5000) + "$"  # CR LF and CR are one line break: a bound, not exact
TITLE = "^(?:" + _trimmed(VISIBLE_NO_OVERRIDE, f"[^{CONTROL}{BIDI_OVERRIDES}]", 300) + f"|{PADDING})$"
BLANK = f"^{PADDING}$"
# A report's note: blank, or 1–500 characters once trimmed, with the body's characters.
NOTE = "^(?:" + _trimmed(VISIBLE, BODY_CHAR, 500) + f"|{PADDING})$"

# --- Email: email-validator's syntax, no deliverability check, for ASCII addresses ---
# A dot-atom, "@", two or more host labels of 1–63 letters, digits and inner hyphens (never
# "--" third and fourth, kept for Punycode), the last one ending in a letter.
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_\x60{|}~-]"
ALNUM, LDH = "[A-Za-z0-9]", "[A-Za-z0-9-]"


def _label(last: str) -> str:
    """A host label of 1–63 characters ending in `last`."""
    return (f"(?:{last}|{ALNUM}{LDH}?{last}|{ALNUM}{LDH}(?:{ALNUM}{last}|-{last})"
            f"|{ALNUM}{LDH}(?:{ALNUM}{LDH}|-{ALNUM}){LDH}{{0,58}}{last})")


EMAIL = f"^{PADDING}{ATEXT}+(?:\\.{ATEXT}+)*@(?:{_label(ALNUM)}\\.)+{_label('[A-Za-z]')}{PADDING}$"
SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")  # refused, in any case
RESERVED_EMAIL = ("\\.(?:" + "|".join("".join(f"[{c.upper()}{c}]" for c in name) for name in SPECIAL_USE)
                  + f"){PADDING}$")

# --- Web addresses, as urllib.parse.urlsplit reads them ---
# No space, quote, < > ` { } | \ ^ or control character; U+1FEF is refused as it becomes ` under NFC.
URL_CHAR = r"""[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"'<>\x60{}|\\^\u1fef]"""
# Not in a host or user part: the delimiters, and what becomes : / ? # @ under NFKC (urlsplit refuses it).
NOT_IN_NETLOC = (r"/?#\[\]\u2047-\u2049\u2100\u2101\u2105\u2106\u2a74"
                 r"\ufe13\ufe16\ufe55\ufe56\ufe5f\ufe6b\uff03\uff0f\uff1a\uff1f\uff20")


def _netloc_char(*excluded: str) -> str:
    """A URL character allowed in the host or user part, less `excluded`."""
    return URL_CHAR[:-1] + NOT_IN_NETLOC + "".join(excluded) + "]"


def _dotted(char: str) -> str:
    """Runs of `char` joined by single dots, maybe one at the end; never a dot first."""
    return f"{char}(?:\\.?{char})*\\.?"


H16, OCTET = "[0-9A-Fa-f]{1,4}", "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
LS32 = f"(?:{H16}:{H16}|{OCTET}(?:\\.{OCTET}){{3}})"
# RFC 3986's IPv6address: after n groups' worth before "::", what may follow it.
_AFTER_GAP = {1: f"(?:{H16}:){{4}}{LS32}", 2: f"(?:{H16}:){{3}}{LS32}", 3: f"(?:{H16}:){{2}}{LS32}",
              4: f"{H16}:{LS32}", 5: LS32, 6: H16, 7: ""}
IPV6 = "(?:" + "|".join([f"(?:{H16}:){{6}}{LS32}", f"::(?:{H16}:){{5}}{LS32}"] + [
    f"(?:(?:{H16}:){{0,{n - 1}}}{H16})?::{after}" for n, after in _AFTER_GAP.items()]) + ")"
# Bracketed: IPv6 (Python's ipaddress also takes a %zone), or IPvFuture (v<hex>.<anything>).
IP_LITERAL = (f"\\[(?:{IPV6}(?:%{_netloc_char('%@')}+)?"
              f"|v[0-9A-Fa-f]+\\.{_dotted(_netloc_char('@.'))})\\]")
HOST = f"(?:{_dotted(_netloc_char('@:.'))}|{IP_LITERAL})"  # never "..", never a dot first
PORT = r"0*(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
NETLOC = f"(?:{_netloc_char()}*@)?{HOST}(?::(?:{PORT})?)?"  # [user[:password]@]host[:[port]]
REST = f"(?:[/?#]{URL_CHAR}*)?"  # path, query, fragment
HTTP_URL = f"^{PADDING}[Hh][Tt][Tt][Pp][Ss]?://{NETLOC}{REST}{PADDING}$"
# A value without a scheme is read as "http://" + value. It has one if it starts like one,
# ([A-Za-z][A-Za-z0-9+.-]*:) except when it is host:port ("localhost:8080").
BARE_URL = f"^{PADDING}{NETLOC}{REST}{PADDING}$"
SCHEME_START = f"^{PADDING}[A-Za-z][A-Za-z0-9+.-]*:"
HOST_PORT_URL = f"^{PADDING}(?:{_netloc_char(':')}*@)?{HOST}:{PORT}{REST}{PADDING}$"

# --- Ids and cursors ---
ARTICLE_ID = "^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$"
# itsdangerous: base64url of the payload (zlib-compressed and "."-prefixed when shorter), ".", a 27-character MAC.
CURSOR = r"^(?:\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{27})?$"
COMMENTER_KEY = "^ck_[A-Za-z0-9_-]{43}$"
AVATAR = "^/avatars/[0-9a-f]{16}\\.svg$"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
