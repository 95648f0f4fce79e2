"""The printable report and the chart, from fixed data: valid self-contained HTML, escaped, A4; a phone-sized PNG."""

from __future__ import annotations

import base64
import functools
import re
import struct

import html5lib
import pytest

from checkins.digest.chart import CAPTION_LIMIT, MAX_HEIGHT_PX, WIDTH_PX, chart_caption, render_chart
from checkins.digest.report import render_report
from checkins.digest.summary import Summary
from tests.digest_data import HELSINKI, ROUND_ANSWERS, catalog, summary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@functools.cache
def default_chart(language: str) -> bytes | None:
    """The chart of the default fixed data, drawn once per language (drawing takes a moment)."""
    return render_chart(summary(language), catalog(language), HELSINKI)


def report(digest: Summary, language: str = "en", with_chart: bool = True) -> str:
    chart = default_chart(language) if with_chart else None
    return render_report(digest, catalog(language), HELSINKI, chart, chart_caption(digest, catalog(language)))


def parse_strictly(document: str) -> object:
    """html5lib in strict mode raises on any parse error: unclosed or stray tags, bad nesting, a missing doctype."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(document)


def test_chart_is_a_phone_sized_png() -> None:
    chart = default_chart("en")
    assert chart is not None
    width, height = png_size(chart)
    assert width == WIDTH_PX >= 1000
    # One scale, the goals and the trends: about a phone screen, not more.
    assert 1.0 <= height / width <= 1.5
    assert width + height <= 10_000 and MAX_HEIGHT_PX + WIDTH_PX <= 10_000  # Telegram's limit for a photo


def test_no_chart_when_thresholds_hide_every_figure() -> None:
    assert render_chart(summary(rounds=(1, 2)), catalog(), HELSINKI) is None


def test_caption_describes_the_chart_in_words_within_the_limit() -> None:
    caption = chart_caption(summary(), catalog())
    assert caption.startswith("Chart of round 3:")
    assert "How is your energy? 1: 0, 2: 0, 3: 1, 4: 2, 5: 1; round 1: 3.0 → round 3: 4.0" in caption
    assert "Clearer roles: round 1: 2.3 → round 3: 3.7" in caption
    assert "Better coping" not in caption
    assert len(caption) <= CAPTION_LIMIT


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_report_is_valid_html5(language: str) -> None:
    tree = parse_strictly(report(summary(language), language))
    assert tree.find("body") is not None  # type: ignore[attr-defined]


def test_report_is_self_contained_and_prints_on_a4() -> None:
    document = report(summary())
    assert "@page { size: A4;" in document and "@media print" in document
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", document)
    assert "<link" not in document and "<script" not in document
    image = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', document)
    assert image is not None
    assert png_size(base64.b64decode(image.group(1)))[0] == WIDTH_PX
    assert image.group(2).startswith("Chart of round 3:")


def test_report_holds_every_answer_in_full_and_escapes_hostile_html() -> None:
    document = report(summary())
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/a&gt; a colleague helped" in document
    assert "<b>bold</b>" not in document
    assert "Ward &lt;5&gt; &amp; co" in document
    assert ("Too few substitutes " * 20).strip() in document
    for answer in ROUND_ANSWERS[3]["bring"]:
        assert document.count(answer) == 1
    assert "[name] is overloaded" in document and "Maija" not in document
    parse_strictly(document)


def test_report_sections_agenda_goals_and_the_process_over_time() -> None:
    document = report(summary())
    order = ["Agenda: what the group wants to work on", "Headline figures", "<h2>Goals</h2>", "Every question",
             "The supervision process over time"]  # fmt: skip
    positions = [document.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "<tr><th>Restorative (coping, load)</th><td>my own wellbeing (2)</td></tr>" in document
    assert "Over the rounds: round 1: 2.3 → round 3: 3.7 ↑" in document
    assert "Too few answers to show (fewer than 3)." in document  # the goal only two answered about
    process = document[document.index("The supervision process over time") :]
    assert '<td>2</td><td>Wed 2 Dec 2026</td><td class="number">2 of 5</td><td class="number">—</td>' in process
    assert '<td>3</td><td>Thu 3 Dec 2026</td><td class="number">4 of 5</td><td class="number">4.0</td>' in process


def test_withheld_report_has_no_answers_and_no_chart() -> None:
    document = report(summary(rounds=(1, 2)), with_chart=False)
    parse_strictly(document)
    assert "Fewer than 3 responses – no summary shown." in document
    assert "<img" not in document and "Every question" not in document
    assert "The supervision process over time" in document


def test_report_in_finnish() -> None:
    document = report(summary("fi"), "fi")
    assert '<html lang="fi">' in document
    assert "to 3.12.2026 klo 14.00" in document
    assert "Keskiarvo 4,0 (asteikko 1–5) · mediaani 4,0" in document
    assert "Työnohjausprosessi ajan mittaan" in document
