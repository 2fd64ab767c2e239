"""Model stage: validated documents -> frozen dataclasses (Corpus, Section, Clause, Decision, Term)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terms_compiler.diagnostics import Diagnostic, SourceSpan
from terms_compiler.load import Document
from terms_compiler.places import place_name
from terms_compiler.yaml_reader import JsonPath

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
Localized = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a model object came from: its document and JSON path, to locate errors in it."""

    document: Document
    path: JsonPath

    def span(self, *sub: str | int) -> SourceSpan:
        return self.document.span((*self.path, *sub))

    def span_in(self, offset: int, *sub: str | int) -> SourceSpan:
        return self.document.span_in_scalar((*self.path, *sub), offset)

    def __repr__(self) -> str:
        span = self.span()
        return f"{span.file}:{span.line}:{span.column}"


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    """Enum name, referenced by facts of type enum."""
    values: Mapping[str, Localized]
    """Value id -> label per language, in declaration order."""
    description: Localized
    """What the values stand for."""


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    """Fact name (snake_case), the key tools pass."""
    type: str
    """bool, int, date, string or enum."""
    enum: str | None
    """For enum facts: the enum's name."""
    description: Localized
    """Noun phrase per language, used in explanations."""
    default: Any
    """Value used when the caller leaves the fact out; None when the fact is required."""
    origin: Origin
    pattern: str | None = None
    """For string facts: the regular expression the whole value must match (check/pattern.py)."""

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def qualified_type(self) -> str:
        """The type as the condition language writes it: enum:<name> for enums."""
        return f"enum:{self.enum}" if self.type == "enum" else self.type


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    """Decision id tools pass to `terms check --decision`."""
    question: Localized
    title: Localized
    """A short name per language for navigation and the page title (the question when the
    corpus gives none)."""
    outcomes: Mapping[str, Localized]
    """Outcome id -> label per language."""
    default: str
    """Outcome when no rule applies."""
    as_of: str | None
    """The date fact the decision is evaluated as of, or None for the caller's date."""
    facts: Mapping[str, Fact]
    example_base: Mapping[str, Any]
    """Fact values every example starts from."""
    origin: Origin


@dataclass(frozen=True, slots=True)
class TermText:
    term: str
    definition: str
    translates: str | None
    """Hash of the source text this translation was made from (None in the source language)."""


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    """Glossary id, linked from prose as term:<id>."""
    text: Mapping[str, TermText]
    origin: Origin


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: str
    """int, bool, date or string (an ISO date string is a date)."""
    value: Any
    """The value as written (dates as ISO strings)."""
    origin: Origin


@dataclass(frozen=True, slots=True)
class ClauseText:
    title: str
    body: str
    """Markdown prose with {{ parameter }} placeholders and term:/clause: links."""
    translates: str | None
    """Hash of the source text this translation was made from."""


@dataclass(frozen=True, slots=True)
class Rule:
    decision: str
    """Decision the rule answers."""
    when: str
    """The condition as the editor wrote it."""
    outcome: str
    overrides: tuple[str, ...]
    """Clause ids whose rules this rule beats when both apply."""
    origin: Origin
    condition: Mapping[str, Any] | None = None
    """Typed JSON AST of `when`, set by the link stage."""


