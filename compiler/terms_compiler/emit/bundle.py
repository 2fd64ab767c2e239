"""Emit stage (bundle): the linked corpus -> one canonical JSON rule bundle for tools."""

from __future__ import annotations

import gzip
import hashlib
import json
import marshal
from collections.abc import Mapping
from itertools import chain
from pathlib import Path
from typing import Any

from terms_compiler import __version__
from terms_compiler.check.pattern import schema_pattern
from terms_compiler.freshness import translation_status
from terms_compiler.model import Clause, Corpus, Decision, Fact
from terms_compiler.prose import (
    format_value,
    resolve_links,
    substitute,
    to_html_and_plain_text,
    to_plain_text,
)
from terms_compiler.workers import POOL_FAILURES, forked_pool, worker_count

FORMAT = "terms-bundle"
FORMAT_VERSION = "1.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _canonical_encoder() -> json.JSONEncoder:
    return json.JSONEncoder(sort_keys=True, ensure_ascii=False, indent=1)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, fixed indentation, UTF-8, final newline: same value, same bytes."""
    return (_canonical_encoder().encode(value) + "\n").encode()


def write_canonical_json(value: Any, path: Path) -> str:
    """Write canonical_json(value) to path a megabyte at a time and return its SHA-256: a large
    bundle is not held twice more in memory, as one text and as its bytes."""
    digest = hashlib.sha256()
    pending: list[str] = []
    size = 0
    with path.open("wb") as stream:
        for piece in chain(_canonical_encoder().iterencode(value), ("\n",)):
            pending.append(piece)
            size += len(piece)
            if size >= 1 << 20:
                data = "".join(pending).encode()
                digest.update(data)
                stream.write(data)
                pending.clear()
                size = 0
        data = "".join(pending).encode()
        digest.update(data)
        stream.write(data)
    return digest.hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clause_page(corpus: Corpus, clause_id: str) -> str:
    """Page path of a clause inside an edition's site (<lang>/<edition>/)."""
    return f"{corpus.clauses[clause_id].section}/#{clause_id}"


def clause_url(corpus: Corpus, clause_id: str, language: str) -> str:
    """Page path of a clause on the site, relative to the site root (the edition's address)."""
    return f"{language}/{corpus.edition}/{clause_page(corpus, clause_id)}"


def term_url(corpus: Corpus, term_id: str, language: str) -> str:
    return f"{language}/{corpus.edition}/glossary/#{term_id}"


def term_titles(corpus: Corpus) -> dict[tuple[str, str], str]:
    """(term id, language) -> its definition as plain text, the hover title of its links."""
    return {
        (term.id, language): to_plain_text(text.definition)
        for term in corpus.glossary.values()
        for language, text in term.text.items()
    }


def rendered_markdown(
    corpus: Corpus, clause: Clause, language: str, titles: Mapping[tuple[str, str], str] | None = None
) -> str:
    """The clause body in a language with parameters substituted and links pointing at the site.

    Links are relative to the clause's page (../glossary/#term), so the same text works on the
    site and, resolved against the clause's url, from the bundle; a defined term's link carries
    its definition as a title.
    """
    values = {name: format_value(p.type, p.value, language) for name, p in clause.parameters.items()}

    def url_for(scheme: str, target: str) -> tuple[str, str]:
        if scheme == "term":
            title = (
                titles[(target, language)]
                if titles is not None
                else to_plain_text(corpus.glossary[target].text[language].definition)
            )
            return f"../glossary/#{target}", title
        return "../" + clause_page(corpus, target), ""

    return resolve_links(substitute(clause.text[language].body, values), url_for)


def fact_schema(fact: Fact, corpus: Corpus, language: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": fact.description.get(language, "")}
    if fact.type == "enum":
        schema["enum"] = list(corpus.enums[fact.enum or ""].values)
    elif fact.type == "date":
        schema.update(type="string", format="date", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    else:
        schema["type"] = {"int": "integer", "bool": "boolean", "string": "string"}[fact.type]
    if fact.pattern is not None:
        schema["pattern"] = schema_pattern(fact.pattern)
    if fact.default is not None:
        schema["default"] = fact.default
    return schema


def facts_schema(decision: Decision, corpus: Corpus) -> dict[str, Any]:
    """A JSON Schema tools can validate their input against before asking."""
    language = corpus.source_language
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": f"Facts of decision {decision.id}",
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, fact in decision.facts.items() if fact.required],
        "properties": {name: fact_schema(fact, corpus, language) for name, fact in decision.facts.items()},
    }


