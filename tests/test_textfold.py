"""Word lists against what readers see: folding tables, dodges caught, innocent text left alone.

Bodies go through the real sanitizer (`render`), then `visible_text`, then `WordMatcher`,
as the policy sees them. No timing asserts: bench/wordlist_bench.py measures the cost.
"""

from __future__ import annotations

import random
import sys
import unicodedata
from collections.abc import Callable

import pytest
from homoglyph.data import load_prototypes

from moderation.core.sanitize import render
from moderation.core.textfold import fold, visible_text
from moderation.core.wordlists import WordMatcher

# ASCII that fold keeps as typed, though confusables.txt maps it (see textfold._prototypes).
KEPT_ASCII = ["0", "1", "m", '"', "%"]


def seen(word: str, body: str) -> str | None:
    """What a one-word list finds in a comment body, as a reader would see it published."""
    return WordMatcher([word]).first_match(visible_text(render(body)))


@pytest.mark.parametrize("word, body", [
    ("casino", "cas&#105;no"),                   # a character reference
    ("casino", "cas&#x69;no"),
    ("casino", "cas<b></b>ino"),                 # an empty tag
    ("casino", "cas<i>i</i>no"),                 # a tag around one letter
    ("casino", "ｃａｓｉｎｏ"),                   # full-width
    ("casino", "cas\u00adino"),                  # soft hyphen
    ("casino", "cas&shy;ino"),
    ("casino", "cas\u200bino"),                  # zero-width space
    ("casino", "cas&#8203;ino"),
    ("casino", "c\u2060a\ufeffs\u200dino"),      # word joiner, BOM, zero-width joiner
    ("casino", "cas\u3164ino"),                  # Hangul filler: a blank "letter", default-ignorable
    ("casino", "cas\u034fi\ufe0fno"),            # combining grapheme joiner, variation selector
    ("casino", "саsinо"),                        # Cyrillic с, а, о
    ("casino", "\u0421\u0410\u0405\u0406N\u041e"),  # Cyrillic capitals С А Ѕ І О
    ("casino", "ϲasino"),                        # Greek lunate sigma, though NFKC calls it ς
    ("casino", "𝐜𝐚𝐬𝐢𝐧𝐨"),                        # mathematical bold
    ("casino", "ⓒⓐⓢⓘⓝⓞ"),                        # circled
    ("casino", "CaSiNo"),
    ("casino", "ｃ\u200bа<b>s</b>&#105;nо"),     # all at once
    ("viagra", "vіаgrа now"),                    # Cyrillic і, а
    ("free money", "free&nbsp;money"),
    ("café", "cafе\u0301 crème"),                # Cyrillic е with a combining acute
    ("Cаsino", "CASINO"),                        # a look-alike in the list entry itself
])
def test_dodges_are_caught(word: str, body: str) -> None:
    assert seen(word, body) == word


@pytest.mark.parametrize("word, body", [
    ("casino", "occasionally"),
    ("casino", "cas\n\nino"),                    # two paragraphs
    ("casino", "cas\nino"),                      # a <br>
    ("casino", "<b>cas</b> <i>ino</i>"),
    ("casino", "cas<!-- -->ino"),                # shown as text, so a reader sees it too
    ("casino", "cas&amp;amp;#105;no"),           # the reader sees "&#105;", not an "i"
    ("cafe", "a café"),                          # accents still count
    ("porn", "a pomegranate"),                   # the skeleton's m→rn is not applied ...
    ("bum", "heartburn"),
    ("corn", "write to ann@example.com"),
    ("modern", "my modem"),
    ("lol", "from 203.0.113.101"),               # ... nor 1→l, 0→O
    ("oil", "10 liters"),
])
def test_innocent_text_is_not_caught(word: str, body: str) -> None:
    assert seen(word, body) is None


@pytest.mark.parametrize("html, text", [
    ("<p>cas&#105;no</p>", " casino "),
    ("<p>cas<b></b>ino</p>", " casino "),
    ("<p>one</p>\n<p>two</p>", " one \n two "),
    ("<p>one<br>\ntwo</p>", " one \ntwo "),
    ("<ul><li>a</li><li>b</li></ul>", "  a  b  "),
    ("<blockquote>q</blockquote>tail", " q tail"),
    ("<pre>a<br>\n  b</pre>", " a \n  b "),
    ('<p><a href="https://x.example/?a=1&amp;b=2" rel="nofollow ugc noopener">site</a></p>', " site "),
    ('<p><abbr title="HyperText">HTML</abbr> <q>q</q> <code>x &lt; y</code></p>', " HTML q x < y "),
    ("<p>5 &lt; 6 &amp; &lt;b&gt;bold?&lt;/b&gt;</p>", " 5 < 6 & <b>bold?</b> "),
    ("<p>cas&amp;#105;no</p>", " cas&#105;no "),   # unescaped once, as a browser does
    ("<p>a&nbsp;b</p>", " a\u00a0b "),
])
def test_visible_text(html: str, text: str) -> None:
    assert visible_text(html) == text


