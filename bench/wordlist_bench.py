"""Word-list matching: a 10,000-entry list against comments of growing length.

Measures moderation.rules.WordMatcher (fold every text, then Aho-Corasick) and, in the same
run, two baselines: matching as it was before folding (casefold, then the automaton) and
the naive `any(word in text for word in words)`. Reports the fold and the
automaton separately, and time per character, which stays flat when both are
linear in the text; then fold alone on text in other scripts. Each figure is the best of
its runs, as timeit advises: on a small shared machine the median swings with other work.
Run: .venv/bin/python bench/wordlist_bench.py
"""

from __future__ import annotations

import json
import platform
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moderation.core.textfold import fold  # noqa: E402
from moderation.core.wordlists import WordMatcher  # noqa: E402

ENTRIES = 10_000
LENGTHS = (625, 1250, 2500, 5000, 10_000, 20_000)
REPEATS = 25
RESULTS = Path(__file__).parent / "results"
FIELDS = ("Ann", "ann@example.org", "", "203.0.113.5")

TEXT_LETTERS = string.ascii_lowercase.replace("q", "")
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def word(rng: random.Random) -> str:
    """A listed word: it starts with 'q', which the texts never contain, so none matches."""
    return "q" + "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 13)))


def comment_text(rng: random.Random, length: int, letters: str = TEXT_LETTERS) -> str:
    """Text of exactly `length` characters, in words, that holds no listed word."""
    words = []
    while sum(len(w) + 1 for w in words) <= length:
        words.append("".join(rng.choice(letters) for _ in range(rng.randint(2, 9))))
    return " ".join(words)[:length]


