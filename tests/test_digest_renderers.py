"""Every renderer of the digest against any flow: custom flows, the bundled ones, hostile and huge input, the PDF."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pypdfium2
import pytest

from checkins.config.flows import LocalText, load_flow
from checkins.config.goals import Goal
from checkins.digest.chart import STYLE, WIDTH_PX, chart_caption, draw_chart, render_chart
from checkins.digest.files import render_files
from checkins.digest.followups import MESSAGE_LIMIT, render_followups, split_answer
from checkins.digest.message import SCREEN_BUDGET, compact_message, render_compact
from checkins.digest.pdf import render_pdf
from checkins.digest.report import render_report
from checkins.digest.summary import Summary
from tests.bundled_digests import DEMO_ANSWERS, digest_of, flow
from tests.digest_data import HELSINKI, catalog
from tests.test_digest import visible_text
from tests.test_report_chart import parse_strictly, png_size

CUSTOM_FLOW = """\
id: reflection
default_language: en
title: {fi: Pohdinta, sv: Reflektion, en: Reflection}
intro: A few questions.
questions:
  - id: on_mind
    type: text
    text: What has been on your mind at work?
  - id: load
    type: scale
    labels: {min: light, max: heavy}
    text: How heavy is your load?
  - id: pace
    type: choice
    text: How is the pace?
    options:
      - {id: slow, label: slow}
      - {id: fine, label: fine}
      - {id: fast, label: too fast}
  - id: private_notes
    type: text
    digest: report-only
    text: Anything for the printed report only?
