"""PURE: how the service writes a moment: ISO 8601, UTC, to the second, with a `Z`."""

from __future__ import annotations

from datetime import datetime


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z suffix."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
