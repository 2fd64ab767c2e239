"""Link stage: resolve references, glossary terms and parameters; parse and type-check conditions."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from terms_compiler.check.evaluate import CONFLICT, parse_date
from terms_compiler.check.pattern import matcher, pattern_error
from terms_compiler.condition.parser import ParseError, parse
from terms_compiler.condition.typecheck import ConditionError, Scope, typecheck
from terms_compiler.diagnostics import Diagnostic, SourceSpan
from terms_compiler.model import Clause, Corpus, Decision, Origin, Rule
from terms_compiler.prose import (
    EXTERNAL_SCHEMES,
    INTERNAL_SCHEMES,
    find_links,
    find_placeholders,
    find_unclosed,
)


def link(corpus: Corpus) -> tuple[Corpus, list[Diagnostic]]:
    """The corpus with every rule's condition typed, and the problems found."""
    linker = _Linker(corpus)
    for decision in corpus.decisions.values():
        linker.check_decision(decision)
    for term in corpus.glossary.values():
        for language, text in term.text.items():
            linker.check_text(text.definition, term.origin, ("text", language, "definition"), {})
    sections = []
    for section in corpus.sections:
        clauses = tuple(linker.link_clause(clause) for clause in section.clauses)
        sections.append(replace(section, clauses=clauses))
    linked = replace(corpus, sections=tuple(sections), clauses={c.id: c for s in sections for c in s.clauses})
    linker.check_overrides(linked)
    return linked, linker.problems


