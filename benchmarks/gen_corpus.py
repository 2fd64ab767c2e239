"""A synthetic corpus for the benchmarks: N clauses in L languages, valid by our own validator.

    python benchmarks/gen_corpus.py --clauses 2000 --languages 10 --out /tmp/bench-corpus

writes corpus.yaml, decisions.yaml (the shipped decisions, with their texts in every language),
glossary.yaml (one term per ten clauses, at least twenty) and sections/NNN-part-NNN.yaml (50
clauses each). Every clause has 60-120 words of prose per language (synthetic words; each
translation is the source passed through a per-language alphabet, so Cyrillic, Greek, CJK, Arabic
and so on carry their real byte widths), with the same placeholders, glossary links and
cross-references in every language, and `translates:` hashes that are current.

Nine clauses in ten state a rule over the real facts of the shipped decisions, with one or more
parameters and two worked examples (one on each side of a limit): sa-purchase (keyed by
`product == "p-N"`, so no two of them overlap; every tenth clause is an exception that overrides
the clause before it, some clauses have effective dates), sa-renewal (keyed by
`agreement_year == version_year`, all `allowed`) and regional-availability (keyed by `country`,
all `denied`). No two rules of a decision with different outcomes can both apply unless one
overrides the other.

The corpus is checked with terms_compiler.pipeline.compile_corpus unless --no-check; any error is
printed and the script exits 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Languages Material for MkDocs has a theme translation for (checked against
# material/templates/partials/languages/), source language first. The first ten are the default.
LANGUAGES = (
    "en",
    "uk",
    "ru",
    "zh",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "pl",
    "nl",
    "sv",
    "da",
    "fi",
    "nb",
    "cs",
    "sk",
    "sl",
    "hr",
    "hu",
    "ro",
    "bg",
    "el",
    "tr",
    "ja",
    "ko",
    "vi",
    "th",
    "id",
    "he",
    "ar",
    "hi",
    "lt",
    "lv",
    "et",
)
CLAUSES_PER_SECTION = 50
SHIPPED_LANGUAGES = frozenset({"en", "uk", "ru", "zh"})

# Per-language alphabets: the 26 Latin letters of the synthetic source words are mapped onto
# letters of the language's script; languages written without spaces join words directly.
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_SCRIPTS = {
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωάέ",
    "cjk": "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生",
    "kana": "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん",
    "hangul": "가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초",
    "thai": "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศสหอฮ",
    "hebrew": "אבגדהוזחטיכלמנסעפצקרשתםןףץ",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "devanagari": "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशसह",
}
_ACCENTS = {  # a few letters per Latin-script language, for realistic UTF-8 widths
    "de": "äöüß",
    "fr": "éèàç",
    "es": "ñáéó",
    "it": "àèìò",
    "pt": "ãçáõ",
    "pl": "ąęłż",
    "nl": "éëij",
    "sv": "åäöé",
    "da": "æøåé",
    "fi": "äöåy",
    "nb": "æøåé",
    "cs": "čřšž",
    "sk": "čľšž",
    "sl": "čšžc",
    "hr": "čćšž",
    "hu": "őűáé",
    "ro": "ăâșț",
    "tr": "çğış",
    "vi": "ăâđơ",
    "id": "aeio",
    "lt": "ąčęš",
    "lv": "āčēš",
    "et": "äöõü",
}
_SCRIPT_OF = {
    "uk": "cyrillic",
    "ru": "cyrillic",
    "bg": "cyrillic",
    "el": "greek",
    "zh": "cjk",
    "ja": "kana",
    "ko": "hangul",
    "th": "thai",
    "he": "hebrew",
    "ar": "arabic",
    "hi": "devanagari",
}
_NO_SPACES = frozenset({"zh", "ja", "th"})
# Markup a translation keeps as it is: placeholders, link targets, bold, list markers, newlines.
_PROTECTED = re.compile(r"(\{\{[^}]*\}\}|\]\([^)]*\)|\*\*|(?m:^\d+\. )|\n|[\[\]().,;:])")


def _table(language: str) -> dict[int, str]:
    script = _SCRIPT_OF.get(language)
    if script:
        letters = _SCRIPTS[script]
        return {ord(c): letters[(i * 7) % len(letters)] for i, c in enumerate(_LATIN)}
    accents = _ACCENTS.get(language, "")
    return {ord(c): a for c, a in zip("aeou", accents, strict=False)}


_TABLES: dict[str, dict[int, str]] = {}


def localize(text: str, language: str) -> str:
    """The source text 'translated': prose letters mapped to the language's script, markup kept."""
    if language == "en":
        return text
    table = _TABLES.setdefault(language, _table(language))
    out = []
    for part in _PROTECTED.split(text):
        if not part or _PROTECTED.fullmatch(part):
            out.append(part)
            continue
        translated = (part.lower() if language in _SCRIPT_OF else part).translate(table)
        if language in _NO_SPACES:
            # Keep the spaces next to markup (Markdown needs "1. " and a space before a link
            # is harmless); drop the ones between words.
            stripped = translated.strip(" ")
            lead = " " if translated.startswith(" ") else ""
            trail = " " if translated.endswith(" ") else ""
            translated = lead + stripped.replace(" ", "") + trail
        out.append(translated)
    return "".join(out)