@dataclass(frozen=True, slots=True)
class Example:
    title: str
    facts: Mapping[str, Any]
    """Fact values as the example states them (without the decision's example_base)."""
    as_of: str | None
    outcome: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class Effective:
    start: str | None
    """First day in effect (ISO date), resolved from a parameter when one is named."""
    end: str | None
    """Last day in effect (ISO date)."""
    start_parameter: str | None = None
    end_parameter: str | None = None


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    """Stable clause id; the anchor on the site and the id tools cite."""
    section: str
    """Id of the section holding the clause."""
    text: Mapping[str, ClauseText]
    parameters: Mapping[str, Parameter]
    effective: Effective
    rule: Rule | None
    examples: tuple[Example, ...]
    notes: str
    """Editor notes; never published."""
    origin: Origin


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: Localized
    clauses: tuple[Clause, ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class PublishedEdition:
    """An edition published before the current one (corpus.yaml's `editions`)."""

    id: str
    date: str
    """The day it was published: in force from then until the next edition's date."""
    source: str
    """A git revision of the corpus's repository, or a folder relative to corpus.yaml."""


@dataclass(frozen=True, slots=True)
class Corpus:
    id: str
    title: Localized
    description: Localized
    source_language: str
    languages: tuple[str, ...]
    edition: str
    edition_date: str | None
    """Publication date of the edition (reproducible builds take dates from here, not the clock)."""
    previous_edition: str | None
    """Git revision (or folder) of the previous edition, for the list of changes: the first of
    `editions` when the corpus lists them."""
    editions: tuple[PublishedEdition, ...]
    """The editions published before this one, newest first (the site's archive)."""
    conformance: Path | None
    """The folder of conformance cases corpus.yaml names (resolved against its folder), if any."""
    site_url: str | None
    """Where the site is published (ends in /), for canonical links and sitemaps."""
    feedback: str | None
    """Where readers report a problem with a clause (an https:// URL template or a mailto:)."""
    enums: Mapping[str, Enum]
    decisions: Mapping[str, Decision]
    glossary: Mapping[str, Term]
    sections: tuple[Section, ...]
    clauses: Mapping[str, Clause] = field(default_factory=dict)
    """Every clause by id, across sections."""

    def all_clauses(self) -> Iterator[Clause]:
        for section in self.sections:
            yield from section.clauses


def parameter_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "date" if is_iso_date(value) else "string"


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _quoted_place(doc: Document, path: JsonPath) -> str:
    """`'text' of clause 'buying.intro'`: the key, and the clause, term or mapping it belongs to."""
    owner = place_name(doc.data, path[:-1])
    return f"'{path[-1]}' of {owner}" if owner else f"'{path[-1]}'"


def build(documents: list[Document]) -> tuple[Corpus, list[Diagnostic]]:
    """Build the model from schema-valid documents, with the problems found on the way."""
    builder = _Builder()
    by_kind = {doc.kind: doc for doc in documents if doc.kind != "section"}
    corpus_doc = by_kind["corpus"]
    meta = corpus_doc.data
    languages = tuple(meta["languages"])
    builder.check_corpus(corpus_doc, languages)
    editions = builder.editions(corpus_doc)
    enums = builder.enums(by_kind["decisions"], languages)
    decisions = builder.decisions(by_kind["decisions"], languages)
    glossary = builder.glossary(by_kind["glossary"], languages)
    sections = tuple(builder.section(doc, languages) for doc in documents if doc.kind == "section")
    builder.check_unique_ids(sections)
    corpus = Corpus(
        id=meta["id"],
        title=meta["title"],
        description=meta.get("description", {}),
        source_language=meta["source_language"],
        languages=languages,
        edition=meta["edition"],
        edition_date=meta.get("edition_date"),
        previous_edition=editions[0].source if editions else meta.get("previous_edition"),
        editions=editions,
        conformance=builder.conformance_folder(corpus_doc),
        site_url=meta.get("site_url"),
        feedback=meta.get("feedback"),
        enums=enums,
        decisions=decisions,
        glossary=glossary,
        sections=sections,
        clauses={clause.id: clause for s in sections for clause in s.clauses},
    )
    return corpus, builder.problems


class _Builder:
    def __init__(self) -> None:
        self.problems: list[Diagnostic] = []

    def report(self, code: str, message: str, span: SourceSpan, hint: str = "") -> None:
        self.problems.append(Diagnostic(code, message, span, hint=hint))

    def check_corpus(self, doc: Document, languages: tuple[str, ...]) -> None:
        source = doc.data["source_language"]
        if source not in languages:
            self.report(
                "E301",
                f"the source language '{source}' is not in languages [{', '.join(languages)}]",
                doc.span(("source_language",)),
            )
        elif languages[0] != source:
            self.report(
                "E301", f"languages must list the source language '{source}' first", doc.span(("languages",))
            )
        for key in ("title", "description"):
            if key in doc.data:
                self.localized(doc, (key,), languages)

    def editions(self, doc: Document) -> tuple[PublishedEdition, ...]:
        """corpus.yaml's earlier editions: ids unique and not the current one, dates newest
        first and before the current edition's (which must then have one), and no
        `previous_edition` beside them (the first edition listed is the previous one)."""
        listed = doc.data.get("editions", [])
        editions = tuple(PublishedEdition(e["id"], e["date"], e["source"]) for e in listed)
        if not editions:
            return ()
        if "previous_edition" in doc.data:
            self.report(
                "E307",
                "previous_edition and editions are both given",
                doc.span(("previous_edition",)),
                hint="remove previous_edition: the first of editions is the previous edition",
            )
        if "edition_date" not in doc.data:
            self.report(
                "E307",
                "a corpus that lists editions needs its own edition_date",
                doc.span(("edition",)),
                hint="add edition_date: the day this edition is published",
            )
        later_id, later_date = doc.data["edition"], doc.data.get("edition_date")
        seen = {later_id}
        for index, edition in enumerate(editions):
            if edition.id in seen:
                self.report(
                    "E307", f"edition '{edition.id}' is listed twice", doc.span(("editions", index, "id"))
                )
            elif later_date is not None and edition.date >= later_date:
                self.report(
                    "E307",
                    f"edition '{edition.id}' of {edition.date} is listed after '{later_id}' of "
                    f"{later_date}: editions are listed newest first, each before the next",
                    doc.span(("editions", index, "date")),
                )
            seen.add(edition.id)
            later_id, later_date = edition.id, edition.date
        return editions

    def conformance_folder(self, doc: Document) -> Path | None:
        if "conformance" not in doc.data:
            return None
        folder: Path = doc.source.parent / doc.data["conformance"]
        if not folder.is_dir():
            self.report(
                "E306",
                f"the conformance folder '{doc.data['conformance']}' does not exist",
                doc.span(("conformance",)),
                hint="name a folder of conformance cases, relative to corpus.yaml",
            )
        return folder

    def localized(self, doc: Document, path: JsonPath, languages: tuple[str, ...]) -> None:
        """Report a language missing from, or unknown to, a per-language mapping."""
        value = doc.data
        for key in path:
            value = value[key]
        for language in value:
            if language not in languages:
                self.report(
                    "E302",
                    f"unknown language '{language}'; the corpus languages are {', '.join(languages)}",
                    doc.span((*path, language)),
                    hint="add it to languages in corpus.yaml or remove this entry",
                )
        missing = [lang for lang in languages if lang not in value]
        if missing:
            languages_missing = f"language{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            self.report(
                "E303",
                f"missing {languages_missing} in {_quoted_place(doc, path)}",
                doc.span(path),
            )

    def enums(self, doc: Document, languages: tuple[str, ...]) -> dict[str, Enum]:
        result = {}
        for name, spec in doc.data["enums"].items():
            base = ("enums", name)
            if "description" in spec:
                self.localized(doc, (*base, "description"), languages)
            for value in spec["values"]:
                self.localized(doc, (*base, "values", value), languages)
            result[name] = Enum(name, spec["values"], spec.get("description", {}))
        return result

    def decisions(self, doc: Document, languages: tuple[str, ...]) -> dict[str, Decision]:
        result = {}
        for decision_id, spec in doc.data["decisions"].items():
            base = ("decisions", decision_id)
            self.localized(doc, (*base, "question"), languages)
            if "title" in spec:
                self.localized(doc, (*base, "title"), languages)
            for outcome in spec["outcomes"]:
                self.localized(doc, (*base, "outcomes", outcome), languages)
            facts = {}
            for name, fact in spec["facts"].items():
                self.localized(doc, (*base, "facts", name, "description"), languages)
                facts[name] = Fact(
                    name,
                    fact["type"],
                    fact.get("enum"),
                    fact["description"],
                    fact.get("default"),
                    Origin(doc, (*base, "facts", name)),
                    fact.get("pattern"),
                )
            result[decision_id] = Decision(
                decision_id,
                spec["question"],
                spec.get("title", spec["question"]),
                spec["outcomes"],
                spec["default"],
                spec.get("as_of"),
                facts,
                spec.get("example_base", {}),
                Origin(doc, base),
            )
        return result

    def glossary(self, doc: Document, languages: tuple[str, ...]) -> dict[str, Term]:
        result: dict[str, Term] = {}
        for index, spec in enumerate(doc.data["terms"]):
            path = ("terms", index)
            self.localized(doc, (*path, "text"), languages)
            if spec["id"] in result:
                self.duplicate("term", spec["id"], doc.span((*path, "id")), result[spec["id"]].origin)
                continue
            text = {
                lang: TermText(t["term"], t["definition"], t.get("translates"))
                for lang, t in spec["text"].items()
            }
            result[spec["id"]] = Term(spec["id"], text, Origin(doc, path))
        return result

    def section(self, doc: Document, languages: tuple[str, ...]) -> Section:
        data = doc.data
        self.localized(doc, ("title",), languages)
        clauses = tuple(
            self.clause(doc, ("clauses", i), data["id"], languages) for i in range(len(data["clauses"]))
        )
        return Section(data["id"], data["title"], clauses, Origin(doc, ()))

    def clause(self, doc: Document, path: JsonPath, section: str, languages: tuple[str, ...]) -> Clause:
        spec = doc.data[path[0]][path[1]]
        origin = Origin(doc, path)
        self.localized(doc, (*path, "text"), languages)
        parameters = {
            name: Parameter(name, parameter_type(value), value, Origin(doc, (*path, "parameters", name)))
            for name, value in spec.get("parameters", {}).items()
        }
        rule_spec = spec.get("rule")
        rule = (
            None
            if rule_spec is None
            else Rule(
                rule_spec["decision"],
                rule_spec["when"],
                rule_spec["outcome"],
                tuple(rule_spec.get("overrides", ())),
                Origin(doc, (*path, "rule")),
            )
        )
        examples = tuple(
            Example(
                e.get("title", ""),
                e["facts"],
                e.get("as_of"),
                e["outcome"],
                Origin(doc, (*path, "examples", i)),
            )
            for i, e in enumerate(spec.get("examples", ()))
        )
        text = {
            lang: ClauseText(t["title"], t["body"], t.get("translates")) for lang, t in spec["text"].items()
        }
        return Clause(
            spec["id"],
            section,
            text,
            parameters,
            self.effective(spec.get("effective", {}), parameters, origin),
            rule,
            examples,
            spec.get("notes", ""),
            origin,
        )

    def effective(
        self, spec: Mapping[str, str], parameters: Mapping[str, Parameter], origin: Origin
    ) -> Effective:
        bounds: dict[str, str | None] = {}
        names: dict[str, str | None] = {}
        for key in ("from", "until"):
            value = spec.get(key)
            names[key] = None
            if value is None or is_iso_date(value):
                bounds[key] = value
            elif value in parameters and parameters[value].type == "date":
                bounds[key], names[key] = parameters[value].value, value
            else:
                bounds[key] = None
                self.report(
                    "E304",
                    f"effective.{key} '{value}' is neither a date (YYYY-MM-DD) "
                    "nor a date parameter of this clause",
                    origin.span("effective", key),
                )
        if bounds["from"] and bounds["until"] and bounds["from"] > bounds["until"]:
            self.report(
                "E304",
                f"the clause is in effect from {bounds['from']} until "
                f"{bounds['until']}: it ends before it starts",
                origin.span("effective"),
            )
        return Effective(bounds["from"], bounds["until"], names["from"], names["until"])

    def check_unique_ids(self, sections: tuple[Section, ...]) -> None:
        seen_sections: dict[str, Origin] = {}
        seen_clauses: dict[str, Origin] = {}
        for section in sections:
            if section.id in seen_sections:
                self.duplicate("section", section.id, section.origin.span("id"), seen_sections[section.id])
            seen_sections.setdefault(section.id, section.origin)
            for clause in section.clauses:
                if clause.id in seen_clauses:
                    self.duplicate("clause", clause.id, clause.origin.span("id"), seen_clauses[clause.id])
                seen_clauses.setdefault(clause.id, clause.origin)

    def duplicate(self, kind: str, id_: str, span: SourceSpan, first: Origin) -> None:
        where = first.span("id")
        self.report(
            "E305",
            f"duplicate {kind} id '{id_}' (first defined at {where.file}:{where.line}:{where.column})",
            span,
        )
