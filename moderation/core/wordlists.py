"""PURE: a site's word lists and blocks, compiled for matching in linear time.

Word lists become Aho-Corasick automata (never a regex built from the lists), so a
10,000-entry list costs one pass over the text; entries and texts are compared folded
(`core.textfold`), so look-alike letters and invisible characters do not dodge them.
Addresses are compared as `core.addresses` reads them, so a block on 203.0.113.0/24 also
stops ::ffff:203.0.113.9.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick

from moderation.core.addresses import IPNetwork, client_ip, parse_network
from moderation.core.textfold import fold


class WordMatcher:
    """Finds the first listed word or phrase in any of several texts, compared folded."""

    def __init__(self, words: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for word in words:
            shown = word.strip()
            key = fold(shown).strip()
            if key:  # an entry of only invisible characters folds to nothing: skip it
                self._automaton.add_word(key, shown)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def first_match(self, *texts: str | None) -> str | None:
        """The listed word (as it was listed) found earliest in the first text that has one, or None."""
        return self._first(fold(text) for text in texts if text)

    def first_match_folded(self, *folded: str) -> str | None:
        """first_match for texts already passed through fold, so several lists can share one fold."""
        return self._first(folded)

    def _first(self, folded: Iterable[str]) -> str | None:
        """Walk the folded texts in order, folding (lazily) only as far as the first match."""
        if self._empty:
            return None
        word: str  # what add_word stored (pyahocorasick ships no types)
        for text in folded:
            for _end, word in self._automaton.iter(text):
                return word
        return None


@dataclass(frozen=True)
class Rules:
    """Everything a site has listed: hold words, spam words, blocked ranges and emails."""

    hold_words: WordMatcher = field(default_factory=lambda: WordMatcher(()))
    spam_words: WordMatcher = field(default_factory=lambda: WordMatcher(()))
    blocked_networks: tuple[IPNetwork, ...] = ()
    blocked_email_digests: frozenset[str] = frozenset()

    def blocked_network(self, address: str | None) -> IPNetwork | None:
        """The blocked range that holds address, if any."""
        ip = client_ip(address)
        if ip is None:
            return None
        return next((net for net in self.blocked_networks if net.version == ip.version and ip in net), None)


def compile_rules(words: Iterable[tuple[str, str]], blocks: Iterable[tuple[str, str]]) -> Rules:
    """Build Rules from (list, word) and (kind, value) rows."""
    words, blocks = list(words), list(blocks)
    return Rules(
        hold_words=WordMatcher(word for kind, word in words if kind == "hold"),
        spam_words=WordMatcher(word for kind, word in words if kind == "spam"),
        blocked_networks=tuple(parse_network(value) for kind, value in blocks if kind == "ip"),
        blocked_email_digests=frozenset(value for kind, value in blocks if kind == "email"),
    )