# Synthetic words -------------------------------------------------------------------------------

_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ren",
    "tas",
    "vo",
    "shi",
    "nar",
    "pel",
    "dun",
    "cor",
    "ve",
    "lin",
    "tra",
    "men",
    "sio",
    "bel",
    "gar",
    "ust",
    "rom",
    "pha",
    "kel",
    "dor",
    "wen",
    "zi",
    "fal",
    "hon",
    "ly",
    "ter",
    "qua",
    "ment",
    "ance",
    "ship",
    "ber",
    "ion",
)


class Words:
    """A Zipf-like vocabulary of pseudo-words, so prose has repeated common words."""

    def __init__(self, rng: random.Random, size: int = 3000) -> None:
        self.rng = rng
        vocab: set[str] = set()
        while len(vocab) < size:
            vocab.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))))
        self.vocab = sorted(vocab)
        rng.shuffle(self.vocab)
        self.weights = [1 / (rank + 1) for rank in range(size)]

    def take(self, count: int) -> list[str]:
        return self.rng.choices(self.vocab, weights=self.weights, k=count)

    def phrase(self, count: int) -> str:
        return " ".join(self.take(count))

    def title(self, count: int) -> str:
        return " ".join(w.capitalize() for w in self.take(count))

    def sentence(self, count: int) -> str:
        words = self.take(count)
        words[0] = words[0].capitalize()
        return " ".join(words) + "."


# The clauses ----------------------------------------------------------------------------------


def _day(iso: str, plus: int) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=plus)).isoformat()


