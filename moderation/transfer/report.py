"""PURE: what an import did (or, dry, would do): counts by state and reason, and what it could not read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from moderation.transfer.records import Problem

KEPT_PROBLEMS = 200  # problems reported one by one; beyond, only counted


@dataclass
class Report:
    """What an import did (or, dry, would do)."""

    articles: set[str] = field(default_factory=set)
    new_articles: int = 0
    states: Counter[str] = field(default_factory=Counter)  # imported comments by state
    skipped: Counter[str] = field(default_factory=Counter)  # left out, by reason
    already: int = 0  # imported by an earlier run
    top_level: int = 0  # replies kept at the top level: their parent was skipped or never came
    without_email: int = 0  # imported without an address (none, or not a valid one)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    def problem(self, position: str, reason: str) -> None:
        """Note an item that could not be imported."""
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(Problem(position, reason))

    def summary(self) -> str:
        """One line for the audit log."""
        states = ", ".join(f"{count} {state}" for state, count in sorted(self.states.items())) or "no comments"
        return (f"{states}; {len(self.articles)} articles ({self.new_articles} new); {self.already} already there; "
                f"{sum(self.skipped.values())} skipped; {self.problem_count} not readable")
