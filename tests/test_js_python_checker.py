"""Bugs of the Python checker that the JavaScript checker's differential tests found (js/test/)."""

from __future__ import annotations

import pytest
from terms_compiler.check.bundle import Bundle, BundleError


@pytest.mark.parametrize("version", ["\u00b2.0", "\u0661.0", "\uff11.0"])
def test_a_format_version_in_other_digits_is_refused_not_a_crash(version: str) -> None:
    # str.isdigit() holds for "²", which int() cannot read (a ValueError escaped Bundle.load);
    # "١" (Arabic-Indic one) was read as version 1. The schema's pattern is ^1\.[0-9]+$.
    data = {
        "format": "terms-bundle",
        "format_version": version,
        "corpus": "c",
        "languages": ["en"],
        "decisions": {},
        "clauses": {},
    }
    with pytest.raises(BundleError) as error:
        Bundle(data, "b.json")
    assert str(error.value) == f"b.json: format version {version} is not supported; this checker reads 1.x"
