"""Fixed data for digest tests: a check-in flow with an agenda and goals, and three closed rounds of answers."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from checkins.config.flow_digest import Role
from checkins.config.flows import Flow, Option, ProctorFunction, Question, QuestionType
from checkins.config.goals import Goal, expand_goals
from checkins.digest.stats import RoundRecord, Thresholds, round_statistics
from checkins.digest.summary import DigestSource, Summary, build_summary
from checkins.i18n import Catalog, Translator
from checkins.privacy.redaction import Redactor
from tests.fixtures import text

HELSINKI = ZoneInfo("Europe/Helsinki")
TRANSLATOR = Translator.load()
THRESHOLDS = Thresholds(min_responses=3, text_min_responses=3)
GOALS = (Goal("roles", text("Clearer roles", "Selkeämmät roolit")), Goal("coping", text("Better coping")))


def catalog(language: str = "en") -> Catalog:
    return TRANSLATOR.for_language(language)


def timestamp(day: int, hour: int = 14) -> float:
    return datetime(2026, 12, day, hour, 0, tzinfo=HELSINKI).timestamp()


def option(option_id: str, label: str, *functions: ProctorFunction) -> Option:
    return Option(option_id, text(label), tuple(functions))


def check_in_flow() -> Flow:
    return Flow(
        id="check_in",
        default_language="en",
        title=text("Check-in before supervision", "Ennakkokysely"),
        intro=text("A few questions."),
        questions=(
            Question("energy", QuestionType.SCALE, text("How is your energy?", "Miten jaksat?"), role=Role.WELLBEING),
            Question("went_well", QuestionType.TEXT, text("What went well?")),
            Question("difficult", QuestionType.TEXT, text("What was difficult?")),
            Question("bring", QuestionType.TEXT, text("What would you like to bring?"), role=Role.AGENDA),
            Question(
                "topic_area",
                QuestionType.MULTI,
                text("What is it about?"),
                role=Role.AGENDA_TOPIC,
                options=(
                    option("client_work", "client work", ProctorFunction.NORMATIVE, ProctorFunction.FORMATIVE),
                    option("wellbeing", "my own wellbeing", ProctorFunction.RESTORATIVE),
                    option("team", "team", ProctorFunction.NORMATIVE),
                    option("skills", "skills", ProctorFunction.FORMATIVE),
                    option("other", "other"),
                ),
            ),
            Question(
                "urgency",
                QuestionType.CHOICE,
                text("How important?"),
                role=Role.URGENCY,
                options=(
                    option("can_wait", "can wait"),
                    option("would_like", "I'd like to"),
                    option("important", "important this time"),
                ),
            ),
            Question("progress", QuestionType.GOALS, text("Progress towards the goal?")),
            Question("again", QuestionType.YESNO, text("Again?")),
        ),
        source=Path("check_in.yaml"),
    )


ROUND_ANSWERS: dict[int, dict[str, list[Any]]] = {
    1: {
        "energy": [3, 3, 2, 4],
        "went_well": ["A family thanked us", "Good week"],
        "progress.roles": [2, 3, 2],
        "progress.coping": [3, 3, 3],
    },
    # Round 2: only two submitted — below min_responses, so nothing of it may ever be shown.
    2: {"energy": [1, 1], "progress.roles": [5, 5], "progress.coping": [1, 1]},
    3: {
        "energy": [4, 4, 5, 3],
        "went_well": ["<b>bold</b> & </a> a colleague helped", "We finally had a team day", "Quiet nights", "Ok"],
        "difficult": ["Too few substitutes " * 20, "Maija is overloaded", "Reporting takes too long"],
        "bring": ["How to cope with long runs of shifts?", "Setting boundaries", "Writing reports"],
        "topic_area": [["wellbeing"], ["client_work", "team"], ["wellbeing", "other"]],
        "urgency": ["important", "important", "can_wait"],
        "progress.roles": [4, 4, 3],
        "progress.coping": [3, 2],
        "again": [True, True, False, True],
    },
}
SUBMITTED = {1: 4, 2: 2, 3: 4}


def record(number: int, flow: Flow | None = None, thresholds: Thresholds = THRESHOLDS) -> RoundRecord:
    member_flow = expand_goals(flow or check_in_flow(), GOALS)
    answers = ROUND_ANSWERS[number]
    stats = round_statistics(member_flow, answers, SUBMITTED[number], thresholds)
    return RoundRecord(number, timestamp(number), SUBMITTED[number], 5, {s.question_id: s for s in stats})


def source(
    rounds: tuple[int, ...] = (1, 2, 3), thresholds: Thresholds = THRESHOLDS, texts: dict[str, list[str]] | None = None
) -> DigestSource:
    last = ROUND_ANSWERS[rounds[-1]]
    default_texts = {k: v for k, v in last.items() if k in ("went_well", "difficult", "bring")}
    return DigestSource(
        group_name="Ward <5> & co",
        flow=check_in_flow(),
        goals=GOALS,
        thresholds=thresholds,
        history=tuple(record(number) for number in rounds),
        texts=default_texts if texts is None else texts,
    )


def summary(language: str = "en", seed: int = 1, **kwargs: Any) -> Summary:
    return build_summary(source(**kwargs), catalog(language), Redactor.for_names(["Maija"]), random.Random(seed))
