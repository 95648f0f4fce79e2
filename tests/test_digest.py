"""The compact digest message and localised formatting, from fixed data: one screen, escaped, never cut silently."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from checkins.digest.message import SCREEN_BUDGET, clip, render_compact
from checkins.formatting import format_date, format_date_time, format_number, format_short_date
from tests.digest_data import HELSINKI, ROUND_ANSWERS, catalog, summary, timestamp


class TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: object) -> None:
        assert tag in ("b", "i", "code"), f"<{tag}> is not Telegram HTML"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data: str) -> None:
        self.text += data


def visible_text(message: str) -> str:
    parser = TagBalance()
    parser.feed(message)
    parser.close()
    assert parser.stack == []
    return parser.text


def compact(language: str = "en", **kwargs: object) -> str:
    return render_compact(summary(language, **kwargs), catalog(language), HELSINKI)  # type: ignore[arg-type]


def test_message_opens_with_the_round_then_figures_then_the_agenda() -> None:
    text = visible_text(compact())
    # The title is the flow's own (issue 16: no longer "Check-in digest" for every flow).
    assert text.startswith("Check-in before supervision – Ward <5> & co, round 3\nThu 3 Dec 2026, 14:00 · 4 of 5")
    assert "4 of 5 answered" in text
    assert "• How is your energy? 4.0 ↑ (round 1: 3.0)\n   1· 2· 3▄ 4█ 5▄  n = 4" in text
    assert "• Clearer roles: 3.7 ↑ (round 1: 2.3)" in text
    assert "• Better coping: too few answers" in text
    agenda = text[text.index("Agenda: what the group wants to work on") :]
    assert agenda.index("Restorative (coping, load): my own wellbeing 2") < agenda.index("What went well?")
    assert "Normative (roles, standards, ethics): client work 1 · team 1" in agenda
    assert "Other topics: other 1" in agenda
    assert "2 of 3: important this time\n1 of 3: can wait" in agenda
    for brought in ROUND_ANSWERS[3]["bring"]:
        assert f"• {brought}" in agenda
    # Free-text questions are quoted under their own text, in flow order; yes/no is counted on one line.
    assert text.index("What went well?") < text.index("What was difficult?") < text.index("• Again? Yes 3 · No 1")
    assert text.endswith("Every answer follows in full below; the attached report is for printing.")


def test_message_fits_one_phone_screen_and_never_cuts_text_silently() -> None:
    message = compact()
    assert len(message) <= SCREEN_BUDGET
    text = visible_text(message)
    assert "Too few substitutes Too few substitutes" in text
    long_line = next(line for line in text.splitlines() if "Too few substitutes" in line)
    assert long_line.endswith("… (continues below)")
    assert len(long_line) < 200


def test_many_long_answers_shorten_quotes_and_count_the_rest() -> None:
    many = {key: [f"answer {n} " + "word " * 80 for n in range(9)] for key in ("went_well", "difficult", "bring")}
    message = render_compact(summary(texts=many), catalog(), HELSINKI)
    assert len(message) <= SCREEN_BUDGET
    text = visible_text(message)
    assert "more answers, in full below" in text
    assert text.count("(continues below)") >= 3


def test_clip_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    en = catalog()
    assert clip("  short\n answer ", 20, en) == "short answer"
    assert clip("one two three four", 12, en) == "one two… (continues below)"
    assert clip("abcdefghijklmnop", 8, en) == "abcdefgh… (continues below)"


def test_hostile_html_in_answers_is_escaped() -> None:
    message = compact()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/a&gt; a colleague helped" in message
    assert "<b>bold</b>" not in message and "</a>" not in message
    assert "Ward &lt;5&gt; &amp; co" in message
    visible_text(message)


def test_withheld_round_shows_only_participation() -> None:
    text = visible_text(compact(rounds=(1, 2)))
    assert "2 of 5 answered" in text
    assert "Fewer than 3 responses – no summary shown." in text
    assert "Agenda" not in text and "energy" not in text and "report" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fi", ["to 3.12.2026 klo 14.00", "4/5 vastasi", "• Miten jaksat? 4,0 ↑ (kierros 1: 3,0)",
                "Tukeva (jaksaminen, kuormitus)", "2/3: important this time", "… (jatkuu alla)", "[nimi]"]),
        ("sv", ["tors 3.12.2026 kl. 14.00", "4 av 5 svarade", "4,0 ↑ (omgång 1: 3,0)",
                "Stödjande (ork, belastning)", "2 av 3: important this time", "… (fortsätter nedan)", "[namn]"]),
        ("en", ["Thu 3 Dec 2026, 14:00", "4 of 5 answered", "4.0 ↑ (round 1: 3.0)", "[name]"]),
    ],
)  # fmt: skip
def test_digest_in_the_supervisors_language(language: str, expected: list[str]) -> None:
    text = visible_text(compact(language))
    for fragment in expected:
        assert fragment in text


def test_more_answers_uses_plural_forms() -> None:
    fi = catalog("fi")
    ids = ("… and {count} more answer, in full below", "… and {count} more answers, in full below")
    assert fi.ngettext(*ids, 1).format(count=1) == "… ja 1 vastaus lisää, kokonaisena alla"
    assert fi.ngettext(*ids, 4).format(count=4) == "… ja 4 vastausta lisää, kokonaisina alla"


@pytest.mark.parametrize(
    ("mean", "shown"), [(3.25, "3.3"), (3.15, "3.2"), (2.35, "2.4"), (13 / 4, "3.3"), (4.0, "4.0")]
)
def test_means_round_half_up_as_a_reader_expects(mean: float, shown: str) -> None:
    assert format_number(mean, "en") == shown
    assert format_number(mean, "fi") == shown.replace(".", ",")


@pytest.mark.parametrize(
    ("language", "date_time", "date", "short", "number"),
    [
        ("fi", "ti 1.12.2026 klo 14.00", "ti 1.12.2026", "1.12.", "3,5"),
        ("sv", "tis 1.12.2026 kl. 14.00", "tis 1.12.2026", "1.12.", "3,5"),
        ("en", "Tue 1 Dec 2026, 14:00", "Tue 1 Dec 2026", "1 Dec", "3.5"),
    ],
)
def test_dates_times_and_numbers_follow_the_language(
    language: str, date_time: str, date: str, short: str, number: str
) -> None:
    moment = timestamp(1)
    assert format_date_time(moment, HELSINKI, language) == date_time
    assert format_date(moment, HELSINKI, language) == date
    assert format_short_date(moment, HELSINKI, language) == short
    assert format_number(3.456, language) == number
    assert format_number(4, language, decimals=0) == "4"


def test_summer_time_is_applied() -> None:
    midsummer_utc = datetime(2027, 6, 19, 11, 0, tzinfo=UTC).timestamp()
    assert format_date_time(midsummer_utc, HELSINKI, "fi") == "la 19.6.2027 klo 14.00"
