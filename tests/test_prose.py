"""Clause prose as HTML and as plain text: the edge cases, with expected output written by hand.

Prose is CommonMark without raw HTML and without images (docs: README, "The source format").
Each case gives the source, the HTML the bundle and the site carry, and the plain text that
`terms check` quotes (one line per paragraph, heading or list item).
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from terms_compiler.prose import markdown, to_html, to_html_and_plain_text, to_plain_text

CASES: list[tuple[str, str, str, str]] = [
    # (name, Markdown, HTML, plain text)
    (
        "inline HTML is text",
        "a <b>x</b> <script>alert(1)</script>",
        "<p>a &lt;b&gt;x&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
        "a <b>x</b> <script>alert(1)</script>",
    ),
    (
        "an HTML block is a paragraph",
        "<div>\n*hi*\n</div>",
        "<p>&lt;div&gt;\n<em>hi</em>\n&lt;/div&gt;</p>\n",
        "<div> hi </div>",
    ),
    ("a comment is text", "a <!-- c --> b", "<p>a &lt;!-- c --&gt; b</p>\n", "a <!-- c --> b"),
    (
        "an image is a link after a !",
        "![alt](http://x/y.png)",
        '<p>!<a href="http://x/y.png">alt</a></p>\n',
        "!alt",
    ),
    (
        "a javascript: link is not made",
        "[a](javascript:alert(1))",
        "<p>[a](javascript:alert(1))</p>\n",
        "[a](javascript:alert(1))",
    ),
    (
        "autolink",
        "<https://example.com/a_b?c=d&e=f>",
        '<p><a href="https://example.com/a_b?c=d&amp;e=f">https://example.com/a_b?c=d&amp;e=f</a></p>\n',
        "https://example.com/a_b?c=d&e=f",
    ),
    ("email autolink", "<a@b.co>", '<p><a href="mailto:a@b.co">a@b.co</a></p>\n', "a@b.co"),
    ("entities", "&amp; &copy; &bogus; &#35;", "<p>&amp; © &amp;bogus; #</p>\n", "& © &bogus; #"),
    (
        "characters HTML escapes",
        'AT&T < 5 > 4 "q"',
        "<p>AT&amp;T &lt; 5 &gt; 4 &quot;q&quot;</p>\n",
        'AT&T < 5 > 4 "q"',
    ),
    (
        "emphasis, not inside words with _",
        "**bold**, *em* and snake_case_name",
        "<p><strong>bold</strong>, <em>em</em> and snake_case_name</p>\n",
        "bold, em and snake_case_name",
    ),
    ("nested emphasis", "*(*foo*)*", "<p><em>(<em>foo</em>)</em></p>\n", "(foo)"),
    ("unclosed emphasis", "**a *b", "<p>**a *b</p>\n", "**a *b"),
    (
        "a link title with single quotes, as resolve_links writes it",
        "[OEM](../glossary/#oem \"An Original Equipment Manufacturer's 'licence'\")",
        '<p><a href="../glossary/#oem" title="An Original Equipment Manufacturer\'s \'licence\'">OEM</a></p>\n',
        "OEM",
    ),
    (
        "a link title with escaped quotes and markup",
        '[x](/u "say \\"hi\\" & <b>")',
        '<p><a href="/u" title="say &quot;hi&quot; &amp; &lt;b&gt;">x</a></p>\n',
        "x",
    ),
    ("an empty title is left out", '[a](/u "")', '<p><a href="/u">a</a></p>\n', "a"),
    ("an unresolved term link keeps its target", "[x](term:oem)", '<p><a href="term:oem">x</a></p>\n', "x"),
    (
        "a host name in another script is punycoded",
        "[x](http://例え.jp/パス)",
        '<p><a href="http://xn--r8jz45g.jp/%E3%83%91%E3%82%B9">x</a></p>\n',
        "x",
    ),
    (
        "code spans",
        "`<b>` and `a  b`",
        "<p><code>&lt;b&gt;</code> and <code>a  b</code></p>\n",
        "<b> and a b",
    ),
    ("an unclosed code span", "[a `b", "<p>[a `b</p>\n", "[a `b"),
    ("hard breaks", "one  \ntwo\\\nthree", "<p>one<br />\ntwo<br />\nthree</p>\n", "one two three"),
    ("a soft break", "a\nb", "<p>a\nb</p>\n", "a b"),
    ("paragraphs", "First.\n\nSecond.\n", "<p>First.</p>\n<p>Second.</p>\n", "First.\nSecond."),
    (
        "an ordered list from 3",
        "3. three\n4. four",
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n',
        "3. three\n4. four",
    ),
    (
        "a list from 0: plain text numbers it from 1 (as it always has)",
        "0. zero\n1. one",
        '<ol start="0">\n<li>zero</li>\n<li>one</li>\n</ol>\n',
        "1. zero\n2. one",
    ),
    (
        "nested lists",
        "1. a\n   - x\n   - y\n2. b",
        "<ol>\n<li>a\n<ul>\n<li>x</li>\n<li>y</li>\n</ul>\n</li>\n<li>b</li>\n</ol>\n",
        "1. a\n- x\n- y\n2. b",
    ),
    ("a loose list", "- a\n\n- b", "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n", "- a\n- b"),
    (
        "a list after a paragraph",
        "Either:\n\n1. one\n2. two\n\nEnd.",
        "<p>Either:</p>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n<p>End.</p>\n",
        "Either:\n1. one\n2. two\nEnd.",
    ),
    ("a heading", "# Title\n\nText", "<h1>Title</h1>\n<p>Text</p>\n", "Title\nText"),
    ("an empty blockquote", ">", "<blockquote></blockquote>\n", ""),
    (
        "a blockquote",
        "> quoted *text*",
        "<blockquote>\n<p>quoted <em>text</em></p>\n</blockquote>\n",
        "quoted text",
    ),
    (
        "a fenced block is left out of plain text",
        "Run:\n\n```\na < b\n```\n",
        "<p>Run:</p>\n<pre><code>a &lt; b\n</code></pre>\n",
        "Run:",
    ),
    (
        "Chinese",
        "许可证必须在 **90** 天内购买。\n\n1. 第一\n2. 第二",
        "<p>许可证必须在 <strong>90</strong> 天内购买。</p>\n<ol>\n<li>第一</li>\n<li>第二</li>\n</ol>\n",
        "许可证必须在 90 天内购买。\n1. 第一\n2. 第二",
    ),
    (
        "Cyrillic in a link",
        "[ОЕМ](../glossary/#oem) *протягом* 30 днів",
        '<p><a href="../glossary/#oem">ОЕМ</a> <em>протягом</em> 30 днів</p>\n',
        "ОЕМ протягом 30 днів",
    ),
    ("right to left", "עברית עם **הדגשה**", "<p>עברית עם <strong>הדגשה</strong></p>\n", "עברית עם הדגשה"),
    ("NUL becomes the replacement character", "\x00null", "<p>\ufffdnull</p>\n", "\ufffdnull"),
    (
        "a placeholder is plain text here",
        "within {{ days }} days",
        "<p>within {{ days }} days</p>\n",
        "within {{ days }} days",
    ),
]


@pytest.mark.parametrize(
    ("text", "html", "plain"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_prose_renders_as_expected(text: str, html: str, plain: str) -> None:
    assert to_html(text) == html
    assert to_plain_text(text) == plain
    assert to_html_and_plain_text(text) == (html, plain)


def test_the_parser_is_commonmark_without_html_or_images() -> None:
    # markdown() also disables the two HTML rules, which with "html" off only return False.
    # That must not change any output: compare with the configuration that states the intent.
    reference = MarkdownIt("commonmark", {"html": False}).disable("image")
    samples = [case[1] for case in CASES] + [
        "<p>x</p>\n\n<?php ?>\n\n<!-- c -->\ntext",
        "a\n<div>\nb",
        "- <b>\n  </b>",
        "> <i>x</i>",
        "<a href='x'>y</a> [z](<w> 't')",
        "Para\n<table>\n<tr><td>x</td></tr>\n</table>",
    ]
    for text in samples:
        assert markdown().render(text) == reference.render(text), text
    assert {"html_block", "html_inline", "image"}.isdisjoint(
        markdown().get_active_rules()["block"] + markdown().get_active_rules()["inline"]
    )


@pytest.mark.parametrize(
    ("prose", "html", "plain"),
    [
        ("订单，\n实体许可证", "<p>订单，实体许可证</p>\n", "订单，实体许可证"),  # issue 17: no stray space
        (
            "购买[软件保障](term:software-assurance)\n（参见",
            '<p>购买<a href="term:software-assurance">软件保障</a>（参见</p>\n',
            "购买软件保障（参见",
        ),
        ("ライセンス\nを購入", "<p>ライセンスを購入</p>\n", "ライセンスを購入"),
        ("一\nword", "<p>一\nword</p>\n", "一 word"),  # a Latin word beside it keeps its space
        ("word\nword", "<p>word\nword</p>\n", "word word"),
    ],
)
def test_a_line_break_between_wide_characters_joins_them(prose: str, html: str, plain: str) -> None:
    assert to_html(prose) == html
    assert to_plain_text(prose) == plain
