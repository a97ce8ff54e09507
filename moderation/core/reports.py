"""PURE: readers' reports of published comments — what a report may say, and how a hold reads.

A report names one of REASONS and may carry a short note (at most MAX_NOTE characters once
NFC-normalized and trimmed; line breaks and tabs allowed, other control characters not).
`held_reason` is what moderators read beside a comment the reports took off the public list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from moderation.errors import ValidationFailed

REASONS = ("spam", "abuse", "off-topic", "other")
MAX_NOTE = 500
HELD_PREFIX = "Reported by "  # how every hold by readers' reports starts its reason
SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ReportInput:
    """A valid report: its reason, and its note (None when there is none)."""

    reason: str
    note: str | None


def parse_report(data: Mapping[str, object]) -> ReportInput:
    """Validate a report's fields; raise ValidationFailed naming every bad one."""
    errors: dict[str, str] = {}
    reason = data.get("reason")
    if not isinstance(reason, str) or reason not in REASONS:
        errors["reason"] = "must be one of " + ", ".join(REASONS)
    note: str | None = None
    try:
        note = _note(data.get("note"))
    except ValueError as error:
        errors["note"] = str(error)
    if errors:
        raise ValidationFailed(errors, "The report was not sent.")
    assert isinstance(reason, str)  # checked above: no error, so one of REASONS
    return ReportInput(reason, note)


def _note(value: object) -> str | None:
    """An optional note: null, absent or blank is none; else a string of at most MAX_NOTE characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if not value.isascii() and SURROGATE.search(value):
        raise ValueError("must be valid Unicode text")
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) > MAX_NOTE:
        raise ValueError(f"must be at most {MAX_NOTE} characters (it has {len(text)})")
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in text):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return text or None


def held_reason(by_reason: Mapping[str, int]) -> str:
    """Why readers' reports held a comment: "Reported by 3 readers: spam ×2, abuse ×1" (most first)."""
    total = sum(by_reason.values())
    order = sorted((reason for reason, count in by_reason.items() if count),
                   key=lambda reason: (-by_reason[reason], REASONS.index(reason) if reason in REASONS else 99))
    readers = "reader" if total == 1 else "readers"
    return f"{HELD_PREFIX}{total} {readers}: " + ", ".join(f"{reason} ×{by_reason[reason]}" for reason in order)


def is_held_by_reports(reason: str | None) -> bool:
    """True when a comment's reason says readers' reports held it."""
    return bool(reason) and str(reason).startswith(HELD_PREFIX)
