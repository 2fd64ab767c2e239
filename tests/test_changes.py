"""The previous edition named by corpus.yaml: a change summary in the bundle, a page on the site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from terms_compiler.emit.templates import plural, ui

from tests.conftest import MINI_CORPUS


def name_previous(corpus: Path, previous: str) -> None:
    path = corpus / "corpus.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f'previous_edition: "{previous}"\n', encoding="utf-8")


def test_the_bundle_and_the_site_say_what_changed_since_the_previous_edition(
    mini: Path, run_terms, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    section = mini / "sections" / "10-buying.yaml"
    text = section.read_text(encoding="utf-8").replace("closed_from: 2025-01-01", "closed_from: 2025-03-01")
    text = text.replace(
        "license_date: 2025-02-01, order_date: 2025-02-01",  # the example moves
        "license_date: 2025-03-05, order_date: 2025-03-05",
    )
    section.write_text(text, encoding="utf-8")
    name_previous(mini, str(MINI_CORPUS))
    code, out, _ = run_terms("build", "terms", "--out", str(tmp_path / "out"), "-q")
    assert code == 0
    assert out == (  # the mini corpus names no conformance cases: the build says so, once
        "terms/corpus.yaml:1:1: warning[W380]: corpus.yaml names no conformance folder (key 'conformance'): "
        "the bundle is published without conformance cases\n"
    )
    bundle = json.loads((tmp_path / "out" / "bundle" / "mini-terms.json").read_text("utf-8"))
    assert bundle["changes"]["changed"] == {
        "buying.select-closed": ["parameters", "effective", "prose:en", "prose:uk"]
    }
    assert bundle["changes"]["behaviour"] > 0  # Select orders in January 2025 flip
    page = (tmp_path / "out" / "site" / "uk" / "2026-01" / "changes" / "index.html").read_text("utf-8")
    assert "Що змінилося" in page and "buying.select-closed" in page
    assert "Відповіді, що змінилися" in page  # the situations that now answer otherwise
    assert "Чи можна придбати? Якщо програма: Select" in page
    assert "З 1 <s>січня</s> <strong>березня</strong> 2025 р." in page  # the uk redline
    # The previous edition by its label and date, not by the folder (or git revision) it came from.
    assert "порівняно з попередньою (2026-01, 1 січня 2026 р.)" in page
    assert str(MINI_CORPUS) not in page


@pytest.mark.parametrize(
    ("language", "counts"),
    [
        ("en", {1: "1 similar case answers", 2: "2 similar cases answer", 21: "21 similar cases answer"}),
        (
            "uk",
            {
                1: "Ще 1 подібний випадок має",
                3: "Ще 3 подібні випадки мають",
                5: "Ще 5 подібних випадків мають",
                21: "Ще 21 подібний випадок має",
                11: "Ще 11 подібних випадків мають",
            },
        ),
        (
            "ru",
            {
                1: "Еще 1 похожий случай получает",
                4: "Еще 4 похожих случая получают",
                12: "Еще 12 похожих случаев получают",
            },
        ),
        ("zh", {1: "另有1个类似情形", 7: "另有7个类似情形"}),
    ],
)
def test_similar_cases_are_counted_in_the_language_s_plural_forms(
    language: str, counts: dict[int, str]
) -> None:
    for n, start in counts.items():
        assert plural(ui(language), "similar", n).startswith(start)


def test_an_unreadable_previous_edition_is_a_warning_not_a_failed_build(
    mini: Path, run_terms, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    name_previous(mini, "no-such-revision")
    code, out, _ = run_terms("build", "terms", "--out", str(tmp_path / "out"), "-q", "--no-site")
    assert code == 0
    assert (
        "terms/corpus.yaml:1:1: warning[W500]: the previous edition 'no-such-revision' cannot be read ("
        in out
    )
    bundle = json.loads((tmp_path / "out" / "bundle" / "mini-terms.json").read_text("utf-8"))
    assert bundle["changes"] is None


def test_an_earlier_rule_is_shown_in_words_as_the_current_one_is(
    mini: Path, run_terms, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    section = mini / "sections" / "10-buying.yaml"
    section.write_text(
        section.read_text(encoding="utf-8").replace("when: program == select", "when: program != open"),
        encoding="utf-8",
    )
    name_previous(mini, str(MINI_CORPUS))
    code, _, _ = run_terms("build", "terms", "--out", str(tmp_path / "out"), "-q")
    assert code == 0
    page = (tmp_path / "out" / "site" / "en" / "2026-01" / "changes" / "index.html").read_text("utf-8")
    now, _, earlier = page.partition("previously:")
    assert earlier, "the earlier rule is not shown"
    earlier = earlier.split("</div>", 1)[0]
    assert "program == select" not in page  # no rule syntax on the page
    assert "the program is Select" in earlier, earlier
    assert "the program is not Open" in now.rsplit("The rule now reads", 1)[1]
