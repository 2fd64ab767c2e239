"""Check benchmark: decisions per second through the Python API and through `terms check`,
each beside a hand-written plain-Python function of the same rules doing the same I/O.

    python benchmarks/check.py                 # 100,000-line batches, 20,000 API calls
    python benchmarks/check.py --lines 10000 --calls 5000 --repeat 1     # a quick look

The shipped corpus (terms/) is built into a temporary folder (`terms build --no-site`). Fact sets
for sa-purchase and sa-renewal are generated at random (seeded) so that every rule applies,
is overridden and fails on each of its conditions; the hand-written functions below implement
the rules of terms/sections/10-sa-purchase.yaml and 20-sa-renewal.yaml, and are checked first to
give the same answers as the bundle on every generated fact set (outcome, deciding and
overridden clauses, and, for the batch, the same JSON record byte for byte, reasons included).

Figures (best of --repeat runs, wall time; the two sides of each ratio take turns, run by run):
  - API: Bundle.decide(decision, facts) per call, beside handwritten decide(facts): both
    validate the facts and return outcome, as-of date, deciding and overridden clauses.
  - CLI batch: `terms check --format json` on a JSON Lines file, to /dev/null, beside
    `python benchmarks/check.py --handwritten DECISION FILE` (read, json.loads, decide, explain,
    json.dumps the same record per line).
  - One call: `terms check` on one JSON file, beside `python -c "import json"`, and which
    modules the check path imports (python -X importtime).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent

# The hand-written equivalent -------------------------------------------------------------------
# Plain Python, as a tool author would write the same rules by reading the YAML. It validates the
# facts as the checker does (unknown, missing, enum values, types), answers, and words the same
# reasons. Only the standard library; this part of the file is what `--handwritten` runs.

_fromiso = dt.date.fromisoformat
PROGRAMS = frozenset(
    ("open-license", "open-value", "enterprise-agreement", "eap", "select", "select-plus", "mpsa")
)
CHANNELS = frozenset(("volume-licensing", "oem", "retail", "transfer"))
POOLS = frozenset(("applications", "systems", "servers"))


class BadFacts(Exception):
    pass


def _check_facts(facts: Any, types: Mapping[str, Any], required: frozenset[str]) -> None:
    if not isinstance(facts, dict):
        raise BadFacts("the facts must be a JSON object")
    problems = [f"unknown fact '{k}'" for k in facts if k not in types]
    problems += [f"missing fact '{k}'" for k in required if k not in facts]
    for name, value in facts.items():
        kind = types.get(name)
        if kind is None:
            continue
        if isinstance(kind, frozenset):
            ok = isinstance(value, str) and value in kind
        elif kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind is dt.date:
            ok = isinstance(value, str) and len(value) == 10
            if ok:
                try:
                    _fromiso(value)
                except ValueError:
                    ok = False
        else:
            ok = isinstance(value, str)
        if not ok:
            problems.append(f"fact '{name}' has a wrong value")
    if problems:
        raise BadFacts("; ".join(problems))


PURCHASE_TYPES = {
    "program": PROGRAMS,
    "channel": CHANNELS,
    "pool": POOLS,
    "product": str,
    "enterprise_product": bool,
    "latest_version": bool,
    "license_date": dt.date,
    "order_date": dt.date,
    "transferor_had_sa": bool,
    "transitioned_online": bool,
    "at_anniversary_or_renewal": bool,
    "reattach_quantity": int,
    "covered_at_transition": int,
}
PURCHASE_REQUIRED = frozenset(
    (
        "program",
        "channel",
        "pool",
        "product",
        "enterprise_product",
        "latest_version",
        "license_date",
        "order_date",
    )
)
PURCHASE_DEFAULTS = {
    "transferor_had_sa": False,
    "transitioned_online": False,
    "at_anniversary_or_renewal": False,
    "reattach_quantity": 0,
    "covered_at_transition": 0,
}
RENEWAL_TYPES = {
    "program": PROGRAMS,
    "previous_program": PROGRAMS,
    "same_agreement": bool,
    "sa_end_date": dt.date,
    "order_date": dt.date,
    "new_agreement_start": dt.date,
    "agreement_year": int,
    "perpetual_license": bool,
    "enterprise_product_from_org_wide": bool,
    "ea_enrollment_year": int,
    "eap_deferred_skus": bool,
}
RENEWAL_REQUIRED = frozenset(
    (
        "program",
        "previous_program",
        "same_agreement",
        "sa_end_date",
        "order_date",
        "new_agreement_start",
        "agreement_year",
        "perpetual_license",
    )
)
RENEWAL_DEFAULTS = {
    "enterprise_product_from_org_wide": False,
    "ea_enrollment_year": 0,
    "eap_deferred_skus": False,
}

# Rule order, outcomes and overrides, as in the YAML.
PURCHASE_RULES = (
    ("sa-purchase.with-license", "allowed", ()),
    ("sa-purchase.latest-version", "denied", ("sa-purchase.with-license", "sa-purchase.oem-retail")),
    ("sa-purchase.transfer", "allowed", ("sa-purchase.latest-version",)),
    ("sa-purchase.oem-retail", "allowed", ()),
    ("sa-purchase.oem-retail-applications", "denied", ()),
    (
        "sa-purchase.oem-retail-enterprise-products",
        "denied",
        ("sa-purchase.oem-retail", "sa-purchase.oem-office", "sa-purchase.oem-sql-server-2017"),
    ),
    (
        "sa-purchase.oem-office",
        "allowed",
        ("sa-purchase.oem-retail-applications", "sa-purchase.latest-version"),
    ),
    ("sa-purchase.oem-sql-server-2017", "allowed", ("sa-purchase.latest-version",)),
    ("sa-purchase.ea-reattach", "allowed", ("sa-purchase.latest-version",)),
)
RENEWAL_RULES = (
    ("sa-renewal.same-agreement", "allowed", ()),
    ("sa-renewal.open-license", "allowed", ()),
    ("sa-renewal.enterprise-agreement", "denied", ("sa-renewal.same-agreement",)),
    (
        "sa-renewal.eap-buyout",
        "denied",
        ("sa-renewal.same-agreement", "sa-renewal.separate-agreement", "sa-renewal.legacy-continuity"),
    ),
    ("sa-renewal.separate-agreement", "allowed", ()),
    (
        "sa-renewal.enterprise-products",
        "denied",
        ("sa-renewal.separate-agreement", "sa-renewal.legacy-continuity"),
    ),
    ("sa-renewal.legacy-continuity", "allowed", ()),
)


def _prepare(
    facts: Any, types: Mapping[str, Any], required: frozenset[str], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    _check_facts(facts, types, required)
    return {**defaults, **facts}


def purchase_applies(f: Mapping[str, Any]) -> tuple[bool, ...]:
    """Which rules of sa-purchase apply, in rule order (f: prepared facts)."""
    channel, pool, program, product = f["channel"], f["pool"], f["program"], f["product"]
    days = _fromiso(f["order_date"]).toordinal() - _fromiso(f["license_date"]).toordinal()
    oem_or_retail = channel == "oem" or channel == "retail"
    return (
        channel == "volume-licensing" and days == 0,
        not f["latest_version"],
        channel == "transfer" and f["transferor_had_sa"] and 0 <= days <= 30,
        oem_or_retail
        and pool == "servers"
        and program in ("open-license", "mpsa", "select", "select-plus", "open-value", "enterprise-agreement")
        and 0 <= days <= 90,
        oem_or_retail and pool == "applications",
        oem_or_retail and program in ("open-value", "enterprise-agreement") and f["enterprise_product"],
        channel == "oem"
        and pool == "applications"
        and product in ("office-professional-2016", "office-professional-2019")
        and program in ("open-license", "select", "select-plus", "open-value")
        and 0 <= days <= 90,
        channel == "oem"
        and pool == "servers"
        and product == "sql-server-2017"
        and program in ("open-license", "mpsa", "select", "select-plus", "open-value", "enterprise-agreement")
        and f["license_date"] < "2020-03-31"
        and 0 <= days <= 90,
        program == "enterprise-agreement"
        and channel == "volume-licensing"
        and f["transitioned_online"]
        and f["at_anniversary_or_renewal"]
        and 0 < f["reattach_quantity"] <= f["covered_at_transition"],
    )


def renewal_applies(f: Mapping[str, Any]) -> tuple[bool, ...]:
    program, previous, same = f["program"], f["previous_program"], f["same_agreement"]
    end = _fromiso(f["sa_end_date"]).toordinal()
    late = _fromiso(f["order_date"]).toordinal() - end
    gap = _fromiso(f["new_agreement_start"]).toordinal() - end
    return (
        same and program == previous and late <= 0,
        same and program == "open-license" and previous == "open-license" and late <= 90,
        same and program == "enterprise-agreement" and f["ea_enrollment_year"] < 2011,
        (program == "eap" or previous == "eap") and f["eap_deferred_skus"],
        not same
        and f["perpetual_license"]
        and ((gap <= 1 and late <= 0) or (program == "open-license" and gap <= 90 and late <= 90)),
        not same
        and program != previous
        and f["enterprise_product_from_org_wide"]
        and program not in ("mpsa", "enterprise-agreement", "open-value"),
        not same
        and f["perpetual_license"]
        and f["agreement_year"] <= 2008
        and (
            (program != "open-license" and late <= 30 and gap <= 30)
            or (program == "open-license" and late <= 90 and gap <= 90)
        ),
    )


def _combine(
    rules: tuple[tuple[str, str, tuple[str, ...]], ...], applies: tuple[bool, ...], default: str
) -> tuple[str, list[str], list[str]]:
    applicable = [rule for rule, yes in zip(rules, applies, strict=True) if yes]
    beaten = {target for _, _, overrides in applicable for target in overrides}
    deciding = [rule for rule in applicable if rule[0] not in beaten]
    outcomes = {outcome for _, outcome, _ in deciding}
    outcome = default if not deciding else deciding[0][1] if len(outcomes) == 1 else "conflict"
    return (outcome, [c for c, _, _ in deciding], [c for c, _, _ in applicable if c in beaten])


def purchase_decide(facts: Any) -> dict[str, Any]:
    f = _prepare(facts, PURCHASE_TYPES, PURCHASE_REQUIRED, PURCHASE_DEFAULTS)
    outcome, deciding, overridden = _combine(PURCHASE_RULES, purchase_applies(f), "denied")
    return {
        "decision": "sa-purchase",
        "outcome": outcome,
        "as_of": f["order_date"],
        "deciding": deciding,
        "overridden": overridden,
    }


def renewal_decide(facts: Any) -> dict[str, Any]:
    f = _prepare(facts, RENEWAL_TYPES, RENEWAL_REQUIRED, RENEWAL_DEFAULTS)
    outcome, deciding, overridden = _combine(RENEWAL_RULES, renewal_applies(f), "denied")
    return {
        "decision": "sa-renewal",
        "outcome": outcome,
        "as_of": f["order_date"],
        "deciding": deciding,
        "overridden": overridden,
    }


# Reasons: for a rule that does not apply, its first condition that fails, in the checker's words.


def _b(value: bool) -> str:
    return "true" if value else "false"


def _days(f: Mapping[str, Any], start: str, end: str) -> int:
    return _fromiso(f[end]).toordinal() - _fromiso(f[start]).toordinal()


def _needs(subject: str, value: Any, need: str) -> str:
    return f"{subject} is {value}; the rule needs {need}"


def _not_one_of(subject: str, value: Any, options: str) -> str:
    return f"{subject} is {value}, which is not one of: {options}"


def _window(f: Mapping[str, Any], start: str, end: str, limit: int, name: str) -> str | None:
    """days(start, end) >= 0 and days(start, end) <= limit"""
    days = _days(f, start, end)
    if days < 0:
        return f"the number of days from {start} to {end} is {days}; the rule needs at least 0"
    if days > limit:
        return f"{end} is {days} days after {start}; the limit is {limit} ({name})"
    return None


def _upto(f: Mapping[str, Any], start: str, end: str, limit: int, name: str) -> str | None:
    """days(start, end) <= limit"""
    days = _days(f, start, end)
    return f"{end} is {days} days after {start}; the limit is {limit} ({name})" if days > limit else None


def _purchase_failures(f: Mapping[str, Any]) -> Iterator[str | None]:
    ch, pool, prog, prod = f["channel"], f["pool"], f["program"], f["product"]
    oem_retail = None if ch in ("oem", "retail") else _not_one_of("channel", ch, "oem, retail")
    # with-license
    yield (
        _needs("channel", ch, "volume-licensing")
        if ch != "volume-licensing"
        else _needs("order_date", f["order_date"], f"{f['license_date']} (license_date)")
        if f["order_date"] != f["license_date"]
        else None
    )
    # latest-version
    yield "latest_version is true" if f["latest_version"] else None
    # transfer
    yield (
        _needs("channel", ch, "transfer")
        if ch != "transfer"
        else "transferor_had_sa is false"
        if not f["transferor_had_sa"]
        else _window(f, "license_date", "order_date", 30, "window_days")
    )
    # oem-retail
    yield (
        oem_retail
        or (
            _needs("pool", pool, "servers")
            if pool != "servers"
            else _not_one_of(
                "program", prog, "open-license, mpsa, select, select-plus, open-value, enterprise-agreement"
            )
            if prog
            not in ("open-license", "mpsa", "select", "select-plus", "open-value", "enterprise-agreement")
            else _window(f, "license_date", "order_date", 90, "window_days")
        )
    )
    # oem-retail-applications
    yield oem_retail or (_needs("pool", pool, "applications") if pool != "applications" else None)
    # oem-retail-enterprise-products
    yield (
        oem_retail
        or (
            _not_one_of("program", prog, "open-value, enterprise-agreement")
            if prog not in ("open-value", "enterprise-agreement")
            else "enterprise_product is false"
            if not f["enterprise_product"]
            else None
        )
    )
    # oem-office
    yield (
        _needs("channel", ch, "oem")
        if ch != "oem"
        else _needs("pool", pool, "applications")
        if pool != "applications"
        else _not_one_of("product", prod, "office-professional-2016, office-professional-2019")
        if prod not in ("office-professional-2016", "office-professional-2019")
        else _not_one_of("program", prog, "open-license, select, select-plus, open-value")
        if prog not in ("open-license", "select", "select-plus", "open-value")
        else _window(f, "license_date", "order_date", 90, "window_days")
    )
    # oem-sql-server-2017
    yield (
        _needs("channel", ch, "oem")
        if ch != "oem"
        else _needs("pool", pool, "servers")
        if pool != "servers"
        else _needs("product", prod, "sql-server-2017")
        if prod != "sql-server-2017"
        else _not_one_of(
            "program", prog, "open-license, mpsa, select, select-plus, open-value, enterprise-agreement"
        )
        if prog not in ("open-license", "mpsa", "select", "select-plus", "open-value", "enterprise-agreement")
        else _needs("license_date", f["license_date"], "before 2020-03-31 (cutoff_date)")
        if not f["license_date"] < "2020-03-31"
        else _window(f, "license_date", "order_date", 90, "window_days")
    )
    # ea-reattach
    q, covered = f["reattach_quantity"], f["covered_at_transition"]
    yield (
        _needs("program", prog, "enterprise-agreement")
        if prog != "enterprise-agreement"
        else _needs("channel", ch, "volume-licensing")
        if ch != "volume-licensing"
        else "transitioned_online is false"
        if not f["transitioned_online"]
        else "at_anniversary_or_renewal is false"
        if not f["at_anniversary_or_renewal"]
        else _needs("reattach_quantity", q, "more than 0")
        if not q > 0
        else _needs("reattach_quantity", q, f"at most {covered} (covered_at_transition)")
        if not q <= covered
        else None
    )


def _renewal_failures(f: Mapping[str, Any]) -> Iterator[str | None]:
    prog, prev, same = f["program"], f["previous_program"], f["same_agreement"]
    end, order = f["sa_end_date"], f["order_date"]
    late = _days(f, "sa_end_date", "order_date")
    on_time = _needs("order_date", order, f"on or before {end} (sa_end_date)") if late > 0 else None
    # same-agreement
    yield (
        "same_agreement is false"
        if not same
        else _needs("program", prog, f"{prev} (previous_program)")
        if prog != prev
        else on_time
    )
    # open-license
    yield (
        "same_agreement is false"
        if not same
        else _needs("program", prog, "open-license")
        if prog != "open-license"
        else _needs("previous_program", prev, "open-license")
        if prev != "open-license"
        else _upto(f, "sa_end_date", "order_date", 90, "grace_days")
    )
    # enterprise-agreement
    year = f["ea_enrollment_year"]
    yield (
        "same_agreement is false"
        if not same
        else _needs("program", prog, "enterprise-agreement")
        if prog != "enterprise-agreement"
        else _needs("ea_enrollment_year", year, "less than 2011 (min_enrollment_year)")
        if not year < 2011
        else None
    )
    # eap-buyout
    yield (
        "none of the alternatives holds: "
        + _needs("program", prog, "eap")
        + "; or "
        + _needs("previous_program", prev, "eap")
        if prog != "eap" and prev != "eap"
        else "eap_deferred_skus is false"
        if not f["eap_deferred_skus"]
        else None
    )
    # separate-agreement
    in_time = _upto(f, "sa_end_date", "new_agreement_start", 1, "max_start_gap_days") or on_time
    open_license = (
        _needs("program", prog, "open-license")
        if prog != "open-license"
        else _upto(f, "sa_end_date", "new_agreement_start", 90, "open_license_days")
        or _upto(f, "sa_end_date", "order_date", 90, "open_license_days")
    )
    yield (
        "same_agreement is true"
        if same
        else "perpetual_license is false"
        if not f["perpetual_license"]
        else f"none of the alternatives holds: {in_time}; or {open_license}"
        if in_time and open_license
        else None
    )
    # enterprise-products
    yield (
        "same_agreement is true"
        if same
        else _needs("program", prog, f"anything but {prev} (previous_program)")
        if prog == prev
        else "enterprise_product_from_org_wide is false"
        if not f["enterprise_product_from_org_wide"]
        else f"program is {prog}, which is excluded (mpsa, enterprise-agreement, open-value)"
        if prog in ("mpsa", "enterprise-agreement", "open-value")
        else None
    )
    # legacy-continuity
    agreement = f["agreement_year"]
    first = (
        _needs("program", prog, "anything but open-license")
        if prog == "open-license"
        else _upto(f, "sa_end_date", "order_date", 30, "grace_days")
        or _upto(f, "sa_end_date", "new_agreement_start", 30, "grace_days")
    )
    second = (
        _needs("program", prog, "open-license")
        if prog != "open-license"
        else _upto(f, "sa_end_date", "order_date", 90, "open_license_grace_days")
        or _upto(f, "sa_end_date", "new_agreement_start", 90, "open_license_grace_days")
    )
    yield (
        "same_agreement is true"
        if same
        else "perpetual_license is false"
        if not f["perpetual_license"]
        else _needs("agreement_year", agreement, "at most 2008 (legacy_year)")
        if agreement > 2008
        else f"none of the alternatives holds: {first}; or {second}"
        if first and second
        else None
    )


def _explained(
    decision: str, rules: tuple[tuple[str, str, tuple[str, ...]], ...], failures: list[str | None], as_of: str
) -> dict[str, Any]:
    applicable = [rule for rule, failure in zip(rules, failures, strict=True) if failure is None]
    applied = {c for c, _, _ in applicable}
    beaten = {target for _, _, overrides in applicable for target in overrides}
    deciding = [rule for rule in applicable if rule[0] not in beaten]
    outcomes = {outcome for _, outcome, _ in deciding}
    outcome = "denied" if not deciding else deciding[0][1] if len(outcomes) == 1 else "conflict"
    reasons = []
    for (clause, rule_outcome, _), failure in zip(rules, failures, strict=True):
        if failure is not None:
            status, message = "not-met", f"{clause} does not apply: {failure}"
        elif clause in beaten:
            by = ", ".join(c for c, _, overrides in rules if c in applied and clause in overrides)
            status, message = "overridden", f"{clause} applies but is overridden by {by}"
        else:
            status, message = "deciding", f"{clause} applies: {rule_outcome}"
        reasons.append({"clause": clause, "status": status, "outcome": rule_outcome, "message": message})
    if outcome == "conflict":
        reasons.append(
            {
                "clause": "",
                "status": "conflict",
                "outcome": "conflict",
                "message": f"conflict: {', '.join(c for c, _, _ in deciding)} apply with "
                "different outcomes and none overrides the others",
            }
        )
    elif not deciding:
        reasons.append(
            {
                "clause": "",
                "status": "default",
                "outcome": outcome,
                "message": f"no rule applies, so the answer is the default: {outcome}",
            }
        )
    return {
        "decision": decision,
        "outcome": outcome,
        "as_of": as_of,
        "deciding": [c for c, _, _ in deciding],
        "overridden": [c for c, _, _ in applicable if c in beaten],
        "reasons": reasons,
    }


def purchase_explained(facts: Any) -> dict[str, Any]:
    f = _prepare(facts, PURCHASE_TYPES, PURCHASE_REQUIRED, PURCHASE_DEFAULTS)
    return _explained("sa-purchase", PURCHASE_RULES, list(_purchase_failures(f)), f["order_date"])


def renewal_explained(facts: Any) -> dict[str, Any]:
    f = _prepare(facts, RENEWAL_TYPES, RENEWAL_REQUIRED, RENEWAL_DEFAULTS)
    return _explained("sa-renewal", RENEWAL_RULES, list(_renewal_failures(f)), f["order_date"])


HANDWRITTEN: dict[str, Callable[[Any], dict[str, Any]]] = {
    "sa-purchase": purchase_decide,
    "sa-renewal": renewal_decide,
}
HANDWRITTEN_EXPLAINED: dict[str, Callable[[Any], dict[str, Any]]] = {
    "sa-purchase": purchase_explained,
    "sa-renewal": renewal_explained,
}


def handwritten_batch(decision: str, stream: TextIO, out: TextIO) -> int:
    """What `terms check --format json FILE.jsonl` does, by hand: one JSON record per line."""
    explained = HANDWRITTEN_EXPLAINED[decision]
    failed = 0
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = {"line": number, **explained(json.loads(line))}
        except (BadFacts, ValueError) as error:
            failed += 1
            out.write(json.dumps({"line": number, "error": str(error)}, ensure_ascii=False) + "\n")
            continue
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 1 if failed else 0


# Fact sets ------------------------------------------------------------------------------------

PRODUCTS = (
    "office-standard-2021",
    "office-professional-2016",
    "office-professional-2019",
    "sql-server-2017",
    "windows-server-2022",
    "visio-standard-2021",
    "windows-11-pro",
)


def _date(rng: Any, start: str, end: str) -> str:
    first, last = _fromiso(start).toordinal(), _fromiso(end).toordinal()
    return dt.date.fromordinal(rng.randint(first, last)).isoformat()


def _plus(iso: str, days: int) -> str:
    return dt.date.fromordinal(_fromiso(iso).toordinal() + days).isoformat()


def purchase_facts(rng: Any) -> dict[str, Any]:
    """A random fact set for sa-purchase, biased towards the values the rules test."""
    license_date = _date(rng, "2019-06-01", "2025-12-31")
    facts: dict[str, Any] = {
        "program": rng.choice(sorted(PROGRAMS)),
        "channel": rng.choice(("volume-licensing", "oem", "oem", "retail", "transfer")),
        "pool": rng.choice(sorted(POOLS)),
        "product": rng.choice(PRODUCTS),
        "enterprise_product": rng.random() < 0.3,
        "latest_version": rng.random() < 0.7,
        "license_date": license_date,
        "order_date": _plus(license_date, rng.choice((0, 0, rng.randint(-5, 100), rng.randint(25, 95)))),
    }
    if rng.random() < 0.5:
        facts["transferor_had_sa"] = rng.random() < 0.7
    if facts["program"] == "enterprise-agreement" or rng.random() < 0.2:
        facts["transitioned_online"] = rng.random() < 0.7
        facts["at_anniversary_or_renewal"] = rng.random() < 0.7
        facts["covered_at_transition"] = rng.randint(0, 60)
        facts["reattach_quantity"] = rng.randint(0, 65)
    return facts


def renewal_facts(rng: Any) -> dict[str, Any]:
    sa_end = _date(rng, "2008-01-01", "2025-12-31")
    program = rng.choice(sorted(PROGRAMS))
    facts: dict[str, Any] = {
        "program": program,
        "previous_program": program if rng.random() < 0.5 else rng.choice(sorted(PROGRAMS)),
        "same_agreement": rng.random() < 0.5,
        "sa_end_date": sa_end,
        "order_date": _plus(sa_end, rng.randint(-60, 120)),
        "new_agreement_start": _plus(sa_end, rng.choice((1, 1, rng.randint(-3, 5)))),
        "agreement_year": rng.randint(2003, 2024),
        "perpetual_license": rng.random() < 0.8,
    }
    if rng.random() < 0.5:
        facts["enterprise_product_from_org_wide"] = rng.random() < 0.5
    if program == "enterprise-agreement" or rng.random() < 0.2:
        facts["ea_enrollment_year"] = rng.randint(2005, 2016)
    if "eap" in (program, facts["previous_program"]) or rng.random() < 0.2:
        facts["eap_deferred_skus"] = rng.random() < 0.5
    return facts


GENERATORS = {"sa-purchase": purchase_facts, "sa-renewal": renewal_facts}


def fact_sets(decision: str, count: int, seed: int = 7) -> list[dict[str, Any]]:
    import random

    rng = random.Random(seed)
    return [GENERATORS[decision](rng) for _ in range(count)]


# The benchmark --------------------------------------------------------------------------------


def terms_command() -> list[str]:
    """The `terms` script of this interpreter (not a pyenv shim, which adds its own start-up)."""
    script = Path(sys.executable).parent / "terms"
    return [str(script)] if script.exists() else [sys.executable, "-m", "terms_compiler.cli"]


def build_shipped_bundle(folder: Path) -> Path:
    """`terms build --no-site` of the shipped corpus into folder; the bundle's path."""
    import subprocess

    done = subprocess.run(
        [*terms_command(), "build", "terms", "--out", str(folder), "--no-site", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"terms build failed:\n{done.stdout}\n{done.stderr}")
    bundles = [
        p
        for p in (folder / "bundle").glob("*.json")
        if p.name != "conformance.json" and ".rules." not in p.name
    ]
    return bundles[0]


def agree(bundle: Any, decision: str, facts: list[dict[str, Any]]) -> dict[str, int]:
    """Assert that the hand-written functions answer as the bundle does; coverage per clause."""
    decide, explained = HANDWRITTEN[decision], HANDWRITTEN_EXPLAINED[decision]
    coverage: dict[str, int] = {}
    for index, fact_set in enumerate(facts):
        answer = bundle.decide(decision, fact_set)
        ours = answer.to_json()
        theirs = decide(fact_set)
        record = {
            **answer.to_json(),  # what terms check --format json writes per line
            "reasons": [r.to_json() for r in bundle.explain(answer, "en")],
        }
        by_hand = explained(fact_set)
        if ours != theirs or json.dumps(record) != json.dumps(by_hand):
            raise SystemExit(
                f"the hand-written {decision} disagrees with the bundle on fact set "
                f"{index}: {json.dumps(fact_set)}\nbundle: {json.dumps(record)}\n"
                f"by hand: {json.dumps(by_hand)}\nHas terms/ changed? Update the "
                "hand-written rules in benchmarks/check.py."
            )
        for clause in (*answer.deciding, *answer.overridden):
            coverage[clause] = coverage.get(clause, 0) + 1
        coverage[answer.outcome] = coverage.get(answer.outcome, 0) + 1
    return coverage


def best_of(repeat: int, work: Callable[[], object]) -> float:
    return race(repeat, work)[0]


def race(repeat: int, *works: Callable[[], object]) -> list[float]:
    """Best wall time of each piece of work over `repeat` rounds, the pieces taking turns in each
    round, so that a load that comes and goes on a shared machine hits them alike."""
    import time

    best = [float("inf")] * len(works)
    for _ in range(repeat):
        for index, work in enumerate(works):
            started = time.perf_counter()
            work()
            best[index] = min(best[index], time.perf_counter() - started)
    return best


# Environment of the timed commands. A bytecode cache is allowed (in a private folder, not the
# repository) even when PYTHONDONTWRITEBYTECODE is set, as it is in some sandboxes: an installed
# package has its .pyc files, and without them every `terms check` recompiles the compiler's
# modules it imports. set_bytecode_cache() chooses; the one-call figure is shown both ways.
ENV: dict[str, str] = dict(os.environ)


def set_bytecode_cache(folder: Path | None) -> None:
    """Allow a bytecode cache in folder; None: the environment as it is."""
    ENV.clear()
    ENV.update(os.environ)
    if folder is not None:
        ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        ENV["PYTHONPYCACHEPREFIX"] = str(folder)


def run_cli(command: list[str], stdin: Path | None = None) -> None:
    import subprocess

    with open(stdin or "/dev/null", "rb") as source:
        done = subprocess.run(
            command, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=ENV
        )
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")


def import_profile(command: list[str]) -> tuple[int, list[tuple[str, float]]]:
    """Modules a command imports, and the top-level ones by cumulative import time (ms)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command], capture_output=True, text=True, cwd=ROOT, env=ENV
    )
    count, top = 0, []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        count += 1
        _, cumulative, field = line.split("|", 2)
        if len(field) - len(field.lstrip()) == 1:  # nested imports are indented further
            top.append((field.strip(), int(cumulative) / 1000))
    return count, sorted(top, key=lambda item: -item[1])


def main(argv: list[str] | None = None) -> int:
    import argparse
    import subprocess
    import tempfile
    import time

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines per JSONL batch")
    parser.add_argument("--calls", type=int, default=20_000, help="API calls per decision")
    parser.add_argument("--agree", type=int, default=2_000, help="fact sets checked for agreement")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept")
    parser.add_argument(
        "--single-runs", type=int, default=20, help="runs of the one-call comparison (default 20)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write a pyinstrument text profile of the sa-purchase CLI batch here",
    )
    parser.add_argument(
        "--large-bundle",
        default=None,
        metavar="CLAUSESxLANGUAGES",
        help="also time one terms check call on the bundle of a synthetic corpus "
        "of this size (e.g. 2000x10; generated and built first)",
    )
    parser.add_argument("--handwritten", nargs=2, metavar=("DECISION", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.handwritten:
        decision, path = args.handwritten
        with open(path, encoding="utf-8") as stream:
            return handwritten_batch(decision, stream, sys.stdout)

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from compile import machine, revision
    from terms_compiler.check.bundle import Bundle

    print(f"machine: {machine()}")
    print(f"compiler at commit {revision()}")
    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    set_bytecode_cache(work / "pycache")
    bundle_path = build_shipped_bundle(work / "build")
    bundle = Bundle.load(bundle_path)
    print(
        f"bundle: shipped corpus, {bundle_path.stat().st_size / 1e3:.0f} kB, built into {bundle_path.parent}"
    )
    ratios: dict[str, float] = {}

    print(f"\nAgreement with the hand-written rules on {args.agree} generated fact sets per decision:")
    for decision in ("sa-purchase", "sa-renewal"):
        coverage = agree(bundle, decision, fact_sets(decision, args.agree, seed=11))
        rules = [c for c in coverage if "." in c]
        print(
            f"  {decision}: identical answers and records; "
            + ", ".join(f"{k} {v}" for k, v in sorted(coverage.items()) if "." not in k)
            + f"; {len(rules)} of {len(bundle.decision(decision).rules)} rules applied "
            f"(min {min(coverage[c] for c in rules)} times)"
        )

    print(f"\nPython API, single calls ({args.calls} fact sets, best of {args.repeat}):")
    for decision in ("sa-purchase", "sa-renewal"):
        facts = fact_sets(decision, args.calls)
        compiled = bundle.decision(decision)
        by_hand = HANDWRITTEN[decision]
        ours, direct, hand = race(
            args.repeat,
            lambda d=decision, fs=facts: [bundle.decide(d, f) for f in fs],
            lambda c=compiled, fs=facts: [c.decide(f) for f in fs],
            lambda h=by_hand, fs=facts: [h(f) for f in fs],
        )
        n = len(facts)
        ratios[f"api {decision}"] = ours / hand
        print(
            f"  {decision}: Bundle.decide {n / ours:>9,.0f}/s ({ours / n * 1e6:5.1f} us), "
            f"CompiledDecision.decide {n / direct:>9,.0f}/s, hand-written {n / hand:>9,.0f}/s "
            f"({hand / n * 1e6:5.1f} us); ours / hand-written = {ours / hand:.2f}x"
        )

    print(
        f"\n`terms check --format json` on a {args.lines:,}-line JSON Lines file, to /dev/null "
        f"(best of {args.repeat}):"
    )
    for decision in ("sa-purchase", "sa-renewal"):
        path = work / f"{decision}.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            for fact_set in fact_sets(decision, args.lines, seed=23):
                stream.write(json.dumps(fact_set) + "\n")
        cli = [
            *terms_command(),
            "check",
            "--bundle",
            str(bundle_path),
            "--decision",
            decision,
            "--format",
            "json",
            str(path),
        ]
        hand_cmd = [sys.executable, str(Path(__file__).resolve()), "--handwritten", decision, str(path)]
        # Same bytes out: compare the first 2,000 lines of each.
        sample = work / f"{decision}-sample.jsonl"
        sample.write_text("".join(path.read_text(encoding="utf-8").splitlines(True)[:2000]), encoding="utf-8")
        a = subprocess.run([*cli[:-1], str(sample)], capture_output=True, cwd=ROOT, env=ENV).stdout
        b = subprocess.run([*hand_cmd[:-1], str(sample)], capture_output=True, cwd=ROOT, env=ENV).stdout
        same = "identical output" if a == b else "OUTPUT DIFFERS"
        ours, hand = race(args.repeat, lambda c=cli: run_cli(c), lambda c=hand_cmd: run_cli(c))
        ratios[f"cli {decision}"] = ours / hand
        print(
            f"  {decision}: terms check {args.lines / ours:>8,.0f} lines/s ({ours:.2f} s), "
            f"hand-written {args.lines / hand:>8,.0f} lines/s ({hand:.2f} s); "
            f"ratio {ours / hand:.2f}x (target <= 2x: {'met' if ours / hand <= 2 else 'MISSED'}); "
            f"{same} on 2,000 lines"
        )

    print(f"\nOne `terms check` call (one JSON fact set, text output), best of {args.single_runs}:")
    one = work / "one.json"
    one.write_text(json.dumps(fact_sets("sa-purchase", 1)[0]), encoding="utf-8")
    single = [*terms_command(), "check", "--bundle", str(bundle_path), "--decision", "sa-purchase", str(one)]
    bare = [sys.executable, "-c", "import json"]
    run_cli(single)  # warm the file cache and write the bytecode cache
    ours, base = race(args.single_runs, lambda: run_cli(single), lambda: run_cli(bare))
    ratios["single"] = ours / base
    print(
        f'  terms check {ours * 1000:.0f} ms, python -c "import json" {base * 1000:.0f} ms; '
        f"ratio {ours / base:.2f}x (target <= 1.5x: {'met' if ours / base <= 1.5 else 'MISSED'})"
        " [with .pyc files, as installed]"
    )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        set_bytecode_cache(None)
        cold, cold_base = race(args.single_runs, lambda: run_cli(single), lambda: run_cli(bare))
        set_bytecode_cache(work / "pycache")
        print(
            f"  as this environment runs it (PYTHONDONTWRITEBYTECODE is set, so the compiler's "
            f"modules are compiled from source at every start): terms check {cold * 1000:.0f} ms, "
            f"bare {cold_base * 1000:.0f} ms, {cold / cold_base:.2f}x"
        )
    command = terms_command()
    count, top = import_profile(
        [*(command[1:] if command[0] == sys.executable else command), *single[len(command) :]]
    )
    heavy = [
        name
        for name, _ in top
        if name.split(".")[0]
        in ("yaml", "jsonschema", "jinja2", "markdown_it", "mkdocs", "z3", "referencing")
    ]
    print(
        f"  modules imported by terms check: {count}; slowest top-level imports (ms): "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in top[:8])
    )
    print(f"  heavy packages on the check path: {', '.join(heavy) if heavy else 'none'}")

    if args.large_bundle:
        from gen_corpus import generate

        clauses, languages = (int(x) for x in args.large_bundle.lower().split("x"))
        generate(work / "large", clauses, languages)
        build = subprocess.run(
            [
                *terms_command(),
                "build",
                str(work / "large"),
                "--out",
                str(work / "large-build"),
                "--no-site",
                "-q",
            ],
            cwd=work,
            capture_output=True,
            text=True,
        )
        if build.returncode != 0:
            raise SystemExit(f"terms build of the synthetic corpus failed: {build.stderr[-2000:]}")
        large = next(
            p
            for p in (work / "large-build" / "bundle").glob("*.json")
            if p.name != "conformance.json" and ".rules." not in p.name
        )
        command = [*terms_command(), "check", "--bundle", str(large), "--decision", "sa-purchase", str(one)]
        run_cli(command)
        seconds = best_of(max(3, args.single_runs // 4), lambda: run_cli(command))
        print(
            f"\nOne `terms check` call on the bundle of a synthetic {clauses} x {languages} "
            f"corpus ({large.stat().st_size / 1e6:.0f} MB): {seconds * 1000:.0f} ms, "
            f'{seconds / base:.1f}x python -c "import json"'
        )

    if args.profile:
        try:
            from pyinstrument import Profiler
        except ImportError:
            raise SystemExit("--profile needs pyinstrument: pip install pyinstrument") from None

        from terms_compiler.cli import main as cli_main

        path = work / "sa-purchase.jsonl"
        profiler = Profiler(interval=0.0005)
        saved = sys.stdout
        with open(os.devnull, "w") as sink:
            sys.stdout = sink
            profiler.start()
            started = time.perf_counter()
            cli_main(
                [
                    "check",
                    "--bundle",
                    str(bundle_path),
                    "--decision",
                    "sa-purchase",
                    "--format",
                    "json",
                    str(path),
                ]
            )
            seconds = time.perf_counter() - started
            profiler.stop()
            sys.stdout = saved
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        from compile import profile_text

        args.profile.write_text(profile_text(profiler), encoding="utf-8")
        print(
            f"\nwrote the profile of the sa-purchase batch ({seconds:.1f} s under the profiler) "
            f"to {args.profile}"
        )

    print(
        "\nRatios (ours / hand-written; one call: ours / bare Python): "
        + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items())
    )
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
