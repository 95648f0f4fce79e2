"""Shared test data: a compact flow with one question of each type, built in code."""

from __future__ import annotations

from pathlib import Path

from checkins.flows import Flow, LocalText, Option, Question, QuestionType


def text(en: str, fi: str | None = None) -> LocalText:
    return LocalText({"en": en, **({"fi": fi} if fi else {})}, "en")


def sample_flow(*, required_text: bool = False) -> Flow:
    return Flow(
        id="sample",
        default_language="en",
        title=text("Sample check-in", "Esimerkkikysely"),
        intro=text("A few questions."),
        questions=(
            Question(
                "energy",
                QuestionType.SCALE,
                text("Energy?", "Jaksaminen?"),
                min_label=text("empty"),
                max_label=text("full"),
            ),
            Question("mind", QuestionType.TEXT, text("On your mind?"), required=required_text, max_length=50),
            Question(
                "topics",
                QuestionType.MULTI,
                text("Topics?"),
                options=(
                    Option("team", text("team")),
                    Option("skills", text("skills")),
                    Option("other", text("other")),
                ),
            ),
            Question(
                "urgency",
                QuestionType.CHOICE,
                text("Urgency?"),
                options=(Option("wait", text("can wait")), Option("now", text("important now"))),
            ),
            Question("again", QuestionType.YESNO, text("Again?")),
        ),
        source=Path("sample.yaml"),
    )
