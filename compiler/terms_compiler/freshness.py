"""Translation freshness: which version of the source text each translation was made from."""

from __future__ import annotations

import hashlib

from terms_compiler.model import Clause, ClauseText


def source_hash(text: ClauseText) -> str:
    """Short hash of a source text's title and prose: what a translation records it translates."""
    return text_hash(text.title, text.body)


def text_hash(title: str, body: str) -> str:
    """source_hash of a title and prose (also as read from an old version of a file)."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()[:12]


def translation_status(clause: Clause, language: str, source_language: str) -> str:
    """source, current (records the present source hash), stale (an older one) or unrecorded."""
    if language == source_language:
        return "source"
    recorded = clause.text[language].translates
    if recorded is None:
        return "unrecorded"
    return "current" if recorded == source_hash(clause.text[source_language]) else "stale"
