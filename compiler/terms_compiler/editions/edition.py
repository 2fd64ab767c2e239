"""Editions: one side of a diff, a bundle as JSON data and the fact sets known for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FactSet:
    """A fact set to compare the editions on."""

    decision: str
    facts: Mapping[str, Any]
    """Fact values as JSON values (dates as ISO strings)."""
    as_of: str | None
    source: str
    """conformance, example or generated."""
    name: str = ""
    """The conformance case's name, or `clause-id: example title`."""


@dataclass(frozen=True, slots=True)
class Edition:
    """One side of a diff: a bundle (as JSON data) and the fact sets known for it."""

    label: str
    """How the user named it: a path or a git revision."""
    kind: str
    """bundle, folder, git or corpus (compiled in this process)."""
    bundle: Mapping[str, Any]
    fact_sets: tuple[FactSet, ...] = ()
    """Conformance cases, then worked examples (with the decision's example_base merged in)."""
    example_bases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Decision id -> example_base, when the side is a corpus (a bundle does not carry them)."""
    revision: str | None = None
    """The git commit, for a git revision; the bundle's source revision otherwise."""
