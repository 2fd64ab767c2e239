"""Editions: what changed between two editions of a corpus, in words, in logic and in behaviour.

    old = load_edition("HEAD~1", Path("terms"), compile_corpus)  # a git revision, a folder or a bundle
    new = edition_from_corpus(corpus, conformance)     # or from a corpus compiled in this process
    changes = compare(old, new)
    changes_summary(changes)                           # JSON-able: clause ids and kinds of change
    render(changes, "markdown", language="uk")        # text, markdown or json

Both sides are reduced to the bundle JSON (which carries the rules, their parameters and the
rendered prose per language) plus the fact sets known for them: conformance cases and, when the
side is a corpus, its worked examples. The behavioural diff evaluates those fact sets, and
boundary cases generated from the rules of both sides, with each side's rules (the checker's
own evaluator) and lists the fact sets whose outcome or deciding clauses differ.

One job a module: edition (the data of a side), read (corpus folder, git revision, bundle),
compare, redline (word-level), boundaries and probe (the behavioural diff), render (text,
Markdown, JSON, the summary); the `terms diff` command is commands/diff.py. Import them from
their modules: this package's face imports nothing, so that the pipeline can use compare and
render, and read (which the pipeline also uses) is handed the pipeline's compile function rather
than importing it.
"""