def decision_json(corpus: Corpus, decision: Decision) -> dict[str, Any]:
    facts = {}
    for name, fact in decision.facts.items():
        entry: dict[str, Any] = {"type": fact.type, "description": dict(fact.description)}
        if fact.enum is not None:
            entry["enum"] = fact.enum
            entry["values"] = list(corpus.enums[fact.enum].values)
        if fact.pattern is not None:
            entry["pattern"] = fact.pattern
        if fact.default is not None:
            entry["default"] = fact.default
        facts[name] = entry
    rules = []
    for clause in corpus.all_clauses():
        rule = clause.rule
        if rule is None or rule.decision != decision.id or rule.condition is None:
            continue
        rules.append(
            {
                "clause": clause.id,
                "outcome": rule.outcome,
                "when": rule.condition,
                "source": " ".join(rule.when.split()),
                "parameters": {n: {"type": p.type, "value": p.value} for n, p in clause.parameters.items()},
                "effective": {"from": clause.effective.start, "until": clause.effective.end},
                "overrides": list(rule.overrides),
            }
        )
    return {
        "question": dict(decision.question),
        "outcomes": {k: dict(v) for k, v in decision.outcomes.items()},
        "default": decision.default,
        "as_of": decision.as_of,
        "facts": facts,
        "facts_schema": facts_schema(decision, corpus),
        "rules": rules,
    }


def render_texts(markdowns: list[str]) -> list[tuple[str, str]]:
    """Each Markdown text's HTML and plain text, in order."""
    return _parse_all(markdowns)


PARALLEL_FROM = 4000  # texts; fewer are parsed in this process (starting workers costs more)


