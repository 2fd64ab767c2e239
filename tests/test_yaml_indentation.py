"""The hint of a YAML syntax error names the line whose key is indented wrongly.

Not data cases (tests/diagnostics/ holds three of them): this test makes every mistake of one
kind, each key line of the mini corpus's section indented one space too far or too little,
and holds the hint to the line that was changed. PyYAML reports most of these on another line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from terms_compiler.diagnostics import CompileError
from terms_compiler.yaml_indentation import KEY_LINE
from terms_compiler.yaml_reader import read_text

SECTION = Path(__file__).parent / "fixtures" / "mini" / "sections" / "10-buying.yaml"


def _shifted(lines: list[str], index: int, shift: int) -> str:
    line = lines[index]
    changed = " " * shift + line if shift > 0 else line[-shift:]
    return "\n".join([*lines[:index], changed, *lines[index + 1 :]])


def test_each_key_indented_one_space_off_is_the_line_the_hint_names() -> None:
    lines = SECTION.read_text(encoding="utf-8").split("\n")
    hinted = 0
    for index, line in enumerate(lines):
        if not KEY_LINE.match(line) or not line.startswith(" "):
            continue
        for shift in (1, -1):
            try:
                read_text(_shifted(lines, index, shift), "f.yaml")
            except CompileError as error:
                rendered = error.diagnostics[0].render()
            else:
                continue  # still valid YAML (a deeper child is a child all the same)
            expected = f"hint: a key may be indented wrongly; check the indentation of line {index + 1}"
            assert rendered.endswith(expected), f"line {index + 1} shifted by {shift}: {rendered}"
            hinted += 1
    assert hinted > 80  # most shifts of the 60-odd key lines break the YAML


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        # Nothing else in the file tells which of the two is right: name both.
        ("a:\n  b: 1\n   c: 2\n", "a key may be indented wrongly; check the indentation of lines 2 and 3"),
        # A colon and a space inside unquoted text is not about indentation.
        (
            "a:\n  b: one: two\n",
            "a text holding ': ' must be quoted (\"...\"), or YAML reads a new key in it",
        ),
        # Other syntax errors get no hint of this kind.
        ("a: [1, 2\n", ""),
    ],
)
def test_hint(text: str, hint: str) -> None:
    with pytest.raises(CompileError) as raised:
        read_text(text, "f.yaml")
    assert raised.value.diagnostics[0].hint == hint
