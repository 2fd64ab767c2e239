"""Diff: what changed between two editions of a corpus, in words, in logic and in behaviour.

    old = load_edition("HEAD~1", Path("terms"))       # a git revision, a corpus folder or a bundle
    new = edition_from_corpus(corpus, conformance)     # or from a corpus compiled in this process
    changes = compare(old, new)
    changes_summary(changes)                           # JSON-able: clause ids and kinds of change
    render(changes, "markdown", language="uk")        # text, markdown or json

Both sides are reduced to the bundle JSON (which carries the rules, their parameters and the
rendered prose per language) plus the fact sets known for them: conformance cases and, when the
side is a corpus, its worked examples. The behavioural diff evaluates those fact sets, and
boundary cases generated from the rules of both sides, with each side's rules (the checker's
own evaluator) and lists the fact sets whose outcome or deciding clauses differ.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import io
import json
import re
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terms_compiler.check.evaluate import Answer, CompiledDecision, FactError, RuleError, node_type
from terms_compiler.revision import git

EXIT_OK, EXIT_USAGE = 0, 2
FORMATS = ("text", "markdown", "json")
MAX_FACT_SETS = 2000
"""Fact sets evaluated per decision (each with both editions' rules), at most."""
JSON_WIDTH = 120
"""Objects and arrays that fit in this many characters are written on one line in JSON."""
MAX_LISTED = 20
"""Fact sets listed per decision in text and Markdown (JSON lists them all)."""
CONTEXT_WEIGHT = 6
"""Unchanged words kept around a change in text and Markdown redlines (a CJK character: half)."""
MIN_CUT = 2
"""Unchanged words are cut from a redline only when more than this many would go."""
FALLBACK_DATE = "2000-01-01"
"""As-of date for decisions without a date fact when neither edition has an edition_date."""
OTHER_TEXT = "other"
"""A text value no rule names, to vary text facts with."""

Op = tuple[str, str]
"""A redline operation: ("=", unchanged text), ("-", deleted text) or ("+", inserted text)."""


class DiffError(Exception):
    """A side of the diff cannot be read; the message says why (one line)."""

    def __init__(self, message: str, diagnostics: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


# Editions ------------------------------------------------------------------------------------


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


def edition_from_corpus(
    corpus: Any,
    conformance: Iterable[Mapping[str, Any]] = (),
    label: str = "",
    kind: str = "corpus",
    revision: str | None = None,
    bundle: Mapping[str, Any] | None = None,
) -> Edition:
    """An edition from a linked, verified corpus (terms_compiler.model.Corpus) and its conformance
    cases (as terms_compiler.pipeline.conformance_cases returns them). Pass the bundle when it is
    already built (build_bundle(corpus, revision)), to save building it again."""
    from terms_compiler.emit.bundle import build_bundle, example_facts

    fact_sets = [_case_fact_set(case) for case in conformance]
    for clause in corpus.all_clauses():
        if clause.rule is None:
            continue
        decision = corpus.decisions.get(clause.rule.decision)
        if decision is None:
            continue
        for example in clause.examples:
            fact_sets.append(
                FactSet(
                    decision.id,
                    example_facts(decision, example.facts),
                    example.as_of,
                    "example",
                    f"{clause.id}: {example.title}",
                )
            )
    bases = {d.id: dict(d.example_base) for d in corpus.decisions.values() if d.example_base}
    return Edition(
        label or corpus.id,
        kind,
        bundle if bundle is not None else build_bundle(corpus, revision),
        tuple(fact_sets),
        bases,
        revision,
    )


def edition_from_bundle(
    data: Mapping[str, Any], cases: Iterable[Mapping[str, Any]] = (), label: str = ""
) -> Edition:
    """An edition from bundle data (e.g. checker.Bundle.load(path).data) and conformance cases."""
    return Edition(
        label or str(data.get("corpus", "bundle")),
        "bundle",
        data,
        tuple(_case_fact_set(case) for case in cases),
        {},
        data.get("source_revision"),
    )


def _case_fact_set(case: Mapping[str, Any]) -> FactSet:
    return FactSet(
        str(case["decision"]),
        dict(case.get("facts") or {}),
        case.get("as_of"),
        "conformance",
        str(case.get("name", "")),
    )


def load_edition(spec: str, corpus_folder: Path = Path("terms")) -> Edition:
    """Resolve a side: a bundle (.json with its .sha256 beside it), a corpus folder (holding
    corpus.yaml) or a git revision of the repository holding corpus_folder. A path that exists
    wins over a revision of the same name. Raises DiffError."""
    path = Path(spec)
    if path.is_file():
        if path.suffix != ".json":
            raise DiffError(f"'{spec}' is a file but not a bundle (a .json file)")
        return _load_bundle(path, spec)
    if path.is_dir():
        if (path / "corpus.yaml").is_file():
            return _load_folder(path, spec, "folder")
        bundles = sorted(p for p in path.glob("*.json") if p.with_name(p.name + ".sha256").is_file())
        if len(bundles) == 1:
            return _load_bundle(bundles[0], spec)
        raise DiffError(f"'{spec}' is a folder without corpus.yaml (nor a single bundle)")
    return _load_revision(spec, corpus_folder)


def _load_bundle(path: Path, label: str) -> Edition:
    from terms_compiler.check.bundle import Bundle, BundleError

    try:
        data = Bundle.load(path).data
    except BundleError as error:
        raise DiffError(str(error)) from None
    cases: list[Mapping[str, Any]] = []
    conformance = path.with_name("conformance.json")
    if conformance.is_file():
        try:
            exported = json.loads(conformance.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DiffError(f"{conformance}: cannot read the conformance cases ({error})") from None
        if isinstance(exported, dict) and exported.get("bundle") == path.name:
            cases = [c for c in exported.get("cases", []) if isinstance(c, dict)]
    return edition_from_bundle(data, cases, label)


def _load_folder(
    folder: Path,
    label: str,
    kind: str,
    revision: str | None = None,
    shown: Callable[[str], str] | None = None,
) -> Edition:
    from terms_compiler.pipeline import compile_corpus, conformance_cases

    result = compile_corpus(folder)
    if not result.ok or result.corpus is None:
        diagnostics = result.diagnostics
        if shown is not None:
            diagnostics = tuple(_relocated(d, shown) for d in diagnostics)
        errors = sum(1 for d in diagnostics if d.severity.value == "error")
        raise DiffError(f"'{label}' does not compile ({errors} error{'s' * (errors != 1)})", diagnostics)
    conformance = folder.resolve().parent / "tests" / "conformance"
    try:
        cases = conformance_cases(conformance) if conformance.is_dir() else []
    except Exception as error:  # a broken conformance file: say so, as for the corpus
        raise DiffError(f"'{label}': cannot read the conformance cases ({error})") from None
    return edition_from_corpus(result.corpus, cases, label, kind, revision)


def _relocated(diagnostic: Any, shown: Callable[[str], str]) -> Any:
    if diagnostic.span is None:
        return diagnostic
    return dataclasses.replace(
        diagnostic, span=dataclasses.replace(diagnostic.span, file=shown(diagnostic.span.file))
    )


def _load_revision(spec: str, corpus_folder: Path) -> Edition:
    neither = f"'{spec}' is neither a bundle (.json file), a corpus folder nor a git revision"
    try:
        top = git(corpus_folder, "rev-parse", "--show-toplevel")
    except OSError:
        raise DiffError(f"{neither} (git is not available)") from None
    if top.returncode != 0:
        raise DiffError(f"{neither} ({corpus_folder} is not in a git repository)")
    root = Path(top.stdout.decode().strip())
    found = git(corpus_folder, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if found.returncode != 0 or not found.stdout.strip():
        raise DiffError(f"{neither} of {root}")
    commit = found.stdout.decode().strip()
    prefix = git(corpus_folder, "rev-parse", "--show-prefix").stdout.decode().strip().rstrip("/")
    if prefix and git(root, "cat-file", "-e", f"{commit}:{prefix}").returncode != 0:
        raise DiffError(f"revision '{spec}' has no {prefix}/")
    paths = [prefix] if prefix else []
    try:
        conformance = (
            (corpus_folder.resolve().parent / "tests" / "conformance").relative_to(root.resolve()).as_posix()
        )
    except ValueError:
        conformance = ""
    if prefix and conformance and git(root, "cat-file", "-e", f"{commit}:{conformance}").returncode == 0:
        paths.append(conformance)
    archive = git(root, "archive", "--format=tar", commit, "--", *paths)
    if archive.returncode != 0:
        problem = archive.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(f"cannot export revision '{spec}': {problem[0] if problem else 'git failed'}")
    with tempfile.TemporaryDirectory(prefix="terms-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - Python before 3.11.4
                tar.extractall(tmp)
        folder = Path(tmp) / prefix if prefix else Path(tmp)
        resolved_tmp = str(Path(tmp).resolve())

        def shown(file: str) -> str:
            for base in (tmp, resolved_tmp):
                if file.startswith(base):
                    return f"{spec}:{file[len(base) :].lstrip('/')}"
            return file

        return _load_folder(folder, spec, "git", commit, shown)


# Changes -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One logic change: kind (condition, parameters, ...), what it is about, old and new.
    old is None for something added, new is None for something removed."""

    kind: str
    what: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Redline:
    language: str
    title: tuple[Op, ...] | None
    """None when the title did not change."""
    body: tuple[Op, ...] | None
    """None when the prose did not change."""


@dataclass(frozen=True, slots=True)
class ClauseInfo:
    """An added or removed clause."""

    id: str
    section: str
    titles: Mapping[str, str]
    rule: str | None
    """The rule in one line (decision: outcome when condition), if any."""


@dataclass(frozen=True, slots=True)
class ClauseChange:
    id: str
    kinds: tuple[str, ...]
    """section, rule, decision, condition, parameters, outcome, overrides, effective, prose:<lang>."""
    logic: tuple[Change, ...]
    redlines: tuple[Redline, ...]


@dataclass(frozen=True, slots=True)
class DecisionChange:
    id: str
    status: str
    """added, removed or changed."""
    changes: tuple[Change, ...]
    """kinds: question, facts, outcomes, default, as_of."""

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.kind for c in self.changes)) or (self.status,)


@dataclass(frozen=True, slots=True)
class TermChange:
    id: str
    status: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    """A fact set and where it comes from."""

    facts: Mapping[str, Any]
    as_of: str | None
    """The as-of date given with the facts (None: the decision's date fact decides)."""
    source: str
    """conformance, example or generated."""
    name: str
    old_as_of: str
    """The day the old edition answered as of (the new one's differs only when the
    decision's date fact changed)."""
    new_as_of: str


@dataclass(frozen=True, slots=True)
class Flip:
    """A situation the editions answer differently: fact sets to which the same rules apply
    (deciding or overridden) in the old edition, and the same in the new one. The first fact
    set is the one shown."""

    old_outcome: str
    new_outcome: str
    old_deciding: tuple[str, ...]
    new_deciding: tuple[str, ...]
    old_overridden: tuple[str, ...]
    new_overridden: tuple[str, ...]
    cases: tuple[Case, ...]

    @property
    def outcome_changed(self) -> bool:
        return self.old_outcome != self.new_outcome


@dataclass(frozen=True, slots=True)
class Unmatched:
    """Fact sets only one edition accepts, grouped by the problem the other one has."""

    side: str
    """The edition that refuses them: old or new."""
    problem: str
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """The behavioural diff of one decision whose logic changed."""

    decision: str
    base: Mapping[str, Any]
    """The fact set generated cases start from; listings show facts that differ from it."""
    compared: int
    capped: bool
    """True when generation stopped at MAX_FACT_SETS."""
    flips: tuple[Flip, ...]
    """Outcome changes first, then changes of the deciding clauses alone."""
    unmatched: tuple[Unmatched, ...]

    @property
    def fact_sets(self) -> int:
        return sum(len(flip.cases) for flip in self.flips)


@dataclass(frozen=True, slots=True)
class Side:
    label: str
    kind: str
    corpus: str
    edition: str
    edition_date: str | None
    revision: str | None


@dataclass(frozen=True, slots=True)
class Changes:
    old: Side
    new: Side
    languages: tuple[str, ...]
    """Every language of either edition (new's order first)."""
    languages_added: tuple[str, ...]
    languages_removed: tuple[str, ...]
    added: tuple[ClauseInfo, ...]
    removed: tuple[ClauseInfo, ...]
    changed: tuple[ClauseChange, ...]
    decisions: tuple[DecisionChange, ...]
    glossary: tuple[TermChange, ...]
    behaviour: tuple[Behaviour, ...]

    @property
    def flips(self) -> int:
        """Fact sets answered differently, across decisions."""
        return sum(b.fact_sets for b in self.behaviour)

    @property
    def empty(self) -> bool:
        return not (
            self.languages_added
            or self.languages_removed
            or self.added
            or self.removed
            or self.changed
            or self.decisions
            or self.glossary
            or self.flips
        )


def compare(old: Edition, new: Edition) -> Changes:
    """Everything that differs between two editions."""
    ob, nb = old.bundle, new.bundle
    old_langs, new_langs = list(ob.get("languages", [])), list(nb.get("languages", []))
    languages = tuple(dict.fromkeys([*new_langs, *old_langs]))
    old_rules, new_rules = _rules_by_clause(ob), _rules_by_clause(nb)
    old_clauses, new_clauses = ob["clauses"], nb["clauses"]
    added = tuple(
        _clause_info(cid, new_clauses[cid], new_rules.get(cid))
        for cid in new_clauses
        if cid not in old_clauses
    )
    removed = tuple(
        _clause_info(cid, old_clauses[cid], old_rules.get(cid))
        for cid in old_clauses
        if cid not in new_clauses
    )
    changed = []
    for cid in new_clauses:
        if cid in old_clauses:
            change = _clause_change(
                cid, old_clauses[cid], new_clauses[cid], old_rules.get(cid), new_rules.get(cid), languages
            )
            if change is not None:
                changed.append(change)
    return Changes(
        _side(old),
        _side(new),
        languages,
        tuple(lang for lang in new_langs if lang not in old_langs),
        tuple(lang for lang in old_langs if lang not in new_langs),
        added,
        removed,
        tuple(changed),
        _decision_changes(ob, nb, languages),
        _glossary_changes(ob.get("glossary", {}), nb.get("glossary", {}), languages),
        _behaviour(old, new),
    )


def _side(edition: Edition) -> Side:
    data = edition.bundle
    return Side(
        edition.label,
        edition.kind,
        str(data.get("corpus", "")),
        str(data.get("edition", "")),
        data.get("edition_date"),
        edition.revision,
    )


def _rules_by_clause(bundle: Mapping[str, Any]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    return {
        rule["clause"]: (decision_id, rule)
        for decision_id, spec in bundle["decisions"].items()
        for rule in spec["rules"]
    }


def _rule_line(decision: str, rule: Mapping[str, Any]) -> str:
    return f"{decision}: {rule['outcome']} when {rule.get('source') or _source_of(rule['when'])}"


def _clause_info(
    cid: str, clause: Mapping[str, Any], rule: tuple[str, Mapping[str, Any]] | None
) -> ClauseInfo:
    titles = {lang: str(text.get("title", "")) for lang, text in clause.get("text", {}).items()}
    return ClauseInfo(cid, str(clause.get("section", "")), titles, _rule_line(*rule) if rule else None)


def _clause_change(
    cid: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_rule: tuple[str, Mapping[str, Any]] | None,
    new_rule: tuple[str, Mapping[str, Any]] | None,
    languages: Sequence[str],
) -> ClauseChange | None:
    logic: list[Change] = []
    if old.get("section") != new.get("section"):
        logic.append(Change("section", "", old.get("section"), new.get("section")))
    if old_rule is None and new_rule is not None:
        logic.append(Change("rule", "", None, _rule_line(*new_rule)))
    elif old_rule is not None and new_rule is None:
        logic.append(Change("rule", "", _rule_line(*old_rule), None))
    elif old_rule is not None and new_rule is not None:
        logic.extend(_rule_changes(old_rule, new_rule))
    old_effective, new_effective = old.get("effective") or {}, new.get("effective") or {}
    for bound in ("from", "until"):
        if old_effective.get(bound) != new_effective.get(bound):
            logic.append(Change("effective", bound, old_effective.get(bound), new_effective.get(bound)))
    redlines = []
    for language in languages:
        redline = _redline(old.get("text", {}).get(language), new.get("text", {}).get(language), language)
        if redline is not None:
            redlines.append(redline)
    kinds = [*dict.fromkeys(c.kind for c in logic), *(f"prose:{r.language}" for r in redlines)]
    if not kinds:
        return None
    return ClauseChange(cid, tuple(kinds), tuple(logic), tuple(redlines))


def _rule_changes(old: tuple[str, Mapping[str, Any]], new: tuple[str, Mapping[str, Any]]) -> list[Change]:
    (old_decision, old_rule), (new_decision, new_rule) = old, new
    changes = []
    if old_decision != new_decision:
        changes.append(Change("decision", "", old_decision, new_decision))
    if _shape(old_rule["when"]) != _shape(new_rule["when"]):
        changes.append(
            Change(
                "condition",
                "",
                old_rule.get("source") or _source_of(old_rule["when"]),
                new_rule.get("source") or _source_of(new_rule["when"]),
            )
        )
    old_params, new_params = old_rule.get("parameters", {}), new_rule.get("parameters", {})
    for name in dict.fromkeys([*old_params, *new_params]):
        before, after = old_params.get(name), new_params.get(name)
        if before != after:
            changes.append(
                Change("parameters", name, before and before.get("value"), after and after.get("value"))
            )
    if old_rule["outcome"] != new_rule["outcome"]:
        changes.append(Change("outcome", "", old_rule["outcome"], new_rule["outcome"]))
    old_overrides, new_overrides = list(old_rule.get("overrides", [])), list(new_rule.get("overrides", []))
    changes.extend(
        Change("overrides", clause, clause, None) for clause in old_overrides if clause not in new_overrides
    )
    changes.extend(
        Change("overrides", clause, None, clause) for clause in new_overrides if clause not in old_overrides
    )
    return changes


def _shape(node: Any) -> Any:
    """A condition AST with parameter values left out: a parameter change is not a condition
    change (it is reported under parameters)."""
    if isinstance(node, dict):
        if node.get("op") == "param":
            return {"op": "param", "name": node.get("name"), "type": node.get("type")}
        return {key: _shape(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_shape(item) for item in node]
    return node


def _source_of(node: Mapping[str, Any]) -> str:
    """The condition in the condition language, for bundles without `source`."""
    op = node["op"]
    if op in ("fact", "param"):
        return str(node["name"])
    if op == "const":
        value = node["value"]
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if node["type"] == "string" else str(value)
    if op in ("and", "or"):
        return "(" + f" {op} ".join(_source_of(arg) for arg in node["args"]) + ")"
    if op == "not":
        inner = node["arg"]
        if inner["op"] == "in":
            return (
                f"{_source_of(inner['value'])} not in [{', '.join(_source_of(o) for o in inner['options'])}]"
            )
        return f"not {_source_of(inner)}"
    if op == "in":
        return f"{_source_of(node['value'])} in [{', '.join(_source_of(o) for o in node['options'])}]"
    if op == "days":
        return f"days({_source_of(node['args'][0])}, {_source_of(node['args'][1])})"
    return f"{_source_of(node['left'])} {op} {_source_of(node['right'])}"


def _decision_changes(
    ob: Mapping[str, Any], nb: Mapping[str, Any], languages: Sequence[str]
) -> tuple[DecisionChange, ...]:
    old, new = ob["decisions"], nb["decisions"]
    result = [DecisionChange(d, "added", ()) for d in new if d not in old]
    result += [DecisionChange(d, "removed", ()) for d in old if d not in new]
    for decision_id in new:
        if decision_id not in old:
            continue
        before, after = old[decision_id], new[decision_id]
        changes: list[Change] = []
        for language in languages:
            q_old, q_new = before.get("question", {}).get(language), after.get("question", {}).get(language)
            if q_old != q_new:
                changes.append(Change("question", language, q_old, q_new))
        old_facts, new_facts = before.get("facts", {}), after.get("facts", {})
        for name in dict.fromkeys([*old_facts, *new_facts]):
            if name not in new_facts:
                changes.append(Change("facts", name, _fact_type(old_facts[name]), None))
            elif name not in old_facts:
                changes.append(Change("facts", name, None, _fact_type(new_facts[name])))
            else:
                changes.extend(_fact_changes(name, old_facts[name], new_facts[name]))
        old_outcomes, new_outcomes = before.get("outcomes", {}), after.get("outcomes", {})
        changes.extend(Change("outcomes", o, o, None) for o in old_outcomes if o not in new_outcomes)
        changes.extend(Change("outcomes", o, None, o) for o in new_outcomes if o not in old_outcomes)
        for key in ("default", "as_of"):
            if before.get(key) != after.get(key):
                changes.append(Change(key, "", before.get(key), after.get(key)))
        if changes:
            result.append(DecisionChange(decision_id, "changed", tuple(changes)))
    return tuple(result)


def _fact_type(fact: Mapping[str, Any]) -> str:
    kind = str(fact.get("type"))
    if kind == "enum" and fact.get("enum"):
        kind = f"enum:{fact['enum']}"
    return kind if "default" not in fact else f"{kind} = {_show(fact['default'])}"


def _fact_changes(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    changes = []
    if (old.get("type"), old.get("enum")) != (new.get("type"), new.get("enum")):
        changes.append(Change("facts", f"{name} type", _fact_type(old), _fact_type(new)))
    elif old.get("values") != new.get("values"):
        old_values, new_values = list(old.get("values", [])), list(new.get("values", []))
        changes.extend(Change("facts", f"{name} value", v, None) for v in old_values if v not in new_values)
        changes.extend(Change("facts", f"{name} value", None, v) for v in new_values if v not in old_values)
    if old.get("default") != new.get("default") or ("default" in old) != ("default" in new):
        changes.append(Change("facts", f"{name} default", old.get("default"), new.get("default")))
    return changes


def _glossary_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], languages: Sequence[str]
) -> tuple[TermChange, ...]:
    result = [TermChange(t, "added") for t in new if t not in old]
    result += [TermChange(t, "removed") for t in old if t not in new]
    for term in new:
        if term in old:
            differ = tuple(
                lang
                for lang in languages
                if _term_words(old[term].get(lang)) != _term_words(new[term].get(lang))
            )
            if differ:
                result.append(TermChange(term, "changed", differ))
    return tuple(result)


def _term_words(text: Any) -> Any:
    return None if not isinstance(text, dict) else (text.get("term"), text.get("definition"))


# Redlines ------------------------------------------------------------------------------------

CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
_TOKEN = re.compile(rf"\s+|[{CJK}]|[^\s{CJK}]+")
_CJK_CHAR = re.compile(rf"[{CJK}]")
_LINK_TITLE = re.compile(r'(\]\([^)\s]*)\s+"[^"]*"\)')


def tokens(text: str) -> list[str]:
    """Words split on whitespace, except that Chinese, Japanese and Korean text is split into
    characters (it has no spaces between words); whitespace runs become one space, or one
    newline when they hold a line break (paragraphs in plain text)."""
    result = []
    for token in _TOKEN.findall(text.strip()):
        if token.isspace():
            token = "\n" if "\n" in token else " "
        result.append(token)
    return result


def redline(old: str, new: str) -> tuple[Op, ...]:
    """A word-level redline: the whole text as equal, deleted and inserted runs."""
    a, b = tokens(old), tokens(new)
    raw: list[Op] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            raw.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            raw.append(("+", "".join(b[j1:j2])))
    # A run of unchanged spaces (or a single CJK character) between two changes is folded into
    # them, so that a rewritten phrase reads [-a b c-]{+x y z+} rather than word by word.
    merged: list[Op] = []
    for index, (op, text) in enumerate(raw):
        between = 0 < index < len(raw) - 1 and raw[index - 1][0] != "=" and raw[index + 1][0] != "="
        if op == "=" and between and sum(_weight(t) for t in tokens(text)) < 1:
            _append(merged, "-", text)
            _append(merged, "+", text)
        else:
            _append(merged, op, text)
    return tuple(_ordered(merged))


def _append(ops: list[Op], op: str, text: str) -> None:
    """Add a run, joining it to the run of the same kind in the trailing group of changes."""
    for index in range(len(ops) - 1, -1, -1):
        if ops[index][0] == op:
            ops[index] = (op, ops[index][1] + text)
            return
        if ops[index][0] == "=" or op == "=":
            break
    ops.append((op, text))


def _ordered(ops: list[Op]) -> list[Op]:
    """Within each run of changes: the deletion first, then the insertion."""
    result: list[Op] = []
    pending: dict[str, str] = {}
    for op, text in [*ops, ("=", "")]:
        if op == "=":
            result.extend((o, pending[o]) for o in ("-", "+") if pending.get(o))
            pending = {}
            if text:
                result.append((op, text))
        else:
            pending[op] = pending.get(op, "") + text
    return result


def _comparable_markdown(markdown: str) -> str:
    """Rendered Markdown without link titles (they carry glossary definitions, which the
    glossary section reports), for deciding whether the prose changed."""
    return _LINK_TITLE.sub(r"\1)", markdown)


def _redline(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, language: str) -> Redline | None:
    if old is None and new is None:
        return None
    old, new = old or {}, new or {}
    old_title, new_title = str(old.get("title", "")), str(new.get("title", ""))
    title = redline(old_title, new_title) if old_title != new_title else None
    body = None
    old_md, new_md = str(old.get("markdown", "")), str(new.get("markdown", ""))
    if _comparable_markdown(old_md) != _comparable_markdown(new_md):
        old_plain, new_plain = str(old.get("plain", old_md)), str(new.get("plain", new_md))
        # Plain text reads best; when only Markdown differs (a link target), show Markdown.
        body = (
            redline(old_plain, new_plain)
            if old_plain != new_plain
            else redline(_comparable_markdown(old_md), _comparable_markdown(new_md))
        )
    if title is None and body is None:
        return None
    return Redline(language, title, body)


def _weight(token: str) -> float:
    if token.isspace():
        return 0.0
    return 0.5 if _CJK_CHAR.fullmatch(token) else 1.0


def _trimmed(ops: Sequence[Op]) -> list[Op]:
    """Long unchanged runs cut to CONTEXT_WEIGHT words on each side of a change, with …"""
    result: list[Op] = []
    for index, (op, text) in enumerate(ops):
        if op != "=":
            result.append((op, text))
            continue
        words = tokens(text)
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        first, last = index == 0, index == len(ops) - 1
        head = [] if first else _take(words, CONTEXT_WEIGHT)
        tail = [] if last else _take(words[::-1], CONTEXT_WEIGHT)[::-1]
        omitted = words[len(head) : len(words) - len(tail)]
        if sum(_weight(word) for word in omitted) <= MIN_CUT:
            result.append((op, text))  # an ellipsis would save next to nothing
            continue
        shown = ""
        if not first:
            shown += lead + "".join(head).strip() + " "
        shown += "…"
        if not last:
            shown += " " + "".join(tail).strip() + trail
        result.append((op, shown))
    return result


def _take(words: Sequence[str], limit: float) -> list[str]:
    taken: list[str] = []
    weight = 0.0
    for word in words:
        if weight + _weight(word) > limit:
            break
        weight += _weight(word)
        taken.append(word)
    return taken


def redline_text(ops: Sequence[Op], markdown: bool = False, trim: bool = True) -> str:
    """[-deleted-]{+inserted+} (text) or ~~deleted~~ **inserted** (Markdown), one line."""
    parts = []
    for op, text in _trimmed(ops) if trim else ops:
        text = text.replace("\n", " ¶ ")
        if op == "=":
            parts.append(_md_escape(text) if markdown else text)
            continue
        core = text.strip()
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        if not core:
            continue
        if markdown:
            mark = "~~" if op == "-" else "**"
            space = " " if op == "+" and parts and parts[-1].endswith("~~") and not lead else ""
            parts.append(f"{space}{lead}{mark}{_md_escape(core)}{mark}{trail}")
        else:
            parts.append(f"{lead}[-{core}-]{trail}" if op == "-" else f"{lead}{{+{core}+}}{trail}")
    return "".join(parts)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_~\[\]<>|#])", r"\\\1", text)


# Behaviour -----------------------------------------------------------------------------------


def _logic(spec: Mapping[str, Any]) -> Any:
    """What evaluation depends on in a decision's spec (not its words)."""
    facts = {
        name: {key: fact.get(key) for key in ("type", "values")}
        | ({"default": fact["default"]} if "default" in fact else {})
        for name, fact in spec.get("facts", {}).items()
    }
    rules = [
        {key: rule.get(key) for key in ("clause", "outcome", "when", "effective", "overrides")}
        for rule in spec.get("rules", [])
    ]
    return {"facts": facts, "default": spec.get("default"), "as_of": spec.get("as_of"), "rules": rules}


def _behaviour(old: Edition, new: Edition) -> tuple[Behaviour, ...]:
    reference = new.bundle.get("edition_date") or old.bundle.get("edition_date") or FALLBACK_DATE
    result = []
    for decision_id, new_spec in new.bundle["decisions"].items():
        old_spec = old.bundle["decisions"].get(decision_id)
        if old_spec is None or _logic(old_spec) == _logic(new_spec):
            continue
        try:
            result.append(_Probe(decision_id, old_spec, new_spec, old, new, str(reference)).run())
        except RuleError:
            continue  # a malformed rule: the bundle loader reports it; nothing to compare
    return tuple(result)


@dataclass(frozen=True, slots=True)
class _Form:
    """A comparison of numbers or dates, as sum(coefficient * fact) + constant against 0."""

    coefficients: tuple[tuple[str, int], ...]
    constant: int


@dataclass(frozen=True, slots=True)
class _Set:
    fact: str
    value: Any


@dataclass(frozen=True, slots=True)
class _SetEqual:
    fact: str
    other: str


@dataclass(frozen=True, slots=True)
class _Boundary:
    form: _Form
    fact: str
    delta: int


@dataclass(frozen=True, slots=True)
class _Shift:
    day: int


_Assignment = _Set | _SetEqual | _Boundary | _Shift
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
MAX_WAYS = 16
"""Ways to satisfy one condition tried, at most."""


def _changed_rules(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Rules (in either version) that differ between the editions, or are in one only."""

    def key(rule: Mapping[str, Any]) -> Any:
        return json.dumps(
            [rule.get(k) for k in ("outcome", "when", "effective", "overrides")], sort_keys=True
        )

    old_rules = {rule["clause"]: rule for rule in old.get("rules", [])}
    new_rules = {rule["clause"]: rule for rule in new.get("rules", [])}
    changed: list[Mapping[str, Any]] = []
    for clause in dict.fromkeys([*new_rules, *old_rules]):
        versions = [r for r in (new_rules.get(clause), old_rules.get(clause)) if r is not None]
        if len(versions) == 1 or key(versions[0]) != key(versions[1]):
            changed.extend(versions)
    return changed


class _Probe:
    """Fact sets for one decision, evaluated with both editions' rules.

    In this order, up to MAX_FACT_SETS distinct ones: the conformance cases and worked examples
    of both editions; a base fact set (the decision's example_base, or the first case, with
    missing required facts filled in); for each rule that differs between the editions (in
    either version), fact sets built from the base that make its condition true (one per
    alternative of an `or`), moved into its effective window; then variations of one fact, and
    then of two facts, from those, from the base and from every case.

    Varying a fact: enum facts take each of their values, booleans both, texts each value a
    rule names plus one no rule names; numbers and dates take the values just below, at and
    just above each boundary of each comparison they appear in, computed from the other facts
    (days(a, b) <= N sets b to a + N - 1, a + N, a + N + 1); and the whole case is moved in
    time (every date fact together, or the as-of date) to the day before, the first day, the
    last day and the day after each rule's effective window.
    """

    def __init__(
        self,
        decision_id: str,
        old_spec: Mapping[str, Any],
        new_spec: Mapping[str, Any],
        old: Edition,
        new: Edition,
        reference: str,
    ) -> None:
        self.id = decision_id
        self.old_spec, self.new_spec = old_spec, new_spec
        self.old_rules = CompiledDecision(decision_id, old_spec)
        self.new_rules = CompiledDecision(decision_id, new_spec)
        self.facts: dict[str, dict[str, Any]] = {}
        for spec in (new_spec, old_spec):
            for name, fact in spec.get("facts", {}).items():
                known = self.facts.setdefault(name, dict(fact))
                if fact.get("values"):
                    known["values"] = list(dict.fromkeys([*known.get("values", []), *fact["values"]]))
        self.as_of_fact: str | None = new_spec.get("as_of") or old_spec.get("as_of")
        self.reference = None if self.as_of_fact else reference
        self.cases = [fs for edition in (new, old) for fs in edition.fact_sets if fs.decision == decision_id]
        self.base = self._base(old, new, reference)
        self.dimensions = self._dimensions()
        self.changed_rules = _changed_rules(old_spec, new_spec)

    # the base fact set

    def _base(self, old: Edition, new: Edition, reference: str) -> dict[str, Any]:
        base: Mapping[str, Any] = (
            new.example_bases.get(self.id)
            or old.example_bases.get(self.id)
            or (self.cases[0].facts if self.cases else {})
        )
        result = {name: value for name, value in base.items() if name in self.facts}
        for name, fact in self.facts.items():
            if name not in result and "default" not in fact:
                result[name] = _first_value(fact, reference)
        return result

    # what to vary

    def _dimensions(self) -> list[list[_Assignment]]:
        used: dict[str, None] = {}
        values: dict[str, list[Any]] = {}
        forms: list[_Form] = []
        equal: list[tuple[str, str]] = []
        windows: set[int] = set()
        for spec in (self.new_spec, self.old_spec):
            for rule in spec.get("rules", []):
                _analyse(rule["when"], used, values, forms, equal)
                effective = rule.get("effective") or {}
                start, end = _ordinal(effective.get("from")), _ordinal(effective.get("until"))
                if start is not None:
                    windows.update((start - 1, start))
                if end is not None:
                    windows.update((end, end + 1))
        names = [name for name in self.facts if name in used]
        categorical: list[list[_Assignment]] = []
        numeric: list[list[_Assignment]] = []
        for name in names:
            fact = self.facts[name]
            choices: list[Any] = []
            if fact["type"] == "enum":
                choices = list(fact.get("values", []))
            elif fact["type"] == "bool":
                choices = [False, True]
            elif fact["type"] == "string":
                choices = [*dict.fromkeys(values.get(name, []))]
                choices += [OTHER_TEXT] if OTHER_TEXT not in choices else []
            else:
                choices = [*dict.fromkeys(values.get(name, []))]
            assignments: list[_Assignment] = [_Set(name, v) for v in choices]
            assignments += [
                _SetEqual(name, other)
                for a, b in equal
                for mine, other in ((a, b), (b, a))
                if mine == name and other in self.facts
            ]
            if assignments:
                categorical.append(list(dict.fromkeys(assignments)))
            if fact["type"] in ("int", "date"):
                bounds: list[_Assignment] = [
                    _Boundary(form, name, delta)
                    for form in dict.fromkeys(forms)
                    for fact_name, coefficient in form.coefficients
                    if fact_name == name and abs(coefficient) == 1
                    for delta in (-1, 0, 1)
                ]
                if bounds:
                    numeric.append(bounds)
        shifts: list[list[_Assignment]] = [[_Shift(day) for day in sorted(windows)]] if windows else []
        return [*categorical, *numeric, *shifts]

    # generating and evaluating

    def _satisfy(self, node: Mapping[str, Any], negate: bool = False) -> list[tuple[_Assignment, ...]]:
        """Ways to make a condition true (false when negate), each a few assignments."""
        op = node["op"]
        if op == "not":
            return self._satisfy(node["arg"], not negate)
        if op in ("and", "or") and (op == "and") != negate:  # every argument must hold
            combinations: list[tuple[_Assignment, ...]] = [()]
            for arg in node["args"]:
                options = self._satisfy(arg, negate)
                combinations = [c + o for c in combinations for o in options][:MAX_WAYS]
            return combinations
        if op in ("and", "or"):  # one argument is enough
            return [way for arg in node["args"] for way in self._satisfy(arg, negate)][:MAX_WAYS]
        return [self._atom(node, negate)]

    def _atom(self, node: Mapping[str, Any], negate: bool) -> tuple[_Assignment, ...]:
        op = node["op"]
        if op == "fact" and self.facts.get(node["name"], {}).get("type") == "bool":
            return (_Set(node["name"], not negate),)
        if op == "in" and node["value"]["op"] == "fact":
            name = node["value"]["name"]
            options = [o["value"] for o in node["options"] if o["op"] in ("const", "param")]
            if not negate and options:
                return (_Set(name, options[0]),)
            other = self._other(name, options)
            return () if other is None else (_Set(name, other),)
        if op not in _COMPARISONS:
            return ()
        op = _NEGATED[op] if negate else op
        left, right = node["left"], node["right"]
        if node_type(left) in ("int", "date"):
            form = _linear(left, right, -1)
            if form is None:
                return ()
            movable = [(n, c) for n, c in form.coefficients if abs(c) == 1 and n in self.facts]
            movable.sort(key=lambda item: item[0] == self.as_of_fact)  # keep the as-of still
            if not movable:
                return ()
            name, coefficient = movable[0]
            delta = {"<": -coefficient, ">": coefficient, "!=": 1}.get(op, 0)
            return (_Boundary(form, name, delta),)
        if left["op"] == "fact" and right["op"] == "fact":
            return (_SetEqual(left["name"], right["name"]),) if op == "==" else ()
        for fact, other in ((left, right), (right, left)):
            if fact["op"] == "fact" and other["op"] in ("const", "param"):
                if op == "==":
                    return (_Set(fact["name"], other["value"]),)
                value = self._other(fact["name"], [other["value"]])
                return () if value is None else (_Set(fact["name"], value),)
        return ()

    def _other(self, name: str, excluded: Sequence[Any]) -> Any:
        """A value of the fact outside excluded, or None."""
        fact = self.facts.get(name, {})
        if fact.get("type") == "enum":
            return next((v for v in fact.get("values", []) if v not in excluded), None)
        if fact.get("type") == "bool":
            return next((v for v in (False, True) if v not in excluded), None)
        if fact.get("type") == "string":
            return next(
                f"{OTHER_TEXT}{n or ''}"
                for n in range(len(excluded) + 1)
                if f"{OTHER_TEXT}{n or ''}" not in excluded
            )
        return None

    def _targets(self, base: FactSet) -> Iterator[FactSet]:
        """For each changed rule, fact sets from the base on which its condition holds."""
        for rule in self.changed_rules:
            effective = rule.get("effective") or {}
            window = [
                _Shift(day)
                for day in (_ordinal(effective.get("from")), _ordinal(effective.get("until")))
                if day
            ][:1]
            for way in self._satisfy(rule["when"]):
                ordered = sorted(way, key=lambda a: isinstance(a, _Boundary))
                for assignments in (ordered, [*ordered, *window]) if window else (ordered,):
                    target = self._apply(base, assignments)
                    if target is not None:
                        yield target

    def _singles(self, start: FactSet) -> Iterator[FactSet]:
        for dimension in self.dimensions:
            for assignment in dimension:
                varied = self._apply(start, (assignment,))
                if varied is not None:
                    yield varied

    def _pairs(self, start: FactSet) -> Iterator[FactSet]:
        for i, first in enumerate(self.dimensions):
            for second in self.dimensions[i + 1 :]:
                if isinstance(first[0], _Boundary) and isinstance(second[0], _Boundary):
                    continue  # two boundaries at once move each other's boundary
                for a in first:
                    for b in second:
                        varied = self._apply(start, (a, b))
                        if varied is not None:
                            yield varied

    def fact_sets(self) -> Iterator[FactSet]:
        cases = [dataclasses.replace(fs, as_of=fs.as_of or self.reference) for fs in self.cases]
        yield from cases
        base = FactSet(self.id, self.base, self.reference, "generated")
        yield base
        targets = list(self._targets(base))
        yield from targets
        bases = [*targets, base, *(dataclasses.replace(fs, source="generated", name="") for fs in cases)]
        for start in bases:
            yield from self._singles(start)
        for start in bases:
            yield from self._pairs(start)

    def _apply(self, start: FactSet, assignments: Sequence[_Assignment]) -> FactSet | None:
        facts = dict(start.facts)
        as_of = start.as_of
        for assignment in assignments:
            if isinstance(assignment, _Set):
                facts[assignment.fact] = assignment.value
            elif isinstance(assignment, _SetEqual):
                other = facts.get(assignment.other, self.facts[assignment.other].get("default"))
                if other is None:
                    return None
                facts[assignment.fact] = other
            elif isinstance(assignment, _Boundary):
                value = self._boundary(facts, assignment)
                if value is None:
                    return None
                facts[assignment.fact] = value
            else:
                shifted = self._shift(facts, as_of, assignment.day)
                if shifted is None:
                    return None
                facts, as_of = shifted
        return FactSet(self.id, facts, as_of, "generated")

    def _number(self, facts: Mapping[str, Any], name: str) -> int | None:
        value = facts.get(name, self.facts[name].get("default"))
        if self.facts[name]["type"] == "date":
            return _ordinal(value) if isinstance(value, str) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _boundary(self, facts: Mapping[str, Any], boundary: _Boundary) -> Any:
        total, own = boundary.form.constant, 0
        for name, coefficient in boundary.form.coefficients:
            if name == boundary.fact:
                own = coefficient
                continue
            value = self._number(facts, name)
            if value is None:
                return None
            total += coefficient * value
        target = -total * own + boundary.delta  # own is 1 or -1: own * x + total = 0
        if self.facts[boundary.fact]["type"] == "date":
            return _iso(target)
        return target

    def _shift(
        self, facts: dict[str, Any], as_of: str | None, day: int
    ) -> tuple[dict[str, Any], str | None] | None:
        if self.as_of_fact is None:
            return (facts, _iso(day)) if _iso(day) else None
        current = self._number(facts, self.as_of_fact) if as_of is None else _ordinal(as_of)
        if current is None:
            return None
        offset = day - current
        shifted = {}
        for name, value in facts.items():
            if self.facts.get(name, {}).get("type") == "date" and isinstance(value, str):
                day_number = _ordinal(value)
                moved = None if day_number is None else _iso(day_number + offset)
                if moved is None:
                    return None
                shifted[name] = moved
            else:
                shifted[name] = value
        return shifted, (_iso(day) if as_of is not None else None)

    def run(self) -> Behaviour:
        seen: set[str] = set()
        groups: dict[Any, list[Case]] = {}
        answers: dict[Any, tuple[Answer, Answer]] = {}
        refused: dict[tuple[str, str], list[Case]] = {}
        capped = False
        for fact_set in self.fact_sets():
            key = json.dumps([fact_set.facts, fact_set.as_of], sort_keys=True, default=str)
            if key in seen:
                continue
            if len(seen) >= MAX_FACT_SETS:
                capped = True
                break
            seen.add(key)
            old, old_error = _decide(self.old_rules, fact_set)
            new, new_error = _decide(self.new_rules, fact_set)
            if old is None and new is None:
                continue  # neither edition accepts it: not a change
            case = Case(
                fact_set.facts,
                fact_set.as_of,
                fact_set.source,
                fact_set.name,
                old.as_of if old else "",
                new.as_of if new else "",
            )
            if old is None or new is None:
                refusal = ("old", old_error) if old is None else ("new", new_error)
                refused.setdefault(refusal, []).append(case)
            elif (old.outcome, old.deciding) != (new.outcome, new.deciding):
                situation = (
                    old.outcome,
                    new.outcome,
                    old.deciding,
                    new.deciding,
                    old.overridden,
                    new.overridden,
                )
                groups.setdefault(situation, []).append(case)
                answers.setdefault(situation, (old, new))
        order = {name: index for index, name in enumerate(self.facts)}
        flips = [
            Flip(
                old.outcome,
                new.outcome,
                old.deciding,
                new.deciding,
                old.overridden,
                new.overridden,
                tuple(groups[key]),
            )
            for key, (old, new) in answers.items()
        ]
        flips.sort(
            key=lambda f: (
                not f.outcome_changed,
                f.old_outcome,
                f.new_outcome,
                f.old_deciding,
                f.new_deciding,
                f.old_overridden,
                f.new_overridden,
                f.cases[0].new_as_of,
                _sort_key(f.cases[0].facts, order),
            )
        )
        unmatched = sorted(
            (Unmatched(side, problem, tuple(cases)) for (side, problem), cases in refused.items()),
            key=lambda u: (u.side, u.problem),
        )
        return Behaviour(self.id, self.base, len(seen), capped, tuple(flips), tuple(unmatched))


def _decide(rules: CompiledDecision, fact_set: FactSet) -> tuple[Answer | None, str]:
    fitted = {k: v for k, v in fact_set.facts.items() if k in rules.facts}
    try:
        return rules.decide(fitted, fact_set.as_of), ""
    except FactError as error:
        return None, error.problems[0] if error.problems else str(error)
    except (TypeError, ValueError, OverflowError) as error:
        return None, str(error)


def _sort_key(facts: Mapping[str, Any], order: Mapping[str, int]) -> str:
    return json.dumps(sorted(((order.get(k, len(order)), k, str(v)) for k, v in facts.items())))


def _analyse(
    node: Mapping[str, Any],
    used: dict[str, None],
    values: dict[str, list[Any]],
    forms: list[_Form],
    equal: list[tuple[str, str]],
) -> None:
    op = node.get("op")
    if op == "fact":
        used[node["name"]] = None
    elif op in ("and", "or", "days"):
        for arg in node["args"]:
            _analyse(arg, used, values, forms, equal)
    elif op == "not":
        _analyse(node["arg"], used, values, forms, equal)
    elif op == "in":
        _analyse(node["value"], used, values, forms, equal)
        if node["value"]["op"] == "fact":
            values.setdefault(node["value"]["name"], []).extend(
                o["value"] for o in node["options"] if o["op"] in ("const", "param")
            )
    elif op in _COMPARISONS or op in ("+", "-"):
        _analyse(node["left"], used, values, forms, equal)
        _analyse(node["right"], used, values, forms, equal)
        if op not in _COMPARISONS:
            return
        left, right = node["left"], node["right"]
        if node_type(left) in ("int", "date"):
            difference = _linear(left, right, -1)
            if difference is not None and difference.coefficients:
                forms.append(difference)
        elif left["op"] == "fact" and right["op"] == "fact":
            equal.append((left["name"], right["name"]))
        else:
            for fact, other in ((left, right), (right, left)):
                if fact["op"] == "fact" and other["op"] in ("const", "param"):
                    values.setdefault(fact["name"], []).append(other["value"])


def _linear(left: Mapping[str, Any], right: Mapping[str, Any], sign: int) -> _Form | None:
    """left + sign * right as a linear form over facts (dates as day numbers)."""
    coefficients: dict[str, int] = {}
    constant = 0

    def add(node: Mapping[str, Any], factor: int) -> bool:
        nonlocal constant
        op = node["op"]
        if op == "fact":
            coefficients[node["name"]] = coefficients.get(node["name"], 0) + factor
        elif op in ("const", "param"):
            value = node["value"]
            number = _ordinal(value) if node.get("type") == "date" else value
            if not isinstance(number, int) or isinstance(number, bool):
                return False
            constant += factor * number
        elif op == "days":
            return add(node["args"][1], factor) and add(node["args"][0], -factor)
        elif op in ("+", "-"):
            return add(node["left"], factor) and add(node["right"], factor if op == "+" else -factor)
        else:
            return False
        return True

    if not (add(left, 1) and add(right, sign)):
        return None
    return _Form(tuple(sorted((k, v) for k, v in coefficients.items() if v)), constant)


def _ordinal(value: Any) -> int | None:
    try:
        return dt.date.fromisoformat(value).toordinal() if isinstance(value, str) else None
    except ValueError:
        return None


def _iso(day: int) -> str | None:
    try:
        return dt.date.fromordinal(day).isoformat()
    except (ValueError, OverflowError):
        return None


def _first_value(fact: Mapping[str, Any], reference: str) -> Any:
    kind = fact.get("type")
    if kind == "enum":
        return (fact.get("values") or [""])[0]
    return {"bool": False, "int": 0, "date": reference, "string": OTHER_TEXT}.get(str(kind), "")


# Summary and rendering -----------------------------------------------------------------------


def changes_summary(changes: Changes) -> dict[str, Any]:
    """What tools need to know to re-check: clause ids with their kinds of change, decisions
    with theirs, and how many fact sets now answer differently."""
    return {
        "added": [c.id for c in changes.added],
        "removed": [c.id for c in changes.removed],
        "changed": {c.id: list(c.kinds) for c in changes.changed},
        "decisions": {d.id: list(d.kinds) for d in changes.decisions},
        "glossary": {t.id: t.status for t in changes.glossary},
        "behaviour": changes.flips,
    }


def render(changes: Changes, fmt: str, language: str | None = None) -> str:
    """The changes as text, Markdown or JSON; with a language, only its redlines (and, for added
    and removed clauses, its titles). No trailing newline."""
    if fmt == "json":
        return dump_json(_to_json(changes, language))
    if fmt == "markdown":
        return "\n".join(_markdown(changes, language)).rstrip("\n")
    if fmt == "text":
        return "\n".join(_text(changes, language))
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if re.fullmatch(r"[\w.@/+-]+", value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _shown_facts(facts: Mapping[str, Any], base: Mapping[str, Any]) -> str:
    parts = [f"{k}: {_show(v)}" for k, v in facts.items() if k not in base or base[k] != v]
    parts += [f"{k}: (default)" for k in base if k not in facts]
    return "{" + ", ".join(parts) + "}" if parts else "(the base facts)"


def _side_line(side: Side) -> str:
    kind = {"folder": "corpus folder", "corpus": "corpus", "bundle": "bundle", "git": "git revision"}.get(
        side.kind, side.kind
    )
    where = f"{kind} {side.revision[:12]}" if side.kind == "git" and side.revision else kind
    return f"{side.corpus}, edition {side.edition} ({where})"


def _title(info: ClauseInfo, language: str | None, languages: Sequence[str]) -> str:
    for lang in (language, *languages):
        if lang and info.titles.get(lang):
            return info.titles[lang]
    return ""


def _change_words(change: Change) -> str:
    """One logic change in words (text and Markdown alike, without markup)."""
    if change.kind == "parameters":
        if change.old is None:
            return f"parameters: {change.what} added ({_show(change.new)})"
        if change.new is None:
            return f"parameters: {change.what} removed (was {_show(change.old)})"
        return f"parameters: {change.what} {_show(change.old)} -> {_show(change.new)}"
    if change.kind == "overrides":
        return f"overrides: {'+' if change.old is None else '-'} {change.what}"
    if change.kind == "effective":
        return (
            f"effective {change.what}: {_show(change.old) if change.old else 'open'} -> "
            f"{_show(change.new) if change.new else 'open'}"
        )
    if change.old is None:
        return f"{change.kind} added: {change.new}"
    if change.new is None:
        return f"{change.kind} removed: {change.old}"
    if change.kind == "condition":
        return f"condition: {change.old}\n{' ' * 8}-> {change.new}"
    return f"{change.kind}: {_show(change.old)} -> {_show(change.new)}"


def _decision_words(change: Change) -> str:
    if change.kind == "question":
        return f"question [{change.what}]: {_show(change.old)} -> {_show(change.new)}"
    if change.kind == "outcomes":
        return f"outcome {change.what} {'added' if change.old is None else 'removed'}"
    if change.kind == "facts":
        if change.what.endswith(" value"):
            sign = "+" if change.old is None else "-"
            return f"fact {change.what}s: {sign} {change.new if change.old is None else change.old}"
        if change.old is None:
            return f"fact {change.what} added ({change.new})"
        if change.new is None and " " not in change.what:
            return f"fact {change.what} removed (was {change.old})"
        return f"fact {change.what}: {_show(change.old)} -> {_show(change.new)}"
    return _change_words(change)


def _deciding(clauses: Sequence[str], overridden: Sequence[str] = ()) -> str:
    beaten = f" over {', '.join(overridden)}" if overridden else ""
    return (", ".join(clauses) or "no rule") + beaten


def _answers(flip: Flip) -> str:
    old = _deciding(flip.old_deciding, flip.old_overridden)
    new = _deciding(flip.new_deciding, flip.new_overridden)
    return f"{flip.old_outcome} -> {flip.new_outcome} ({old if old == new else f'{old} -> {new}'})"


def _as_of(case: Case) -> str:
    return case.new_as_of if case.old_as_of == case.new_as_of else f"{case.old_as_of} -> {case.new_as_of}"


def _origin(case: Case) -> str:
    return f" [{case.source}: {case.name}]" if case.source != "generated" and case.name else ""


def _alike(count: int) -> str:
    return f" (+{count - 1} alike)" if count > 1 else ""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _behaviour_headline(changes: Changes) -> str:
    compared = sum(b.compared for b in changes.behaviour)
    situations = sum(len(b.flips) for b in changes.behaviour)
    return (
        f"{_plural(changes.flips, 'fact set')} answer{'s' * (changes.flips == 1)} "
        f"differently, in {_plural(situations, 'situation')} ({compared} compared in "
        f"{_plural(len(changes.behaviour), 'decision')} whose logic changed)"
    )


def _text(changes: Changes, language: str | None) -> list[str]:
    lines = [
        f"terms diff {changes.old.label} -> {changes.new.label}",
        f"  old: {_side_line(changes.old)}",
        f"  new: {_side_line(changes.new)}",
    ]
    if changes.languages_added or changes.languages_removed:
        lines.append(
            "languages: "
            + ", ".join(
                [*(f"+ {x}" for x in changes.languages_added), *(f"- {x}" for x in changes.languages_removed)]
            )
        )
    lines.append(
        f"clauses: {len(changes.added)} added, {len(changes.removed)} removed, {len(changes.changed)} changed"
    )
    for info in changes.added:
        lines.append(f"+ {info.id}  ({info.section}: {_title(info, language, changes.languages)})")
        if info.rule:
            lines.append(f"    rule: {info.rule}")
    for info in changes.removed:
        lines.append(f"- {info.id}  ({info.section}: {_title(info, language, changes.languages)})")
        if info.rule:
            lines.append(f"    rule: {info.rule}")
    for clause in changes.changed:
        lines.append(f"~ {clause.id}  [{', '.join(clause.kinds)}]")
        lines.extend("    " + _change_words(change).replace("\n", "\n    ") for change in clause.logic)
        for red in clause.redlines:
            if language and red.language != language:
                continue
            if red.title is not None:
                lines.append(f"    title [{red.language}]: {redline_text(red.title)}")
            if red.body is not None:
                lines.append(f"    prose [{red.language}]: {redline_text(red.body)}")
    if changes.decisions:
        lines.append(f"decisions: {len(changes.decisions)} changed")
        for decision in changes.decisions:
            sign = {"added": "+", "removed": "-"}.get(decision.status, "~")
            lines.append(f"{sign} {decision.id}")
            lines.extend(
                "    " + _decision_words(change).replace("\n", "\n    ") for change in decision.changes
            )
    if changes.glossary:
        lines.append(f"glossary: {len(changes.glossary)} changed")
        for term in changes.glossary:
            sign = {"added": "+", "removed": "-"}.get(term.status, "~")
            langs = f"  [{', '.join(term.languages)}]" if term.languages else ""
            lines.append(f"{sign} {term.id}{langs}")
    lines.append(f"behaviour: {_behaviour_headline(changes)}")
    for behaviour in changes.behaviour:
        capped = f", stopped at {MAX_FACT_SETS}" if behaviour.capped else ""
        lines.append(
            f"  {behaviour.decision}: {_plural(behaviour.fact_sets, 'fact set')} of "
            f"{behaviour.compared}{capped}; facts not shown are as in "
            f"{_shown_facts(behaviour.base, {})}"
        )
        for index, flip in enumerate(behaviour.flips[:MAX_LISTED]):
            if not flip.outcome_changed and (index == 0 or behaviour.flips[index - 1].outcome_changed):
                lines.append("    same outcome, other deciding clauses:")
            case = flip.cases[0]
            lines.append(
                f"    {_shown_facts(case.facts, behaviour.base)}, as of {_as_of(case)}: "
                f"{_answers(flip)}{_origin(case)}{_alike(len(flip.cases))}"
            )
        if len(behaviour.flips) > MAX_LISTED:
            rest = behaviour.flips[MAX_LISTED:]
            lines.append(
                f"    ... and {_plural(len(rest), 'more situation')} "
                f"({_plural(sum(len(f.cases) for f in rest), 'fact set')})"
            )
        if behaviour.unmatched:
            count = sum(len(u.cases) for u in behaviour.unmatched)
            lines.append(f"    not comparable: {_plural(count, 'fact set')} only one edition accepts")
            for item in behaviour.unmatched:
                case = item.cases[0]
                lines.append(
                    f"      {_shown_facts(case.facts, behaviour.base)}{_origin(case)}"
                    f"{_alike(len(item.cases))}: {item.side} refuses: {item.problem}"
                )
    return lines


def _md(text: str) -> str:
    return _md_escape(text)


def _arrows(text: str) -> str:
    return re.sub(r"\s*\n\s*-> | -> ", " → ", text)


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def _cell(text: str) -> str:
    return _md_escape(text).replace("\n", " ")


def _markdown(changes: Changes, language: str | None) -> list[str]:
    lines = [
        f"# What changed: {_md(changes.old.label)} → {_md(changes.new.label)}",
        "",
        f"- Old: {_md(_side_line(changes.old))}",
        f"- New: {_md(_side_line(changes.new))}",
    ]
    if changes.languages_added or changes.languages_removed:
        languages = [
            *(f"+ {x}" for x in changes.languages_added),
            *(f"- {x}" for x in changes.languages_removed),
        ]
        lines.append(f"- Languages: {', '.join(languages)}")
    lines += [
        "",
        f"Clauses: {len(changes.added)} added, {len(changes.removed)} removed, "
        f"{len(changes.changed)} changed.",
        "",
    ]
    for heading, infos in (("Added clauses", changes.added), ("Removed clauses", changes.removed)):
        if not infos:
            continue
        lines += [f"## {heading}", ""]
        for info in infos:
            lines.append(
                f"- {_code(info.id)} ({_md(info.section)}): {_md(_title(info, language, changes.languages))}"
            )
            if info.rule:
                lines.append(f"    - rule: {_code(info.rule)}")
        lines.append("")
    if changes.changed:
        lines += ["## Changed clauses", ""]
        for clause in changes.changed:
            lines += [f"### {_code(clause.id)}", "", f"Changes: {', '.join(clause.kinds)}", ""]
            for change in clause.logic:
                if change.kind == "condition":
                    lines.append(f"- condition: {_code(str(change.old))} → {_code(str(change.new))}")
                else:
                    lines.append(f"- {_md(_arrows(_change_words(change)))}")
            for red in clause.redlines:
                if language and red.language != language:
                    continue
                if red.title is not None:
                    lines.append(f"- title ({red.language}): {redline_text(red.title, markdown=True)}")
                if red.body is not None:
                    lines.append(f"- prose ({red.language}): {redline_text(red.body, markdown=True)}")
            lines.append("")
    if changes.decisions:
        lines += ["## Decisions", ""]
        for decision in changes.decisions:
            lines.append(f"- {_code(decision.id)}: {decision.status}")
            lines += [f"    - {_md(_arrows(_decision_words(change)))}" for change in decision.changes]
        lines.append("")
    if changes.glossary:
        lines += ["## Glossary", ""]
        lines += [
            f"- {_code(t.id)}: {t.status}{' (' + ', '.join(t.languages) + ')' if t.languages else ''}"
            for t in changes.glossary
        ]
        lines.append("")
    lines += [
        "## Behaviour",
        "",
        _md(_behaviour_headline(changes)[:1].upper() + _behaviour_headline(changes)[1:]) + ".",
        "",
    ]
    for behaviour in changes.behaviour:
        capped = f" (stopped at {MAX_FACT_SETS})" if behaviour.capped else ""
        lines += [
            f"### {_code(behaviour.decision)}",
            "",
            f"{_plural(behaviour.fact_sets, 'fact set')} of {behaviour.compared}{capped} "
            f"answer differently. Facts not shown are as in "
            f"{_code(_shown_facts(behaviour.base, {}))}.",
            "",
        ]
        if behaviour.flips:
            lines += ["| Facts | As of | Old | New | Alike |", "|---|---|---|---|---|"]
            for flip in behaviour.flips[:MAX_LISTED]:
                case = flip.cases[0]
                old = f"{flip.old_outcome} ({_deciding(flip.old_deciding, flip.old_overridden)})"
                new = f"{flip.new_outcome} ({_deciding(flip.new_deciding, flip.new_overridden)})"
                facts = _code(_shown_facts(case.facts, behaviour.base)).replace("|", "\\|") + _cell(
                    _origin(case)
                )
                lines.append(
                    f"| {facts} | {_as_of(case)} | {_cell(old)} | {_cell(new)} | {len(flip.cases) - 1} |"
                )
            lines.append("")
            if len(behaviour.flips) > MAX_LISTED:
                rest = behaviour.flips[MAX_LISTED:]
                lines += [
                    f"… and {_plural(len(rest), 'more situation')} "
                    f"({_plural(sum(len(f.cases) for f in rest), 'fact set')}).",
                    "",
                ]
        if behaviour.unmatched:
            count = sum(len(u.cases) for u in behaviour.unmatched)
            lines += [f"Not comparable: {_plural(count, 'fact set')} only one edition accepts.", ""]
            for item in behaviour.unmatched:
                case = item.cases[0]
                lines.append(
                    f"- {_cell(_shown_facts(case.facts, behaviour.base) + _origin(case))}"
                    f"{_alike(len(item.cases))}: {item.side} refuses: {_cell(item.problem)}"
                )
            lines.append("")
    return lines


def dump_json(value: Any, indent: str = "") -> str:
    """JSON indented by two spaces, except that an object or array that fits on one line
    (within JSON_WIDTH characters) is written on one line: fact sets stay readable."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or len(indent) + len(flat) <= JSON_WIDTH:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {dump_json(v, inner).lstrip()}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [inner + dump_json(v, inner).lstrip() for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


def _ops_json(ops: Sequence[Op] | None) -> list[dict[str, str]] | None:
    if ops is None:
        return None
    names = {"=": "equal", "-": "delete", "+": "insert"}
    return [{"op": names[op], "text": text} for op, text in ops]


def _change_json(change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": change.kind}
    if change.what:
        entry["what"] = change.what
    entry.update(old=change.old, new=change.new)
    return entry


def _case_json(case: Case) -> dict[str, Any]:
    entry: dict[str, Any] = {"facts": dict(case.facts), "as_of": case.as_of}
    if case.old_as_of == case.new_as_of or not (case.old_as_of and case.new_as_of):
        entry["answered_as_of"] = case.new_as_of or case.old_as_of
    else:
        entry["answered_as_of"] = {"old": case.old_as_of, "new": case.new_as_of}
    entry["source"] = case.source
    if case.name:
        entry["name"] = case.name
    return entry


def _to_json(changes: Changes, language: str | None) -> dict[str, Any]:
    def side(s: Side) -> dict[str, Any]:
        return {
            "label": s.label,
            "kind": s.kind,
            "corpus": s.corpus,
            "edition": s.edition,
            "edition_date": s.edition_date,
            "revision": s.revision,
        }

    def info(i: ClauseInfo) -> dict[str, Any]:
        titles = {k: v for k, v in i.titles.items() if not language or k == language}
        return {"id": i.id, "section": i.section, "titles": titles, "rule": i.rule}

    return {
        "old": side(changes.old),
        "new": side(changes.new),
        "summary": changes_summary(changes),
        "languages": {"added": list(changes.languages_added), "removed": list(changes.languages_removed)},
        "clauses": {
            "added": [info(i) for i in changes.added],
            "removed": [info(i) for i in changes.removed],
            "changed": [
                {
                    "id": c.id,
                    "kinds": list(c.kinds),
                    "logic": [_change_json(change) for change in c.logic],
                    "prose": {
                        r.language: {"title": _ops_json(r.title), "body": _ops_json(r.body)}
                        for r in c.redlines
                        if not language or r.language == language
                    },
                }
                for c in changes.changed
            ],
        },
        "decisions": [
            {"id": d.id, "status": d.status, "changes": [_change_json(change) for change in d.changes]}
            for d in changes.decisions
        ],
        "glossary": [
            {"id": t.id, "status": t.status, "languages": list(t.languages)} for t in changes.glossary
        ],
        "behaviour": [
            {
                "decision": b.decision,
                "base": dict(b.base),
                "compared": b.compared,
                "capped": b.capped,
                "fact_sets": b.fact_sets,
                "situations": [
                    {
                        "old": {
                            "outcome": f.old_outcome,
                            "deciding": list(f.old_deciding),
                            "overridden": list(f.old_overridden),
                        },
                        "new": {
                            "outcome": f.new_outcome,
                            "deciding": list(f.new_deciding),
                            "overridden": list(f.new_overridden),
                        },
                        "fact_sets": [_case_json(case) for case in f.cases],
                    }
                    for f in b.flips
                ],
                "not_comparable": [
                    {
                        "refused_by": u.side,
                        "problem": u.problem,
                        "fact_sets": [_case_json(case) for case in u.cases],
                    }
                    for u in b.unmatched
                ],
            }
            for b in changes.behaviour
        ],
    }


# Command line --------------------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    """terms diff OLD NEW [--path terms] [--format text|markdown|json] [--lang xx]."""
    editions = []
    for spec in (args.old, args.new):
        try:
            editions.append(load_edition(spec, Path(args.path)))
        except DiffError as error:
            if error.diagnostics:
                from terms_compiler.diagnostics import render_text

                print(render_text(error.diagnostics), file=sys.stderr)
            print(f"terms diff: {error}", file=sys.stderr)
            return EXIT_USAGE
    old, new = editions
    languages = [*new.bundle.get("languages", []), *old.bundle.get("languages", [])]
    if args.lang is not None and args.lang not in languages:
        print(
            f"terms diff: language '{args.lang}' is in neither edition "
            f"({', '.join(dict.fromkeys(languages))})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(render(compare(old, new), args.format, args.lang))
    return EXIT_OK