def best_seconds(function, repeats: int = REPEATS) -> float:  # type: ignore[no-untyped-def]
    """The fastest of `repeats` timed calls: the cost without other processes' interference."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return min(samples)


def by_length(rng: random.Random, matcher: WordMatcher, words: list[str]) -> list[dict]:
    """first_match on every field, split into folding and the automaton, against the naive scan."""
    rows = []
    for length in LENGTHS:
        text = comment_text(rng, length)
        assert matcher.first_match(text) is None and len(text) == length
        folded = [fold(t) for t in (text, *FIELDS) if t]
        lowered = text.casefold()
        total = best_seconds(lambda: matcher.first_match(text, *FIELDS))
        folding = best_seconds(lambda: [fold(t) for t in (text, *FIELDS) if t])
        matching = best_seconds(lambda: matcher.first_match_folded(*folded))
        before = best_seconds(lambda: matcher.first_match_folded(*(t.casefold() for t in (text, *FIELDS) if t)))
        naive = best_seconds(lambda: any(w in lowered for w in words), repeats=5)
        rows.append({"chars": length, "total_us": total * 1e6, "fold_us": folding * 1e6,
                     "match_us": matching * 1e6, "before_us": before * 1e6, "us_per_1000_chars": total * 1e9 / length,
                     "naive_us": naive * 1e6, "speedup": naive / total})
    return rows


def by_script(rng: random.Random) -> list[dict]:
    """fold alone on 5,000 characters: English, Russian, and only characters the table changes."""
    lookalikes = [c for c in map(chr, range(0x20000)) if not 0xD800 <= ord(c) < 0xE000 and fold(c) != c]
    texts = {
        "English (ASCII)": comment_text(rng, 5000),
        "English with quotes, %, capitals": comment_text(rng, 5000, TEXT_LETTERS + TEXT_LETTERS.upper() + '"%'),
        "Russian (Cyrillic)": comment_text(rng, 5000, CYRILLIC),
        "half Russian, half English": comment_text(rng, 2500, CYRILLIC) + comment_text(rng, 2500),
        "every character a look-alike": "".join(rng.choice(lookalikes) for _ in range(5000)),
    }
    return [{"text": name, "chars": len(text), "fold_us": best_seconds(lambda: fold(text), 50) * 1e6,
             "casefold_us": best_seconds(lambda: text.casefold(), 50) * 1e6} for name, text in texts.items()]


def main() -> None:
    rng = random.Random(2026)
    words = [word(rng) for _ in range(ENTRIES)]
    start = time.perf_counter()
    fold("")  # the first fold in a process builds the translate table
    table_seconds = time.perf_counter() - start
    start = time.perf_counter()
    matcher = WordMatcher(words)
    compile_seconds = time.perf_counter() - start
    rows = by_length(rng, matcher, words)
    text = comment_text(rng, 5000)
    sizes = []
    for size in (100, 1_000, 10_000, 50_000):
        listed = (words * (size // ENTRIES + 1))[:size] if size <= ENTRIES else words + [word(rng) for _ in range(size - ENTRIES)]
        sized = WordMatcher(listed)
        sizes.append({"entries": size, "us": best_seconds(lambda: sized.first_match(text)) * 1e6})
    planted = comment_text(rng, 4990) + " " + words[-1]
    assert matcher.first_match(planted) == words[-1]
    summary = {"entries": ENTRIES, "table_ms": table_seconds * 1e3, "compile_ms": compile_seconds * 1e3,
               "rows": rows, "by_size": sizes, "by_script": by_script(rng),
               "python": platform.python_version(), "machine": platform.machine()}
    print(json.dumps(summary, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "wordlist.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / "wordlist.md").write_text(report(summary))


def report(summary: dict) -> str:
    """The Markdown page of bench/results/wordlist.md."""
    lines = [
        "# Word-list matching benchmark",
        "",
        f"`bench/wordlist_bench.py`, {summary['entries']:,} entries, Python {summary['python']} on "
        f"{summary['machine']}; best of {REPEATS} runs (naive: 5). Once per process, folding's table "
        f"took {summary['table_ms']:.0f} ms to build; compiling the automaton (folding every entry) took "
        f"{summary['compile_ms']:.0f} ms, again only when the lists change.",
        "",
        "`first_match` of a comment and its four other fields (name, email, website, IP): folding them "
        "(moderation/core/textfold.py) and walking the automaton over the folded texts.",
        "",
        "| comment length (chars) | first_match (µs) | of which fold (µs) | of which automaton (µs) "
        "| before folding (µs) | µs per 1,000 chars | naive `any(w in text)` (µs) | speed-up |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["rows"]:
        lines.append(f"| {row['chars']:,} | {row['total_us']:.1f} | {row['fold_us']:.1f} | {row['match_us']:.1f} | "
                     f"{row['before_us']:.1f} | {row['us_per_1000_chars']:.2f} | {row['naive_us']:,.0f} | {row['speedup']:,.0f}× |")
    first, last = summary["rows"][0], summary["rows"][-1]
    growth = last["total_us"] / first["total_us"]
    five = next(row for row in summary["rows"] if row["chars"] == 5000)
    lines += ["", f"From {first['chars']:,} to {last['chars']:,} characters ({last['chars'] // first['chars']}× the "
              f"text) the time grew {growth:.1f}×: linear in the text. At 5,000 characters folding made "
              f"first_match {five['total_us'] / five['before_us']:.1f}× its cost before folding "
              f"({five['before_us']:.1f} µs, measured in the same run).", "",
              "A 5,000-character comment against lists of different sizes:", "",
              "| list entries | first_match (µs) |", "|---:|---:|"]
    lines += [f"| {row['entries']:,} | {row['us']:.1f} |" for row in summary["by_size"]]
    lines += ["", "The list's size barely matters: the automaton walks the text once.", "",
              "Folding alone, 5,000 characters of different text (ASCII stays on `str.translate`'s fast path; "
              "other scripts cost a dictionary look-up per character):", "",
              "| text | fold (µs) | casefold alone, as before (µs) |", "|---|---:|---:|"]
    lines += [f"| {row['text']} | {row['fold_us']:.0f} | {row['casefold_us']:.0f} |" for row in summary["by_script"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