def _parse_all(texts: list[str]) -> list[tuple[str, str]]:
    # Parsing Markdown is pure Python and most of the compile at scale (7 s of 2,000 clauses x 10
    # languages), and each text is independent: so it is spread over the machine's cores.
    workers = worker_count(len(texts), PARALLEL_FROM)
    if not workers:
        return [to_html_and_plain_text(text) for text in texts]
    size = max(1, len(texts) // (workers * 32))  # small blocks: less memory in flight
    parsed: list[tuple[str, str]] = []
    try:
        with forked_pool(workers) as pool:
            blocks = [texts[i : i + size] for i in range(0, len(texts), size)]
            for block in pool.map(_parse_block, blocks):
                # Blocks come as bytes and are unpacked here, in the main thread: the executor's
                # result thread allocates from another malloc arena, which keeps its peak.
                parsed.extend(marshal.loads(block))
    except POOL_FAILURES:
        return [to_html_and_plain_text(text) for text in texts]
    return parsed


def _parse_block(texts: list[str]) -> bytes:
    return marshal.dumps([to_html_and_plain_text(text) for text in texts])


def clause_json(
    corpus: Corpus,
    clause: Clause,
    markdowns: Mapping[str, tuple[str, str]],
    renders: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    """A clause in the bundle; `markdowns`: language -> its rendered_markdown and that text's
    SHA-256; `renders`: render_texts of them."""
    text = {}
    for language in corpus.languages:
        markdown, digest = markdowns[language]
        html, plain = renders[digest]
        text[language] = {
            "title": clause.text[language].title,
            "markdown": markdown,
            "html": html,
            "freshness": translation_status(clause, language, corpus.source_language),
            "plain": plain,
            "hash": digest,
            "url": clause_url(corpus, clause.id, language),
        }
    return {
        "section": clause.section,
        "decision": clause.rule.decision if clause.rule else None,
        "effective": {"from": clause.effective.start, "until": clause.effective.end},
        "text": text,
    }


def clause_markdowns(corpus: Corpus) -> dict[str, dict[str, tuple[str, str]]]:
    """Each clause's prose per language as the bundle renders it (placeholders filled, links
    resolved), with that text's SHA-256: clause id -> language -> (Markdown, digest)."""
    titles = term_titles(corpus)
    markdowns: dict[str, dict[str, tuple[str, str]]] = {}
    for clause in corpus.all_clauses():
        texts = (rendered_markdown(corpus, clause, language, titles) for language in corpus.languages)
        markdowns[clause.id] = {
            language: (text, sha256_hex(text.encode()))
            for language, text in zip(corpus.languages, texts, strict=True)
        }
    return markdowns


def build_bundle(corpus: Corpus, source_revision: str | None) -> dict[str, Any]:
    """The bundle as a JSON value, every text rendered here (the build reuses earlier renders:
    see pipeline._render_bundle)."""
    markdowns = clause_markdowns(corpus)
    texts = {digest: text for by_language in markdowns.values() for text, digest in by_language.values()}
    renders = dict(zip(texts, render_texts(list(texts.values())), strict=True))
    return bundle_json(corpus, source_revision, markdowns, renders)


def bundle_json(
    corpus: Corpus,
    source_revision: str | None,
    markdowns: Mapping[str, Mapping[str, tuple[str, str]]],
    renders: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    """The bundle as a JSON value, from clause_markdowns and the render (HTML, plain text) of
    each of their texts by digest."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "compiler_version": __version__,
        "corpus": corpus.id,
        "title": dict(corpus.title),
        "edition": corpus.edition,
        "edition_date": corpus.edition_date,
        "source_revision": source_revision,
        "source_language": corpus.source_language,
        "languages": list(corpus.languages),
        "enums": {
            name: {"values": {v: dict(labels) for v, labels in enum.values.items()}}
            for name, enum in corpus.enums.items()
        },
        "decisions": {d.id: decision_json(corpus, d) for d in corpus.decisions.values()},
        "clauses": {c.id: clause_json(corpus, c, markdowns[c.id], renders) for c in corpus.all_clauses()},
        "changes": None,
        "glossary": {
            t.id: {
                lang: {"term": x.term, "definition": x.definition, "url": term_url(corpus, t.id, lang)}
                for lang, x in t.text.items()
            }
            for t in corpus.glossary.values()
        },
    }


def digest_line(digest: str, file_name: str) -> str:
    """The .sha256 file's content (digest in hex), in the format `sha256sum -c` reads."""
    return f"{digest}  {file_name}\n"


def example_facts(decision: Decision, facts: Mapping[str, Any]) -> dict[str, Any]:
    return {**decision.example_base, **facts}


# Rules files -----------------------------------------------------------------------------------
# A decision's page on the site answers with the JavaScript checker, and at 2,000 clauses x 10
# languages the bundle is 112 MB: the page loads instead the rules of its one decision in its one
# language, a bundle-shaped file any checker reads as a bundle (docs/rules-files.md).


def rules_file_name(corpus_id: str, decision_id: str, language: str) -> str:
    """`<corpus>.rules.<decision>.<language>.json`: beside the bundle, in its folder (so a signed
    build's signature lists it), with its own `.sha256`."""
    return f"{corpus_id}.rules.{decision_id}.{language}.json"


def write_rules_files(bundle: Mapping[str, Any], folder: Path) -> None:
    """Each decision's rules file in each language into folder, with its `.sha256` and a gzip copy
    (`.gz`, no name or time in its header: the same bytes at every build) that a page decompresses
    itself, so it loads a large decision's rules compressed from any static server."""
    for decision_id in bundle["decisions"]:
        for language in bundle["languages"]:
            name = rules_file_name(bundle["corpus"], decision_id, language)
            data = canonical_json(rules_json(bundle, decision_id, language))
            (folder / name).write_bytes(data)
            (folder / f"{name}.sha256").write_text(digest_line(sha256_hex(data), name), encoding="utf-8")
            (folder / f"{name}.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def rules_json(bundle: Mapping[str, Any], decision_id: str, language: str) -> dict[str, Any]:
    """The bundle cut down to one decision in one language: the decision as the bundle has it, the
    enums its facts name, and each clause its rules cite with its title, url, hash and freshness in
    that language (its words, `markdown`, `html` and `plain`, left empty: the page links to them)."""
    decision = bundle["decisions"][decision_id]
    cited = dict.fromkeys(rule["clause"] for rule in decision["rules"])
    enums = {fact["enum"] for fact in decision["facts"].values() if "enum" in fact}
    clauses = {}
    for clause_id in cited:
        clause = bundle["clauses"][clause_id]
        text = clause["text"][language]
        clauses[clause_id] = {
            "section": clause["section"],
            "decision": clause["decision"],
            "effective": clause["effective"],
            "text": {language: {**text, "markdown": "", "html": "", "plain": ""}},
        }
    return {
        **bundle,
        "languages": [language],
        "enums": {name: value for name, value in bundle["enums"].items() if name in enums},
        "decisions": {decision_id: decision},
        "clauses": clauses,
        "glossary": {},
        "changes": None,
    }
