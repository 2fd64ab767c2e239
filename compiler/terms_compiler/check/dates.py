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


DAYS_IN_400_YEARS = 146_097
"""The proleptic Gregorian calendar repeats every 400 years, which have this many days."""


def day_text(day: int) -> str:
    """A day number as a date in words: its ISO date (YYYY-MM-DD) from 0001-01-01 to
    9999-12-31, and beyond them (a date plus or minus a number of days can go there) ISO 8601's
    expanded form, as JavaScript writes it: a sign and six or more digits of year, year 0 being
    1 BC (+010000-03-30, 0000-12-31, -000001-12-31)."""
    if FAR_PAST <= day <= FAR_FUTURE:
        return from_ordinal(day)
    cycles, day_in_cycle = divmod(day - 1, DAYS_IN_400_YEARS)
    same = date.fromordinal(day_in_cycle + 1)
    year = same.year + 400 * cycles
    shown = f"{year:04d}" if 0 <= year <= 9999 else f"{'+' if year > 0 else '-'}{abs(year):06d}"
    return f"{shown}-{same.month:02d}-{same.day:02d}"


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
