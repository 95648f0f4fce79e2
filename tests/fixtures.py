"""Shared test data: a compact flow with one question of each type, and one with conditions, built in code."""

from __future__ import annotations

from pathlib import Path

from checkins.config.flows import Condition, ConditionKind, Flow, LocalText, Option, Question, QuestionType


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


def conditional_flow() -> Flow:
    """A flow with `show_if` conditions and a rotated question, like the bundled pre-session check-in."""
    answered_bring = Condition("bring", ConditionKind.ANSWERED)
    return Flow(
        id="conditional",
        default_language="en",
        title=text("Conditional check-in"),
        intro=text("A few questions."),
        questions=(
            Question("energy", QuestionType.SCALE, text("Energy?")),
            Question("bring", QuestionType.TEXT, text("Bring?")),
            Question(
                "topic",
                QuestionType.MULTI,
                text("Topic?"),
                options=(Option("team", text("team")), Option("role", text("role"))),
                show_if=answered_bring,
            ),
            Question(
                "urgency",
                QuestionType.CHOICE,
                text("Urgency?"),
                options=(Option("wait", text("can wait")), Option("now", text("important now"))),
                show_if=answered_bring,
                required=True,
            ),
            Question("support", QuestionType.TEXT, text("What would help?"), show_if=_low_energy()),
            Question("goals", QuestionType.SCALE, text("Goals?"), every=3),
            Question(
                "why_now",
                QuestionType.TEXT,
                text("Why now?"),
                show_if=Condition("urgency", ConditionKind.EQUALS, ("now",)),
            ),
        ),
        source=Path("conditional.yaml"),
    )


def _low_energy() -> Condition:
    return Condition("energy", ConditionKind.AT_MOST, (2,))
