"""Dates as day numbers: the ISO texts of a bundle and of fact sets <-> proleptic ordinals.

Conditions compare and subtract dates as whole numbers of days (docs/semantics.md), so every date
a rule or a fact set gives is read once, here, into its ordinal (1 is 0001-01-01).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
"""The only form of a date in a bundle or a fact set (fromisoformat alone also reads 20240101)."""
FAR_PAST, FAR_FUTURE = date.min.toordinal(), date.max.toordinal()


def to_ordinal(iso: str) -> int:
    return date.fromisoformat(iso).toordinal()


def from_ordinal(day: int) -> str:
    return date.fromordinal(day).isoformat()


def parse_date(value: Any) -> int | None:
    """Ordinal of an ISO date string (YYYY-MM-DD, a real calendar date), or None when value is not one."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return None
    try:
        return to_ordinal(value)
    except ValueError:
        return None


def today() -> int:
    return date.today().toordinal()