def _did_you_mean(name: str, candidates: Iterator[str] | list[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


_VALID = {
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "date": lambda v: parse_date(v) is not None,
}


class _Linker:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.problems: list[Diagnostic] = []

    def report(
        self, code: str, message: str, span: SourceSpan, hint: str = "", excerpt: tuple[str, ...] = ()
    ) -> None:
        self.problems.append(Diagnostic(code, message, span, hint=hint, excerpt=excerpt))

    # Decisions -------------------------------------------------------------------------------

    def check_decision(self, decision: Decision) -> None:
        origin = decision.origin
        if decision.default not in decision.outcomes:
            self.report(
                "E310",
                f"default outcome '{decision.default}' is not one of the outcomes "
                f"{', '.join(decision.outcomes)}",
                origin.span("default"),
            )
        if CONFLICT in decision.outcomes:
            self.report(
                "E310",
                f"'{CONFLICT}' is reserved for conflicting rules and cannot be an outcome",
                origin.span("outcomes", CONFLICT),
            )
        if decision.as_of is not None:
            fact = decision.facts.get(decision.as_of)
            if fact is None or fact.type != "date":
                self.report(
                    "E311",
                    f"as_of must name a date fact of the decision, found '{decision.as_of}'",
                    origin.span("as_of"),
                )
        for fact in decision.facts.values():
            if fact.pattern is not None and (error := pattern_error(fact.pattern)) is not None:
                self.report(
                    "E314",
                    f"the pattern of fact '{fact.name}' is outside the portable subset: {error.what}",
                    fact.origin.span("pattern")
                    if error.at is None
                    else fact.origin.span_in(error.at, "pattern"),
                    "see docs/semantics.md, Facts: a pattern every checker reads the same way",
                )
            elif fact.enum is not None and fact.enum not in self.corpus.enums:
                self.report(
                    "E312",
                    f"fact '{fact.name}' uses unknown enum '{fact.enum}'",
                    fact.origin.span("enum"),
                    _did_you_mean(fact.enum, list(self.corpus.enums)),
                )
            elif fact.default is not None:
                problem = self.value_problem(decision, fact.name, fact.default)
                if problem:
                    self.report(
                        "E313",
                        f"the default of fact '{fact.name}' does not fit: {problem}",
                        fact.origin.span("default"),
                    )
        for name, value in decision.example_base.items():
            problem = self.value_problem(decision, name, value)
            if problem:
                self.report("E351", problem, origin.span("example_base", name))

    def value_problem(self, decision: Decision, name: str, value: Any) -> str | None:
        fact = decision.facts.get(name)
        if fact is None:
            return f"unknown fact '{name}' for decision '{decision.id}'" + (
                f"; {h}" if (h := _did_you_mean(name, list(decision.facts))) else ""
            )
        if fact.type == "enum":
            if fact.enum is None or fact.enum not in self.corpus.enums:
                return None  # reported once as E312; its values cannot be checked
            values = self.corpus.enums[fact.enum].values
            if value not in values:
                return f"'{value}' is not a value of enum '{fact.enum}' (fact '{name}')" + (
                    f"; {h}" if (h := _did_you_mean(str(value), list(values))) else ""
                )
            return None
        if not _VALID[fact.type](value):
            return f"fact '{name}' is {fact.type}, found {value!r}"
        if (
            fact.pattern is not None
            and pattern_error(fact.pattern) is None
            and not matcher(fact.pattern)(value)
        ):
            return f"fact '{name}' must match {fact.pattern}, found {value!r}"
        return None

    # Clauses ---------------------------------------------------------------------------------

    def link_clause(self, clause: Clause) -> Clause:
        used: set[str] = set()
        for language, text in clause.text.items():
            for key, value in (("title", text.title), ("body", text.body)):
                used |= self.check_text(value, clause.origin, ("text", language, key), clause.parameters)
        used |= {n for n in (clause.effective.start_parameter, clause.effective.end_parameter) if n}
        rule = clause.rule
        if rule is not None:
            rule, rule_names = self.link_rule(clause, rule)
            used |= rule_names
        elif clause.examples:
            self.report(
                "E350",
                f"clause '{clause.id}' has examples but no rule to run them on",
                clause.origin.span("examples"),
            )
        for name, parameter in clause.parameters.items():
            if name not in used:
                self.report(
                    "E325",
                    f"parameter '{name}' is defined but not used in the prose, "
                    "the rule or the effective dates",
                    parameter.origin.span(),
                    hint="remove it, or show it in the prose as {{ " + name + " }}",
                )
        return replace(clause, rule=rule)

    def check_text(
        self, text: str, origin: Origin, path: tuple[str, ...], parameters: Mapping[str, object]
    ) -> set[str]:
        """Check placeholders and links of one text; returns the parameters it uses.
        Positions are looked up only for problems: finding them costs a second read of the file."""
        used = set()
        for placeholder in find_placeholders(text):
            if placeholder.valid and placeholder.name in parameters:
                used.add(placeholder.name)
                continue
            span = origin.span_in(placeholder.offset, *path)
            excerpt = origin.document.excerpt(span, placeholder.length)
            if not placeholder.valid:
                written = text[placeholder.offset : placeholder.offset + placeholder.length]
                self.report(
                    "E321",
                    f"'{written}' is not a placeholder; only {{{{ parameter_name }}}} is allowed in prose",
                    span,
                    excerpt=excerpt,
                )
            else:
                self.report(
                    "E320",
                    f"unknown parameter '{placeholder.name}' in placeholder",
                    span,
                    _did_you_mean(placeholder.name, list(parameters))
                    or "define it under the clause's parameters",
                    excerpt,
                )
        unclosed = find_unclosed(text)
        if unclosed is not None:
            self.report(
                "E321",
                "'{{' is not closed by '}}' (or '{%' is used); only {{ parameter_name }} is allowed in prose",
                origin.span_in(unclosed, *path),
            )
        for link in find_links(text):
            problem = self.link_problem(link.scheme, link.target)
            if problem is not None:
                code, message, hint = problem
                self.report(code, message, origin.span_in(link.offset, *path), hint)
        return used

    def link_problem(self, scheme: str, target: str) -> tuple[str, str, str] | None:
        """(code, message, hint) when a link's target does not exist or its scheme is refused."""
        if scheme == "term" and target not in self.corpus.glossary:
            return (
                "E322",
                f"link to unknown glossary term '{target}'",
                _did_you_mean(target, list(self.corpus.glossary)),
            )
        if scheme == "clause" and target not in self.corpus.clauses:
            return (
                "E323",
                f"link to unknown clause '{target}'",
                _did_you_mean(target, list(self.corpus.clauses)),
            )
        if scheme not in INTERNAL_SCHEMES and scheme not in EXTERNAL_SCHEMES:
            return (
                "E324",
                f"link scheme '{scheme}:' is not allowed; use term:, clause:, http:, https: or mailto:",
                "",
            )
        return None

    # Rules -----------------------------------------------------------------------------------

    def link_rule(self, clause: Clause, rule: Rule) -> tuple[Rule, set[str]]:
        decision = self.corpus.decisions.get(rule.decision)
        origin = rule.origin
        if decision is None:
            self.report(
                "E330",
                f"unknown decision '{rule.decision}'",
                origin.span("decision"),
                _did_you_mean(rule.decision, list(self.corpus.decisions)),
            )
            return rule, set(clause.parameters)  # cannot type-check; do not flag parameters
        if rule.outcome not in decision.outcomes:
            self.report(
                "E331",
                f"outcome '{rule.outcome}' is not an outcome of decision "
                f"'{decision.id}' ({', '.join(decision.outcomes)})",
                origin.span("outcome"),
                _did_you_mean(rule.outcome, list(decision.outcomes)),
            )
        for index, target in enumerate(rule.overrides):
            refused = self.override_problem(clause, decision, target)
            if refused is not None:
                code, message, hint = refused
                self.report(code, message, origin.span("overrides", index), hint)
        for example in clause.examples:
            for name, value in example.facts.items():
                problem = self.value_problem(decision, name, value)
                if problem:
                    self.report("E351", problem, example.origin.span("facts", name))
        if any(f.enum is not None and f.enum not in self.corpus.enums for f in decision.facts.values()):
            return rule, set(clause.parameters)  # E312 already reported; no follow-on errors
        condition = self.typecheck(clause, rule, decision)
        names = set(clause.parameters) if condition is None else set(_parameters_in(condition))
        return replace(rule, condition=condition), names

    def typecheck(self, clause: Clause, rule: Rule, decision: Decision) -> dict[str, Any] | None:
        scope = Scope(
            decision.id,
            {name: fact.qualified_type for name, fact in decision.facts.items()},
            {name: (p.type, p.value) for name, p in clause.parameters.items()},
            {name: tuple(enum.values) for name, enum in self.corpus.enums.items()},
        )
        try:
            return typecheck(parse(rule.when), scope)
        except ParseError as error:
            code, message, hint = "E340", f"condition syntax error: {error.message}", ""
            offset, length = error.offset, error.length
        except ConditionError as error:
            code, message, hint = "E341", error.message, error.hint
            offset, length = error.span.start, error.span.end - error.span.start
        span = rule.origin.span_in(offset, "when")
        self.report(code, message, span, hint, rule.origin.document.excerpt(span, length))
        return None

    def override_problem(
        self, clause: Clause, decision: Decision, target: str
    ) -> tuple[str, str, str] | None:
        """(code, message, hint) when a rule may not override target."""
        other = self.corpus.clauses.get(target)
        if other is None:
            return (
                "E332",
                f"overrides unknown clause '{target}'",
                _did_you_mean(target, list(self.corpus.clauses)),
            )
        if other.rule is None:
            return "E332", f"overrides clause '{target}', which has no rule", ""
        if other.rule.decision != decision.id:
            return (
                "E333",
                f"overrides clause '{target}' of decision '{other.rule.decision}'; "
                f"a rule may only override rules of its own decision '{decision.id}'",
                "",
            )
        if target == clause.id:
            return "E334", f"clause '{target}' overrides itself", ""
        return None

    def check_overrides(self, corpus: Corpus) -> None:
        """Report override cycles (a beats b beats a), once per cycle."""
        graph = {
            c.id: [t for t in c.rule.overrides if t in corpus.clauses and t != c.id]
            for c in corpus.all_clauses()
            if c.rule is not None
        }
        reported: set[frozenset[str]] = set()
        for start in graph:
            cycle = _find_cycle(graph, start)
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                clause = corpus.clauses[start]
                assert clause.rule is not None
                self.report(
                    "E334",
                    "override cycle: " + " -> ".join([*cycle, cycle[0]]),
                    clause.rule.origin.span("overrides"),
                )


def _find_cycle(graph: Mapping[str, list[str]], start: str) -> list[str] | None:
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] if node == start else None
        path.append(node)
        for successor in graph.get(node, ()):
            found = visit(successor)
            if found:
                return found
        path.pop()
        return None

    return visit(start)


def _parameters_in(node: Mapping[str, Any]) -> Iterator[str]:
    if node.get("op") == "param":
        yield node["name"]
    for value in node.values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, dict):
                yield from _parameters_in(child)
