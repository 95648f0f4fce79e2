"""`python bot.py try FLOW`: the terminal walk-through driven through stdin, its digest preview and its errors."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from checkins.config.flows import QuestionType, load_flow
from checkins.i18n import Translator
from checkins.terminal import run
from demo import write_demo_config
from tests.test_cli import ROOT, run_cli

PRE_SESSION = ROOT / "flows" / "pre_session.yaml"


def try_flow(*args: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "try", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_member_walk_with_skip_toggles_edit_and_a_digest_preview() -> None:
    lines = [
        "4",  # energy: button 4
        "Colleagues helped",  # went_well: a text answer…
        "2",  # …and Next under its echo
        "2",  # difficult: Skip
        "Rotas are hard",  # bring: answered, so topic_area and urgency follow
        "2",  # Next
        "2",  # topic_area: toggle "my own wellbeing"
        "9",  # Done
        "3",  # urgency: important this time
        "2",  # review: Edit
        "4",  # edit bring…
        "2",  # …and skip it: topic_area and urgency are hidden again
        "1",  # Submit
    ]
    result = try_flow("pre_session", "--lang", "en", lines=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Question 1 · at most 5 to go\n\nHow is your energy at work right now?" in out
    assert "[1] 1   [2] 2   [3] 3   [4] 4   [5] 5\n[6] Skip →" in out
    assert "Question 5 · at most 1 to go\n\nWhat is your topic about?" in out
    assert "[2] ☑ my own wellbeing" in out
    assert "Do not include names or identifying details of clients or patients." in out
    walk, preview = out.split("PREVIEW – nothing was sent.")
    final_review = walk.rsplit("\nYour answers\n", 1)[1]
    assert "4. What would you like to bring to the next session?\n→ (skipped)" in final_review
    assert "What is your topic about?" not in final_review
    assert "Thank you! Your answers are submitted." in preview and "[1] Change my answers" in preview
    assert "Check-in before supervision – your group, round 1" in preview and "1 of 1 answered" in preview
    assert "How is your energy at work right now? 4.0" in preview and "• Colleagues helped" in preview
    assert "In the printable report, every answer:" in preview
    # A hidden question's earlier answer is dropped, and HTML never reaches the terminal.
    assert "Rotas" not in preview and "What is your topic about?" not in preview
    assert "<b>" not in out and "&amp;" not in out


def test_answers_can_be_changed_after_the_preview_and_previewed_again() -> None:
    lines = [
        "4",  # energy 4
        "Colleagues helped",  # went_well
        "2",  # Next
        "2",  # difficult: Skip
        "2",  # bring: Skip (so topic_area and urgency are not asked)
        "1",  # Submit
        "1",  # Change my answers
        "2",  # review: Edit
        "1",  # edit energy…
        "2",  # …to 2
        "1",  # Submit again
    ]
    result = try_flow("pre_session", "--lang", "en", lines=lines)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("PREVIEW – nothing was sent.")[1:]
    assert "How is your energy at work right now? 4.0" in first
    assert "Your answers" in first  # the review screen after "Change my answers"
    assert "How is your energy at work right now? 2.0" in second and "• Colleagues helped" in second


def test_a_flow_file_in_finnish_in_a_round_without_the_rotated_question() -> None:
    # takeaway (text, then Next) → next_step: Skip → useful 5 → heard 4 → on_topic: text where buttons belong,
    # then "partly"
    lines = ["Selkeämpi työnjako", "1", "2", "5", "4", "osittain?", "2", "1"]
    result = try_flow(str(ROOT / "flows" / "post_session.yaml"), "--lang", "fi", "--round", "2", lines=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Kysymys 1 · enintään 4 jäljellä" in out and "Kysymys 5 · viimeinen" in out
    assert "tavoitteita" not in out  # goal_progress is asked every third round only
    assert "Vastaa painikkeilla." in out  # text typed where buttons are expected
    assert "ESIKATSELU" in out and "Mikä tapaamisesta jäi päällimmäisenä mieleen?\n→ Selkeämpi työnjako" in out


def test_input_that_ends_early_previews_nothing() -> None:
    result = try_flow("wellbeing_pulse", "--lang", "sv", lines=["2"])
    assert result.returncode == 1
    # Never a total that grows: low energy brings the open question, which was counted from the start.
    assert "Fråga 1 · högst 3 kvar" in result.stdout and "Fråga 2 · högst 2 kvar" in result.stdout
    assert "det finns inget att förhandsvisa" in result.stdout
    assert "FÖRHANDSVISNING" not in result.stdout


def test_a_broken_flow_file_names_file_line_and_key(tmp_path: Path) -> None:
    broken = tmp_path / "mine.yaml"
    broken.write_text(
        PRE_SESSION.read_text(encoding="utf-8").replace(
            "  show_if: {answered: bring}\n", "  show_if: {answered: topic_area}\n", 1
        ),
        encoding="utf-8",
    )
    result = try_flow(str(broken), lines=[])
    assert result.returncode == 2
    line = next(n for n, text in enumerate(broken.read_text().splitlines(), 1) if "answered: topic_area" in text)
    assert f"mine.yaml:{line}: questions[4].show_if.answered: a question cannot depend on itself" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_flow_id_lists_the_flows() -> None:
    result = run_cli("try", "pre_sesion")
    assert result.returncode == 2
    assert "no flow with the id 'pre_sesion'" in result.stderr and "pre_session" in result.stderr


def test_the_loop_explains_a_missing_button_and_needs_buttons_for_a_scale() -> None:
    flow = load_flow(PRE_SESSION)
    lines = iter(["12", "hello", "5"])
    written: list[str] = []
    assert run(flow, Translator.load().for_language("en"), lambda: next(lines, None), written.append) == 1
    output = "\n".join(written)
    assert "There is no button 12." in output
    assert "! Please answer with the buttons." in output
    assert "→ 5/5" in output
    assert "nothing to preview" in output


BUTTON = re.compile(r"\[(\d+)\] (.+?)(?=\s{3}\[|$)", re.MULTILINE)
TYPED = "We had a hard week, call me on 040 123 4567 or write to anna.virtanen@example.org"


def answering_everything(written: list[str]) -> Callable[[], str | None]:
    """A member at the terminal who answers every question: the lowest point, the first option, every text (with a
    phone number and an e-mail address in it), then Submit; the input ends at "Change my answers"."""

    def read() -> str | None:
        at = max(index for index, text in enumerate(written) if "[1]" in text)
        buttons = {label.strip(): number for number, label in BUTTON.findall(written[at])}
        if "Change my answers" in buttons:
            return None
        for label, number in buttons.items():
            if label.startswith(("✓ ", "Next")) or (label == "Done" and any(b.startswith("☑") for b in buttons)):
                return number
        # The screen above its buttons: a text question asks for a message; anything else takes its first button.
        return TYPED if "Write your answer" in written[at - 1] else "1"

    return read


@pytest.mark.parametrize("flow_id", ["pre_session", "post_session", "wellbeing_pulse", "interim_evaluation"])
def test_every_bundled_flow_is_walked_completely_and_previewed_as_redacted(flow_id: str) -> None:
    flow = load_flow(ROOT / "flows" / f"{flow_id}.yaml")
    written: list[str] = []
    catalog = Translator.load().for_language("en")
    assert run(flow, catalog, answering_everything(written), written.append) == 0
    output = "\n".join(written)
    walk, preview = output.split("PREVIEW – nothing was sent.")
    assert "Your answers" in walk and "Thank you! Your answers are submitted." in preview
    text_questions = [q for q in flow.questions if q.type is QuestionType.TEXT]
    if text_questions:
        # The supervisor's digest message and the report alike: scrubbed, never the member's own words.
        assert "040 123 4567" not in preview and "anna.virtanen@example.org" not in preview
        report = preview.split("In the printable report, every answer:")[1]
        assert report.count("[phone number]") == report.count("[email]") == len(text_questions)
    if flow_id == "interim_evaluation":
        assert "two sample goals" in walk
        assert "This supervision goal has been met. — Sample goal: clearer roles and responsibilities" in walk
        assert "[1] 1   [2] 2   [3] 3   [4] 4   [5] 5" in walk


def test_a_flow_tried_by_id_asks_about_the_configured_groups_goals(tmp_path: Path) -> None:
    write_demo_config(tmp_path, language="en", flow="interim_evaluation")
    result = try_flow("interim_evaluation", "--lang", "en", "--config", str(tmp_path / "config.yaml"), lines=["3", "4"])
    assert "This supervision goal has been met. — Clearer roles and responsibilities" in result.stdout
    assert "This supervision goal has been met. — Better coping at work" in result.stdout
    assert "sample goals" not in result.stdout


def test_the_review_before_submit_shows_the_answers_as_the_supervisor_will_see_them() -> None:
    lines = [
        "2",  # energy: 2 (the open question follows for low energy)
        "3",  # workload
        "4",  # support
        "Tired. Call me on 040 123 4567 or write to maija@example.fi.",
        "2",  # Next
        "1",  # Submit
    ]
    result = try_flow("wellbeing_pulse", "--lang", "en", lines=lines)
    assert result.returncode == 0, result.stderr
    walk = result.stdout.split("PREVIEW – nothing was sent.")[0]
    review = walk.rsplit("\nYour answers\n", 1)[1]
    # As in the chat: the member's own words, and under them what the supervisor will see.
    assert "your supervisor sees: Tired. Call me on [phone number] or write to [email]." in review
