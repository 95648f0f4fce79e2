"""`python bot.py demo`: each language's demo answers in that language, and `--out` keeps the digest to look at."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from demo import ANSWERS, run_demo


def test_every_language_has_its_own_demo_answers() -> None:
    assert set(ANSWERS) == {"fi", "sv", "en"}
    written = {
        language: {s for member in answers for s in member if s.startswith("text:")}
        for language, answers in ANSWERS.items()
    }
    assert not written["sv"] & written["en"] and not written["fi"] & written["sv"]


async def test_swedish_demo_keeps_message_chart_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "digest"
    assert await run_demo("sv", out) == 0
    message = (out / "digest-message.txt").read_text(encoding="utf-8")
    assert "4 av 5 svarade" in message
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    [report] = out.glob("*.html")
    text = html.unescape(report.read_text(encoding="utf-8"))
    assert "Ett svårt hembesök gick bra." in text and "A difficult home visit" not in text
    assert "040 123 4567" not in text
    assert f"Kept {out / 'chart.png'}" in capsys.readouterr().out