"""


def custom_flow(tmp_path: Path, text: str = CUSTOM_FLOW) -> Path:
    path = tmp_path / "reflection.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def custom_digest(tmp_path: Path, language: str = "en") -> Summary:
    members = [
        {"on_mind": f"Thought {n}: the new shift plan " + "and more " * n, "load": load, "pace": pace,
         "private_notes": f"note {n}"}
        for n, (load, pace) in enumerate([(1, "fast"), (3, "fine"), (3, "fast"), (4, "fine")])
    ]  # fmt: skip
    return digest_of(load_flow(custom_flow(tmp_path)), [members], language)


# --- a flow with none of the bundled ids ---


def test_a_custom_flow_gets_its_free_text_in_the_message_and_in_full_after_it(tmp_path: Path) -> None:
    digest = custom_digest(tmp_path)
    message = visible_text(render_compact(digest, catalog(), HELSINKI))
    assert message.startswith("Reflection – Home care team, round 1\n")
    assert "What has been on your mind at work?" in message
    assert message.count("• Thought ") >= 2
    assert "• How heavy is your load? 2.8\n   1▄ 2· 3█ 4▄ 5·  n = 4" in message  # the one member at 1 shows
    assert "• How is the pace? fine 2 · too fast 2" in message
    assert "note " not in message and "Anything for the printed report" not in message  # report-only
    followups = [visible_text(m) for m in render_followups(digest, catalog())]
    assert len(followups) == 1 and followups[0].startswith("What has been on your mind at work?\n4 answers\n\n")
    lines = followups[0].split("\n")
    for n in range(4):
        assert "• " + (f"Thought {n}: the new shift plan " + "and more " * n).strip() in lines
    report = render_report(digest, catalog(), HELSINKI, None, "")
    assert "note 3" in report and "Anything for the printed report only?" in report


def test_without_any_quoted_question_the_message_says_the_report_is_for_printing(tmp_path: Path) -> None:
    text = CUSTOM_FLOW.replace("    type: text\n    text: What", "    type: text\n    digest: summary\n    text: What")
    digest = digest_of(load_flow(custom_flow(tmp_path, text)), [[{"on_mind": f"x{n}", "load": 3} for n in range(3)]])
    message = visible_text(render_compact(digest, catalog(), HELSINKI))
    assert "• What has been on your mind at work? 3 answers, in full below" in message
    assert "x1" not in message
    assert len(render_followups(digest, catalog())) == 1


# --- each bundled flow's digest shows what that flow is for ---


def test_pre_session_digest_is_the_agenda_with_energy_and_its_spread() -> None:
    digest = digest_of(flow("pre_session"), [DEMO_ANSWERS], "fi")
    message = visible_text(render_compact(digest, catalog("fi"), HELSINKI))
    assert message.startswith("Ennakkokysely ennen työnohjausta – Home care team, kierros 1\n")
    assert "Miten jaksat työssäsi juuri nyt? 3,0\n   1· 2█ 3█ 4█ 5·  n = 3" in message
    assert "Asialista: mitä ryhmä haluaa työstää" in message
    # client work is tagged normative and formative: counted once, under normative
    assert "Normatiivinen (roolit, käytännöt, etiikka): asiakas-/potilastyö 1 · eettinen kysymys 1" in message
    assert "Kehittävä (osaaminen, oppiminen): ammatillinen osaaminen 1" in message
    assert "2/3: tärkeä tällä kertaa" in message


def test_post_session_digest_shows_what_people_took_away_and_will_try() -> None:
    members = [
        {"takeaway": f"Takeaway {n}", "next_step": f"I will try {n}", "useful": 4, "heard": 5, "on_topic": "yes"}
        for n in range(3)
    ]
    message = visible_text(render_compact(digest_of(flow("post_session"), [members]), catalog(), HELSINKI))
    assert message.startswith("After the session – Home care team, round 1\n")
    assert "What stayed with you most from the session?" in message and "• Takeaway 2" in message
    assert "What will you try or do differently before next time?" in message and "• I will try 0" in message
    assert "Did we work on what you hoped for? yes 3" in message
    assert "Agenda" not in message


def test_wellbeing_pulse_digest_shows_how_people_cope_and_what_would_help() -> None:
    members = [
        {"energy": energy, "workload": 3, "support": 4, "would_help": f"Help {n}"}
        for n, energy in enumerate((1, 2, 2, 4))
    ]
    digest = digest_of(flow("wellbeing_pulse"), [members])
    message = visible_text(render_compact(digest, catalog(), HELSINKI))
    assert message.startswith("Wellbeing pulse – Home care team, round 1\n")
    assert "How is your energy at work right now? 2.3\n   1▄ 2█ 3· 4▄ 5·  n = 4" in message
    assert "What would help you cope right now?\n• Help " in message
    assert [row.energy for row in digest.history] == [2.25]  # the wellbeing scale, followed over time


def interim_digest(language: str = "en") -> Summary:
    goals = (
        Goal("roles", LocalText({"en": "Clearer roles and responsibilities", "fi": "Roolit selkeytyvät"}, "en")),
        Goal("coping", LocalText({"en": "Better coping at work", "fi": "Jaksaminen paranee"}, "en")),
    )
    members = [
        {"eval_goals.roles": 2 + n % 3, "eval_goals.coping": 3, "eval_trust": 4 + n % 2, "eval_wellbeing": 3 + n % 3,
         "eval_skills": 4, "eval_roles": 2 + n % 2, "eval_change": f"More time for cases, {n}. " * 6}
        for n in range(6)
    ]  # fmt: skip
    return digest_of(flow("interim_evaluation"), [members, members], language, goals=goals, invited=7)


def test_interim_evaluation_digest_follows_the_goals_and_the_statements() -> None:
    message = visible_text(render_compact(interim_digest(), catalog(), HELSINKI))
    assert message.startswith("Interim evaluation of supervision – Home care team, round 2\n")
    assert "Goals\n• Clearer roles and responsibilities: 3.0 → (round 1: 3.0)" in message
    assert "The atmosphere in supervision is confidential and safe. 4.5" in message
    assert "What would you change in our goals or way of working?" in message


# --- the chart draws every scale question ---


@pytest.mark.parametrize("scales", [1, 2, 4, 6])
def test_chart_draws_one_panel_per_scale_question(tmp_path: Path, scales: int) -> None:
    questions = "".join(
        f"  - id: s{n}\n    type: scale\n    labels: {{min: not at all, max: very much so}}\n"
        f"    text: Scale question number {n} with a rather long text that has to be wrapped to fit its panel\n"
        for n in range(scales)
    )
    text = "id: many\ndefault_language: en\ntitle: Many scales\nintro: Hi.\nquestions:\n" + questions
    members = [{f"s{n}": 1 + (m + n) % 5 for n in range(scales)} for m in range(4)]
    digest = digest_of(load_flow(custom_flow(tmp_path, text)), [members])
    with matplotlib.rc_context(STYLE):
        figure = draw_chart(digest, catalog(), HELSINKI)
        assert figure is not None
        titles = [axes.get_title(loc="left") for axes in figure.axes]
    drawn = [title for title in titles if title.startswith("Scale question number")]
    assert len(drawn) == scales == len(digest.scales)
    # Wrapped, never clipped: every word of every question is there.
    assert all("\n" in title and title.replace("\n", " ").endswith("to fit its panel") for title in drawn)
    png = render_chart(digest, catalog(), HELSINKI)
    assert png is not None
    width, height = png_size(png)
    assert width == WIDTH_PX
    if scales <= 2:
        assert height <= 0.6 * width * scales  # compact: no single bar chart stretched over a portrait canvas
    else:
        assert height >= 0.35 * width * scales  # taller for more questions, never a question left out
    assert figure.texts[0].get_text().startswith("Many scales – Home care team, round 1\n")  # the header
    axes = figure.axes[0]
    assert [label.get_text() for label in axes.get_xticklabels()][::4] == ["1\nnot at all", "5\nvery much so"]
    assert any(text.get_text() == "n = 4" for text in axes.texts)


def test_a_dollar_sign_is_drawn_as_text_never_as_mathtext(tmp_path: Path) -> None:
    text = CUSTOM_FLOW.replace("How heavy is your load?", "Costs in $x^$ and $5 per \\frac{a}{b}?")
    digest = digest_of(load_flow(custom_flow(tmp_path, text)), [[{"load": 3}] * 3])
    with matplotlib.rc_context(STYLE):
        figure = draw_chart(digest, catalog(), HELSINKI)
        assert figure is not None
        assert figure.axes[0].get_title(loc="left") == "Costs in $x^$ and $5 per \\frac{a}{b}?"
    assert render_chart(digest, catalog(), HELSINKI) is not None


# --- hostile and huge input through every renderer ---

HOSTILE = "<b>bold</b> & </a> \"quoted\" 'single' <script>alert(1)</script> $x^$ \\ ; } </style>"


def hostile_digest(tmp_path: Path) -> Summary:
    text = CUSTOM_FLOW.replace("How heavy is your load?", "Load $x^$ <i>&amp;</i>?").replace(
        "What has been on your mind at work?", "Mind $x^$ <b>&</b>?"
    )
    huge = ("word " * 2000).strip()  # 10,000 characters with spaces
    no_spaces = "&<>" * 3334  # 10,002 characters, each one escaped to several
    members = [{"on_mind": answer, "load": 2 + n % 3} for n, answer in enumerate([HOSTILE, huge, no_spaces, "ok"])]
    return digest_of(load_flow(custom_flow(tmp_path, text)), [members], group_name=HOSTILE)


def test_hostile_and_huge_answers_go_through_every_renderer(tmp_path: Path) -> None:
    digest = hostile_digest(tmp_path)
    message = render_compact(digest, catalog(), HELSINKI)
    assert len(message) <= SCREEN_BUDGET and "<script>" not in message
    visible_text(message)

    followups = render_followups(digest, catalog())
    assert all(len(part) <= MESSAGE_LIMIT for part in followups)
    texts = [visible_text(part) for part in followups]
    assert "<script>" not in "".join(followups)
    # Each message after the first repeats the question as its first line: leave it out, and the marks.
    bodies = [t if index == 0 else t.split("\n", 1)[1] for index, t in enumerate(texts)]
    whole = " ".join(re.sub(r"\(continues in the next message\)|\(continued\)", " ", t) for t in bodies)
    assert " ".join(whole.split()).count(" ".join(("word " * 2000).split())) == 1  # the whole answer, in order
    assert "".join(whole.split()).count("&<>" * 3334) == 1
    assert any("(continues in the next message)" in t for t in texts)
    assert HOSTILE in " ".join(texts)

    files = render_files(digest, catalog(), HELSINKI)
    assert files.chart is not None and files.html is not None and files.pdf is not None
    assert len(chart_caption(digest, catalog())) <= 1024
    report = files.html.decode("utf-8")
    parse_strictly(report)
    assert "<script>" not in report and "</style>" not in report.split("<body>")[0].replace("</style>\n</head>", "")
    pdf_text = pdf_pages(files.pdf)
    assert HOSTILE in " ".join(" ".join(page.split()) for page in pdf_text)


def test_followups_split_between_answers_never_inside_one(tmp_path: Path) -> None:
    answers = [f"Answer {n} " + "x" * 900 for n in range(12)]
    members = [{"on_mind": answer, "load": 3} for answer in answers]
    digest = digest_of(load_flow(custom_flow(tmp_path)), [members])
    parts = [visible_text(part) for part in render_followups(digest, catalog())]
    assert len(parts) >= 3 and all(len(part) <= MESSAGE_LIMIT for part in parts)
    assert parts[1].startswith("What has been on your mind at work? (continued)\n\n• Answer")
    for answer in answers:
        assert sum(answer in part for part in parts) == 1
    assert not any("(continues in the next message)" in part for part in parts)


def test_split_answer_cuts_at_words_and_counts_escaped_length() -> None:
    assert split_answer("one two three", 8) == ["one two", "three"]
    assert split_answer("&&&&", 10) == ["&&", "&&"]  # "&amp;" is five characters
    assert split_answer("a " * 3, 100) == ["a a a"]


# --- the printable report as PDF ---


def pdf_pages(data: bytes) -> list[str]:
    """Each page rendered to an image (so it is a drawable page) and its text."""
    document = pypdfium2.PdfDocument(data)
    texts = []
    for page in document:
        image = page.render(scale=0.5).to_pil()
        assert image.width > 200 and image.getextrema() != ((255, 255), (255, 255), (255, 255))  # not blank
        texts.append(page.get_textpage().get_text_range())
    return texts


@pytest.mark.parametrize(
    ("language", "header", "page"),
    [("fi", "Home care team · kierros 1 · luottamuksellinen", "sivu 1 / 1"),
     ("sv", "Home care team · omgång 1 · konfidentiell", "sida 1 / 1"),
     ("en", "Home care team · round 1 · confidential", "page 1 / 1")],
)  # fmt: skip
def test_demo_round_prints_on_one_or_two_pages_with_header_and_numbers(language: str, header: str, page: str) -> None:
    digest = digest_of(flow("pre_session"), [DEMO_ANSWERS], language)
    pages = pdf_pages(render_pdf(digest, catalog(language), HELSINKI))
    assert len(pages) <= 2
    assert all(text.startswith(header) for text in pages)
    assert page.replace("1 / 1", f"1 / {len(pages)}") in pages[0]
    assert "How to cope with long runs of shifts?" in "".join(pages)


def test_a_typical_full_round_still_fits_two_pages() -> None:
    members = [
        {**DEMO_ANSWERS[n % 3], "went_well": f"Member {n}: " + "things went rather well this week " * 5,
         "difficult": f"Member {n}: " + "the evening shifts were heavy again " * 5,
         "bring": f"Topic {n}: " + "how to " * 20}
        for n in range(7)
    ]  # fmt: skip
    pages = pdf_pages(render_pdf(digest_of(flow("pre_session"), [members[:3], members]), catalog(), HELSINKI))
    assert len(pages) <= 2


def test_interim_evaluation_prints_without_sections_it_does_not_ask() -> None:
    pages = pdf_pages(render_pdf(interim_digest(), catalog(), HELSINKI))
    text = "\n".join(pages)
    assert len(pages) <= 2
    assert "Clearer roles and responsibilities" in text and "More time for cases" in text
    assert "Energy" not in text  # the interim evaluation does not ask about energy: no column, no note
    report = render_report(interim_digest(), catalog(), HELSINKI, None, "")
    assert "Energy" not in report and "@bottom-right { content: counter(page)" in report


def test_answers_the_message_shows_whole_do_not_follow_again(tmp_path: Path) -> None:
    short = digest_of(flow("pre_session"), [DEMO_ANSWERS])
    message, whole = compact_message(short, catalog(), HELSINKI)
    assert whole == {"went_well", "difficult", "bring"}
    assert render_followups(short, catalog(), whole) == []
    assert visible_text(message).endswith("\nThe attached report is for printing.")
    members = [{"on_mind": f"Thought {n}: " + "the new shift plan " * 12, "load": 3} for n in range(3)]
    long = digest_of(load_flow(custom_flow(tmp_path)), [members])  # shortened in the message
    message, whole = compact_message(long, catalog(), HELSINKI)
    assert "on_mind" not in whole and len(render_followups(long, catalog(), whole)) == 1
    assert visible_text(message).endswith("\nEvery answer follows in full below; the attached report is for printing.")