def _country(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if index < 26 * 26:
        return letters[index // 26] + letters[index % 26]
    index -= 26 * 26
    return letters[index // 676 % 26] + letters[index // 26 % 26] + letters[index % 26]


def rule_for(index: int, clause_ids: list[str], rng: random.Random) -> dict[str, Any] | None:
    """Parameters, prose snippets showing them, rule, examples and (for some) effective dates of
    clause `index`; None for a clause of prose only (one in ten)."""
    kind = index % 10
    product = f"p-{index}"
    if kind in (0, 2, 3, 4):
        window = rng.randrange(30, 181)
        variant = kind
        if variant == 0:
            when = (
                f'product == "{product}" and channel in [oem, retail] and pool == servers\n'
                "and days(license_date, order_date) >= 0\n"
                "and days(license_date, order_date) <= window_days"
            )
            base = {"product": product, "channel": "oem", "pool": "servers", "license_date": "2024-03-01"}
        elif variant == 2:
            when = (
                f'product == "{product}" and channel == volume-licensing\n'
                "and program in [select, select-plus, mpsa]\n"
                "and days(license_date, order_date) <= window_days"
            )
            base = {"product": product, "program": "select", "license_date": "2024-03-01"}
        elif variant == 3:
            when = (
                f'product == "{product}" and channel == transfer and transferor_had_sa\n'
                "and days(license_date, order_date) >= 0\n"
                "and days(license_date, order_date) <= window_days"
            )
            base = {
                "product": product,
                "channel": "transfer",
                "transferor_had_sa": True,
                "license_date": "2024-03-01",
            }
        else:
            when = (
                f'product == "{product}" and program in [enterprise-agreement, mpsa]\n'
                "and (enterprise_product or latest_version)\n"
                "and days(license_date, order_date) <= window_days"
            )
            base = {"product": product, "program": "mpsa", "license_date": "2024-03-01"}
        return {
            "parameters": {"window_days": window},
            "prose": ["within {{ window_days }} days"],
            "rule": {"decision": "sa-purchase", "when": when, "outcome": "allowed"},
            "examples": [
                {
                    "title": "On the last day",
                    "facts": {**base, "order_date": _day("2024-03-01", window)},
                    "outcome": "allowed",
                },
                {
                    "title": "The day after",
                    "facts": {**base, "order_date": _day("2024-03-01", window + 1)},
                    "outcome": "denied",
                },
            ],
        }
    if kind == 1:  # an exception to the clause before (kind 0: OEM or retail, servers)
        grace = rng.randrange(5, 25)
        base = {
            "product": f"p-{index - 1}",
            "channel": "oem",
            "pool": "servers",
            "license_date": "2024-03-01",
            "order_date": "2024-03-05",
        }
        return {
            "parameters": {"grace_days": grace},
            "prose": ["after {{ grace_days }} days"],
            "rule": {
                "decision": "sa-purchase",
                "outcome": "denied",
                "overrides": [clause_ids[index - 1]],
                "when": (
                    f'product == "p-{index - 1}"\n'
                    "and (not latest_version\n"
                    "     or (enterprise_product\n"
                    "         and days(license_date, order_date) > grace_days))"
                ),
            },
            "examples": [
                {
                    "title": "An earlier version",
                    "facts": {**base, "latest_version": False},
                    "outcome": "denied",
                },
                {
                    "title": "The latest version, early",
                    "facts": {**base, "enterprise_product": True},
                    "outcome": "allowed",
                },
            ],
        }
    if kind in (5, 6):
        year = 3000 + index
        grace = rng.randrange(15, 120)
        if kind == 5:
            base = {"agreement_year": year, "sa_end_date": "2024-06-30"}
            return {
                "parameters": {"version_year": year, "grace_days": grace},
                "prose": ["agreements of version {{ version_year }}", "within {{ grace_days }} days"],
                "rule": {
                    "decision": "sa-renewal",
                    "outcome": "allowed",
                    "when": (
                        "agreement_year == version_year and same_agreement\n"
                        "and program == previous_program\n"
                        "and days(sa_end_date, order_date) <= grace_days"
                    ),
                },
                "examples": [
                    {
                        "title": "On the last day",
                        "facts": {**base, "order_date": _day("2024-06-30", grace)},
                        "outcome": "allowed",
                    },
                    {
                        "title": "The day after",
                        "facts": {**base, "order_date": _day("2024-06-30", grace + 1)},
                        "outcome": "denied",
                    },
                ],
            }
        gap = rng.randrange(1, 4)
        base = {
            "agreement_year": year,
            "same_agreement": False,
            "sa_end_date": "2024-06-30",
            "order_date": "2024-06-20",
        }
        return {
            "parameters": {"version_year": year, "max_gap_days": gap, "grace_days": grace},
            "prose": [
                "agreements of version {{ version_year }}",
                "no more than {{ max_gap_days }} days",
                "within {{ grace_days }} days",
            ],
            "rule": {
                "decision": "sa-renewal",
                "outcome": "allowed",
                "when": (
                    "agreement_year == version_year and not same_agreement\n"
                    "and perpetual_license\n"
                    "and days(sa_end_date, new_agreement_start) <= max_gap_days\n"
                    "and (order_date <= sa_end_date\n"
                    "     or (program == open-license\n"
                    "         and days(sa_end_date, order_date) <= grace_days))"
                ),
            },
            "examples": [
                {
                    "title": "The new agreement starts in time",
                    "facts": {**base, "new_agreement_start": _day("2024-06-30", gap)},
                    "outcome": "allowed",
                },
                {
                    "title": "The new agreement starts a day late",
                    "facts": {**base, "new_agreement_start": _day("2024-06-30", gap + 1)},
                    "outcome": "denied",
                },
            ],
        }
    if kind == 7:
        country = _country(index // 10)
        start = f"{rng.randrange(2018, 2023)}-{rng.randrange(1, 13):02d}-01"
        base = {"country": country, "transaction": "renewal", "date": "2024-06-01"}
        return {
            "parameters": {"start_date": start},
            "prose": ["from {{ start_date }}"],
            "rule": {
                "decision": "regional-availability",
                "outcome": "denied",
                "when": (
                    f'country == "{country}" and transaction in [renewal, new-purchase]\n'
                    "and customer_type == state and date >= start_date"
                ),
            },
            "examples": [
                {
                    "title": "A state-owned customer",
                    "facts": {**base, "customer_type": "state"},
                    "outcome": "denied",
                },
                {
                    "title": "A private customer",
                    "facts": {**base, "customer_type": "private"},
                    "outcome": "not-applicable",
                },
            ],
        }
    if kind == 8:  # in effect from a date parameter until a fixed date
        window = rng.randrange(30, 181)
        start = f"{rng.randrange(2019, 2023)}-{rng.randrange(1, 13):02d}-01"
        base = {"product": product, "channel": "oem", "license_date": "2024-03-01"}
        return {
            "parameters": {"start_date": start, "window_days": window},
            "effective": {"from": "start_date", "until": "2099-12-31"},
            "prose": ["within {{ window_days }} days", "from {{ start_date }}"],
            "rule": {
                "decision": "sa-purchase",
                "outcome": "allowed",
                "when": f'product == "{product}" and channel == oem\n'
                "and days(license_date, order_date) <= window_days",
            },
            "examples": [
                {
                    "title": "On the last day",
                    "facts": {**base, "order_date": _day("2024-03-01", window)},
                    "outcome": "allowed",
                },
                {
                    "title": "The day after",
                    "facts": {**base, "order_date": _day("2024-03-01", window + 1)},
                    "outcome": "denied",
                },
            ],
        }
    return None


def body_for(
    index: int, words: Words, rng: random.Random, prose: list[str], terms: list[str], clause_ids: list[str]
) -> str:
    """60-120 words of Markdown: paragraphs (sometimes a numbered list), the parameters'
    placeholders, one to three glossary links and usually one cross-reference."""
    target = rng.randrange(60, 121)
    pieces: list[str] = []
    count = 0
    inserts = [f"{words.phrase(2)} {p}" for p in prose]
    for _ in range(rng.randrange(1, 4)):
        term = rng.choice(terms)
        inserts.append(f"the [{words.phrase(rng.randrange(1, 3))}](term:{term})")
    if rng.random() < 0.75 and len(clause_ids) > 1:
        other = clause_ids[rng.randrange(len(clause_ids))]
        if other == clause_ids[index]:
            other = clause_ids[(index + 1) % len(clause_ids)]
        inserts.append(f"(see [{words.phrase(2)}](clause:{other}))")
    rng.shuffle(inserts)
    while count < target or inserts:
        length = rng.randrange(8, 20)
        sentence = words.sentence(length)
        count += length
        if inserts:
            insert = inserts.pop()
            cut = sentence.rfind(" ", 0, len(sentence) // 2)
            sentence = sentence[:cut] + " " + insert + sentence[cut:]
            count += len(insert.split())
        first, second, rest = sentence.split(" ", 2)
        if rng.random() < 0.08 and first.isalpha() and second.isalpha():
            sentence = f"**{first} {second}** {rest}"  # some bold, as editors write
        pieces.append(sentence)
    # Group the sentences into paragraphs; every fifth clause ends with a numbered list.
    paragraphs: list[str] = []
    listed = pieces[-3:] if index % 5 == 0 and len(pieces) > 4 else []
    rest = pieces[: len(pieces) - len(listed)]
    while rest:
        take = rng.randrange(2, 5)
        paragraphs.append(_wrap(" ".join(rest[:take])))
        rest = rest[take:]
    if listed:
        paragraphs.append("\n".join(f"{n}. " + _wrap(s, indent="   ") for n, s in enumerate(listed, 1)))
    return "\n\n".join(paragraphs) + "\n"


def _wrap(text: str, width: int = 96, indent: str = "") -> str:
    """Wrap at spaces outside links and placeholders (so every piece of markup stays on one line)."""
    lines, line = [], ""
    depth = 0
    token = ""
    for char in text + " ":
        if char == " " and depth == 0:
            if line and len(line) + 1 + len(token) > width:
                lines.append(line)
                line = token
            else:
                line = f"{line} {token}" if line else token
            token = ""
            continue
        depth = max(depth + (char in "[{(") - (char in "]})"), 0)
        token += char
    if line:
        lines.append(line)
    return ("\n" + indent).join(lines)


# YAML output -----------------------------------------------------------------------------------


def q(text: str) -> str:
    """A double-quoted YAML scalar (our texts hold no quotes or backslashes)."""
    assert '"' not in text and "\\" not in text, text
    return f'"{text}"'


def flow_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or (
        re.fullmatch(r"[a-z][a-z-]*", value)
        and value not in ("true", "false", "null", "yes", "no", "on", "off")
    ):
        return value
    return q(value)


def flow_map(mapping: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {flow_value(v)}" for k, v in mapping.items()) + "}"


def block(text: str, indent: str) -> str:
    lines = text.rstrip("\n").split("\n")
    return "|\n" + "\n".join(f"{indent}{line}" if line else "" for line in lines)


def source_hash(title: str, body: str) -> str:
    """terms_compiler.freshness.source_hash, on the texts as the loader will read them."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()[:12]


def section_yaml(
    number: int, section_id: str, clauses: list[dict[str, Any]], languages: tuple[str, ...], words: Words
) -> str:
    out = [f"# Synthetic section {number} (benchmarks/gen_corpus.py).", f"id: {section_id}", "title:"]
    title = words.title(3)
    out += [f"  {lang}: {q(localize(title, lang))}" for lang in languages]
    out.append("clauses:")
    for clause in clauses:
        out.append(f"  - id: {clause['id']}")
        spec = clause["spec"]
        if spec and spec["parameters"]:
            out.append("    parameters:")
            out += [f"      {k}: {flow_value(v)}" for k, v in spec["parameters"].items()]
        if spec and spec.get("effective"):
            out.append("    effective:")
            out += [f"      {k}: {v}" for k, v in spec["effective"].items()]
        out.append("    text:")
        src_title, src_body = clause["title"], clause["body"]
        digest = source_hash(src_title, src_body)
        for lang in languages:
            out.append(f"      {lang}:")
            out.append(f"        title: {q(localize(src_title, lang))}")
            out.append(f"        body: {block(localize(src_body, lang), '          ')}")
            if lang != languages[0]:
                out.append(f"        translates: {q(digest)}")
        if spec:
            rule = spec["rule"]
            out.append("    rule:")
            out.append(f"      decision: {rule['decision']}")
            out.append("      when: >-")
            out += [f"        {line}" for line in rule["when"].split("\n")]
            out.append(f"      outcome: {rule['outcome']}")
            if rule.get("overrides"):
                out.append(f"      overrides: [{', '.join(rule['overrides'])}]")
            out.append("    examples:")
            for example in spec["examples"]:
                out.append(f"      - title: {q(example['title'])}")
                out.append(f"        facts: {flow_map(example['facts'])}")
                out.append(f"        outcome: {example['outcome']}")
        if clause["index"] % 7 == 0:
            out.append("    notes: >-")
            out.append(f"      {words.sentence(12)}")
        out.append("")
    return "\n".join(out) + "\n"


def _localized_everywhere(value: Any, languages: tuple[str, ...]) -> Any:
    """The shipped decisions, with each per-language mapping given in exactly `languages`."""
    if isinstance(value, dict):
        if value and set(value) == SHIPPED_LANGUAGES and all(isinstance(v, str) for v in value.values()):
            return {lang: value.get(lang) or f"{value['en']} ({lang})" for lang in languages}
        return {k: _localized_everywhere(v, languages) for k, v in value.items()}
    if isinstance(value, list):
        return [_localized_everywhere(v, languages) for v in value]
    return value


def generate(out: Path, clauses: int, languages: int, seed: int = 1) -> dict[str, Any]:
    """Write the corpus under out (replacing it); returns counts for the caller to print."""
    if not 1 <= languages <= len(LANGUAGES):
        raise SystemExit(f"--languages must be 1 to {len(LANGUAGES)}")
    import yaml
    from terms_compiler.load import load_file

    langs = LANGUAGES[:languages]
    rng = random.Random(seed)
    words = Words(rng)
    if out.exists():
        shutil.rmtree(out)
    (out / "sections").mkdir(parents=True)

    sections = (clauses + CLAUSES_PER_SECTION - 1) // CLAUSES_PER_SECTION
    section_ids = [f"part-{n:03d}" for n in range(1, sections + 1)]
    clause_ids = [f"{section_ids[i // CLAUSES_PER_SECTION]}.clause-{i:05d}" for i in range(clauses)]
    term_ids = [f"term-{n:04d}" for n in range(max(20, clauses // 10))]

    # corpus.yaml
    title, description = words.title(4), " ".join(words.sentence(14) for _ in range(3))
    corpus_lines = [
        "# Synthetic corpus for the benchmarks (benchmarks/gen_corpus.py).",
        "id: synthetic-terms",
        "title:",
    ]
    corpus_lines += [f"  {lang}: {q(localize(title, lang))}" for lang in langs]
    corpus_lines.append("description:")
    corpus_lines += [f"  {lang}: {q(localize(description, lang))}" for lang in langs]
    corpus_lines += [
        "source_language: en",
        f"languages: [{', '.join(langs)}]",
        'edition: "2026-11"',
        "edition_date: 2026-11-01",
    ]
    (out / "corpus.yaml").write_text("\n".join(corpus_lines) + "\n", encoding="utf-8")

    # decisions.yaml: the shipped decisions, in every language of this corpus
    shipped = load_file(ROOT / "terms" / "decisions.yaml", "decisions").data
    decisions = _localized_everywhere(shipped, langs)
    (out / "decisions.yaml").write_text(
        "# The shipped decisions (terms/decisions.yaml) in every language of this corpus.\n"
        + yaml.safe_dump(decisions, allow_unicode=True, sort_keys=False, width=200),
        encoding="utf-8",
    )

    # glossary.yaml
    glossary = ["# Synthetic glossary.", "terms:"]
    for term in term_ids:
        name, definition = words.title(rng.randrange(1, 4)), words.sentence(rng.randrange(15, 31))
        glossary += [f"  - id: {term}", "    text:"]
        for lang in langs:
            glossary += [
                f"      {lang}:",
                f"        term: {q(localize(name, lang))}",
                f"        definition: {q(localize(definition, lang))}",
            ]
    (out / "glossary.yaml").write_text("\n".join(glossary) + "\n", encoding="utf-8")

    # sections
    rules = examples = overrides = total_words = 0
    for number, section_id in enumerate(section_ids, start=1):
        batch = []
        first = (number - 1) * CLAUSES_PER_SECTION
        for index in range(first, min(first + CLAUSES_PER_SECTION, clauses)):
            spec = rule_for(index, clause_ids, rng)
            prose = spec["prose"] if spec else []
            body = body_for(index, words, rng, prose, term_ids, clause_ids)
            total_words += len(body.split())
            if spec:
                rules += 1
                examples += len(spec["examples"])
                overrides += len(spec["rule"].get("overrides", ()))
            batch.append(
                {
                    "id": clause_ids[index],
                    "index": index,
                    "spec": spec,
                    "title": words.title(rng.randrange(2, 6)),
                    "body": body,
                }
            )
        (out / "sections" / f"{number:03d}-{section_id}.yaml").write_text(
            section_yaml(number, section_id, batch, langs, words), encoding="utf-8"
        )
    size = sum(p.stat().st_size for p in out.rglob("*.yaml"))
    return {
        "clauses": clauses,
        "languages": len(langs),
        "sections": sections,
        "terms": len(term_ids),
        "rules": rules,
        "examples": examples,
        "overrides": overrides,
        "words_per_clause": total_words / max(clauses, 1),
        "bytes": size,
    }


def check(out: Path) -> float:
    """Compile the corpus with our own pipeline; exit 1 with the diagnostics on any error."""
    from terms_compiler.diagnostics import render_text
    from terms_compiler.pipeline import compile_corpus

    started = time.perf_counter()
    result = compile_corpus(out)
    seconds = time.perf_counter() - started
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity.value == "error"]
        print(render_text(errors[:30]), file=sys.stderr)
        raise SystemExit(
            f"gen_corpus: the generated corpus has {len(errors)} errors "
            f"(first 30 above): this is a bug in gen_corpus.py or in the compiler"
        )
    warnings = [d for d in result.diagnostics if d.severity.value != "error"]
    if warnings:
        print(f"gen_corpus: {len(warnings)} warnings, e.g. {warnings[0].render()}", file=sys.stderr)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clauses", type=int, default=2000, help="number of clauses (default 2000)")
    parser.add_argument(
        "--languages", type=int, default=10, help=f"number of languages, 1 to {len(LANGUAGES)} (default 10)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("/tmp/bench-corpus"),
        help="output folder, replaced (default /tmp/bench-corpus)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-check", action="store_true", help="skip the validation")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.out, args.clauses, args.languages, args.seed)
    print(
        f"wrote {args.out}: {counts['clauses']} clauses x {counts['languages']} languages "
        f"in {counts['sections']} section files, {counts['terms']} glossary terms, "
        f"{counts['rules']} rules, {counts['examples']} examples, {counts['overrides']} overrides, "
        f"{counts['words_per_clause']:.0f} words per clause per language, "
        f"{counts['bytes'] / 1e6:.1f} MB of YAML, in {time.perf_counter() - started:.1f} s"
    )
    if not args.no_check:
        seconds = check(args.out)
        print(f"valid: compile_corpus found no errors ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
