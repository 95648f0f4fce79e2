"""The simulator's parser for Telegram's HTML message formatting: entities at UTF-16 offsets, nesting, the errors
Telegram gives for bad markup, and its leniency about a bare ampersand."""

from __future__ import annotations

import pytest

from botsim.html import HtmlParseError, parse_html, utf16_len

# --------------------------------------------------------------------------- HTML parser


def test_parse_html_plain_text_and_entities() -> None:
    text, entities = parse_html('<b>Hei</b> &amp; <a href="https://x.fi">linkki</a> &lt;3 &#128512;&#x41;')
    assert text == "Hei & linkki <3 😀A"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "text_link", "offset": 6, "length": 6, "url": "https://x.fi"},
    ]


def test_parse_html_utf16_offsets_and_nesting() -> None:
    text, entities = parse_html('😀 <i>ä<b>x</b></i> <pre><code class="language-python">p</code></pre>')
    assert text == "😀 äx p"
    assert utf16_len(text) == 7
    assert {"type": "italic", "offset": 3, "length": 2} in entities
    assert {"type": "bold", "offset": 4, "length": 1} in entities
    assert {"type": "pre", "offset": 6, "length": 1, "language": "python"} in entities
    _, spoiler = parse_html('<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>')
    assert [e["type"] for e in spoiler] == ["spoiler", "expandable_blockquote"]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<foo>bar</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("ä<b>x</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("Tom & Jerry", 'Unescaped "&" that does not start an HTML entity at byte offset 4'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_parse_html_errors(source: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as excinfo:
        parse_html(source)
    assert str(excinfo.value) == reason


def test_parse_html_lenient_ampersand_like_telegram() -> None:
    assert parse_html("AT&T &ampx &amp &lt3", strict_ampersand=False)[0] == "AT&T &ampx & <3"