@pytest.mark.parametrize("text, folded", [
    ("CASINO", "casino"),
    ("ｃａｓｉｎｏ", "casino"),
    ("cas\u00adi\u200bno", "casino"),
    ("саsinо", "casino"),
    ("Straße", "strasse"),
    ("ϲ Ϲ", "c c"),
    ("cafe\u0301", "café"),
    ("café", "café"),
    ("ё", "ë"),                                  # Cyrillic io: a look-alike under an accent
    ("ﬁ ℌ ²", "fi h 2"),
    ("\u200b\u2060\ufeff\u00ad", ""),
    ("| `", "l '"),
    ("𑜀", "m"),                                 # folds to rn in the table; m itself stays m
    ("pomegranate 203.0.113.101 100% \"q\"", "pomegranate 203.0.113.101 100% \"q\""),
    ("", ""),
])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize("char", KEPT_ASCII)
def test_ascii_letters_digits_and_wide_prototypes_are_kept(char: str) -> None:
    assert ord(char) in load_prototypes()  # the table maps it, fold does not
    assert fold(char) == char


def test_every_confusables_row_is_applied() -> None:
    """Each plain row of the package's confusables.txt: source and prototype fold alike."""
    prototypes = load_prototypes()
    instead = {prototypes[ord(c)]: c for c in KEPT_ASCII if len(prototypes[ord(c)]) > 1}
    rows = [(chr(cp), target) for cp, target in prototypes.items()
            if cp >= 128 and not unicodedata.decomposition(chr(cp)) and chr(cp).casefold() == chr(cp)]
    assert len(rows) > 2000
    wrong = [(source, target) for source, target in rows if fold(source) != fold(instead.get(target, target))]
    assert wrong == []


@pytest.mark.parametrize("text", [
    "CASINO", "ｃａｓｉｎｏ", "саsinо", "Straße", "İstanbul", "ǅ ᾳ ẖ Ꝺ", "e\u0301\u0327", "е\u0308", "%\"m01|",
])
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def test_fold_is_idempotent_on_every_character_and_on_random_mixes() -> None:
    chars = [chr(cp) for cp in range(0x20000) if not 0xD800 <= cp < 0xE000]
    assert [c for c in chars if fold(fold(c)) != fold(c)] == []
    rng = random.Random(2026)
    marks = [chr(cp) for cp in range(0x300, 0x370)]
    mixes = ["".join(rng.choice(marks if rng.random() < 0.3 else chars) for _ in range(rng.randint(2, 8)))
             for _ in range(20_000)]
    assert [m for m in mixes if fold(fold(m)) != fold(m)] == []


def calls(function: Callable[[str], object], text: str) -> int:
    """How many Python and C function calls one call of function(text) makes."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        count += event in ("call", "c_call")

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        function(text)
    finally:
        sys.setprofile(previous)
    return count


def test_fold_is_linear_in_the_text() -> None:
    """No per-character Python loop: the calls do not grow with the text, the output grows with it."""
    sentence = "Ｂｅｓｔ саsinо\u200b bonus, ϲheap! "
    fold(sentence)  # builds the table once
    assert calls(fold, sentence) == calls(fold, sentence * 160)  # 5,120 characters
    assert fold(sentence * 160) == fold(sentence) * 160


def test_word_matcher_folds_entries_and_keeps_them_for_the_reason() -> None:
    matcher = WordMatcher(["  Cаsino ", "\u200b", "\u00ad\u2060", "viagra"])
    assert matcher.first_match(None, "", "nice post", "ＣＡＳＩＮＯ night") == "Cаsino"
    assert matcher.first_match("a\u200bb", "plain") is None      # an invisible entry is skipped
    assert matcher.first_match("Nice post", "Vіаgrа Shop") == "viagra"
    assert matcher.first_match_folded(fold("Vіаgrа")) == "viagra"
    assert WordMatcher(["\u200b"]).first_match("a\u200bb") is None
