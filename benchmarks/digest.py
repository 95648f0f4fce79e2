"""Scenario 4: building a round's digest — pure domain, no storage and no Telegram.

A ten-question flow (three scales, three free texts, topic areas, urgency, goals with two goals, yes/no) and a group
whose every member answered every question for 20 rounds: the statistics each close keeps (`round_statistics`) make
the history the trends are drawn from, and the last round's free-text answers — some with colleagues' names, phone
numbers and addresses in them — are what the digest quotes. They are scrubbed thoroughly first, as at close (timed on
its own: "scrub at close"); the digest is timed as `DigestService` builds it: the redactor's second net built from
the group's names, `build_summary`, the compact message and the printable report. The chart (matplotlib) is
timed on its own; the report is rendered without it. Each figure is the median of several runs. "Names not indexed
yet" empties the redactor's cache of name indexes first, as for a group's first digest after a start.
"""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.harness import people
from benchmarks.report import Result, Target, growth_exponent
from checkins.config.flows import Flow, LocalText, Option, ProctorFunction, Question, QuestionType
from checkins.config.goals import Goal, expand_goals
from checkins.digest.chart import chart_caption, render_chart
from checkins.digest.message import render_compact
from checkins.digest.report import render_report
from checkins.digest.stats import RoundRecord, Thresholds, round_statistics
from checkins.digest.summary import DigestSource, Summary, build_summary
from checkins.i18n import Catalog, Translator
from checkins.privacy.redaction import Redactor, name_index
from checkins.privacy.scrubbing import placeholders

HELSINKI = ZoneInfo("Europe/Helsinki")
THRESHOLDS = Thresholds(min_responses=3, text_min_responses=3)
WEEK = 7 * 24 * 3600.0
FIRST_CLOSE = 1_780_000_000.0
GOALS = (
    Goal("roles", LocalText({"en": "Clearer roles", "fi": "Roolit selkeytyvät"}, "en")),
    Goal("coping", LocalText({"en": "Better coping", "fi": "Jaksaminen paranee"}, "en")),
)
TEXTS = (
    "{name} helped me with a difficult family meeting, it went well in the end.",
    "Kiire ja sijaisten puute, {name} on ollut kolme viikkoa sairaslomalla.",
    "How to set boundaries with a client who calls me every day at 040 123 4567?",
    "Vi hade en bra teamdag, {name} ordnade allt.",
    "Raportointi vie liikaa aikaa; kysyin asiaa {name}lta (maija@example.fi).",
    "Quiet nights for once.",
)


def _text(en: str, fi: str | None = None) -> LocalText:
    return LocalText({"en": en, **({"fi": fi} if fi else {})}, "en")


def _option(option_id: str, label: str, *functions: ProctorFunction) -> Option:
    return Option(option_id, _text(label), tuple(functions))


def ten_question_flow() -> Flow:
    scale = QuestionType.SCALE
    return Flow(
        id="benchmark",
        default_language="en",
        title=_text("Check-in before supervision", "Ennakkokysely"),
        intro=_text("A few questions."),
        questions=(
            Question("energy", scale, _text("How is your energy?", "Miten jaksat?")),
            Question("workload", scale, _text("How is your workload?")),
            Question("support", scale, _text("How well does the team support you?")),
            Question("went_well", QuestionType.TEXT, _text("What went well?")),
            Question("difficult", QuestionType.TEXT, _text("What was difficult?")),
            Question("bring", QuestionType.TEXT, _text("What would you like to bring?")),
            Question(
                "topic_area",
                QuestionType.MULTI,
                _text("What is it about?"),
                options=(
                    _option("client_work", "client work", ProctorFunction.NORMATIVE, ProctorFunction.FORMATIVE),
                    _option("wellbeing", "my own wellbeing", ProctorFunction.RESTORATIVE),
                    _option("team", "team", ProctorFunction.NORMATIVE),
                    _option("skills", "skills", ProctorFunction.FORMATIVE),
                    _option("other", "other"),
                ),
            ),
            Question(
                "urgency",
                QuestionType.CHOICE,
                _text("How important?"),
                options=(
                    _option("can_wait", "can wait"),
                    _option("would_like", "I'd like to"),
                    _option("important", "important this time"),
                ),
            ),
            Question("progress", QuestionType.GOALS, _text("Progress towards the goal?")),
            Question("again", QuestionType.YESNO, _text("Would you come again?")),
        ),
        source=Path("benchmark.yaml"),
    )


@dataclass(frozen=True)
class Group:
    """A group's names (for the redactor) and what a digest of its latest round is built from."""

    names: list[tuple[str, str, str]]
    source: DigestSource


def answer_value(question: Question, rng: random.Random, names: list[tuple[str, str, str]], drift: int) -> Any:
    if question.type is QuestionType.SCALE:
        return max(1, min(5, rng.randint(1, 5) + drift))
    if question.type is QuestionType.TEXT:
        first, last, _ = rng.choice(names)
        return rng.choice(TEXTS).format(name=rng.choice((first, f"{first} {last}")))
    if question.type is QuestionType.MULTI:
        return rng.sample([option.id for option in question.options], rng.randint(1, 2))
    if question.type is QuestionType.CHOICE:
        return rng.choice(question.options).id
    return rng.random() < 0.8


def make_group(respondents: int, rounds: int, seed: int = 7) -> Group:
    """Every member answered every question in every round; the last round's texts are kept for quoting."""
    rng = random.Random(seed)
    flow = ten_question_flow()
    member_flow = expand_goals(flow, GOALS)
    names = [(p.first_name, p.last_name, p.username) for p in people(respondents)]
    history = []
    texts: dict[str, list[str]] = {}
    for number in range(1, rounds + 1):
        drift = (number % 5) // 2 - 1
        answers = {
            q.id: [answer_value(q, rng, names, drift) for _ in range(respondents)] for q in member_flow.questions
        }
        stats = round_statistics(member_flow, answers, respondents, THRESHOLDS)
        closed = FIRST_CLOSE + number * 2 * WEEK
        history.append(RoundRecord(number, closed, respondents, respondents + 1, {s.question_id: s for s in stats}))
        texts = {q.id: answers[q.id] for q in flow.questions if q.type is QuestionType.TEXT}
    source = DigestSource("Kotihoidon tiimi", flow, GOALS, THRESHOLDS, tuple(history), texts)
    return Group(names, source)


def scrubbed(group: Group, catalog: Catalog) -> Group:
    """The group with its texts scrubbed thoroughly, as `DigestService.scrub_texts` leaves them at close."""
    redactor = Redactor.for_people(group.names)
    marks = placeholders(catalog)
    texts = {q: [redactor.redact(text, marks) for text in answers] for q, answers in group.source.texts.items()}
    return Group(group.names, replace(group.source, texts=texts))


def build_digest(group: Group, catalog: Catalog) -> tuple[Summary, str, str]:
    """What `DigestService` does with a round, minus storage and the chart: the summary, message and report."""
    redactor = Redactor.for_people(group.names).second_net()
    summary = build_summary(group.source, catalog, redactor, random.Random(1))
    return summary, render_compact(summary, catalog, HELSINKI), render_report(summary, catalog, HELSINKI, None, "")


def median_seconds(work: Callable[[], object], repeats: int, *, cold: bool = False) -> float:
    """The median time of `work`; `cold` empties the cache of name indexes before each run."""
    timings = []
    for _ in range(repeats):
        if cold:
            name_index.cache_clear()
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def build_seconds(respondents: int, rounds: int, repeats: int, *, cold: bool) -> float:
    catalog = Translator.load().for_language("fi")
    group = scrubbed(make_group(respondents, rounds), catalog)
    build_digest(group, catalog)
    return median_seconds(lambda: build_digest(group, catalog), repeats, cold=cold)


def chart_seconds(respondents: int, rounds: int, repeats: int) -> float:
    catalog = Translator.load().for_language("fi")
    summary = build_digest(make_group(respondents, rounds), catalog)[0]
    # Drawing takes long and hardly varies: three runs at most.
    return median_seconds(
        lambda: (render_chart(summary, catalog, HELSINKI), chart_caption(summary, catalog)), min(repeats, 3)
    )


def digest(large: int, small: int, rounds: int, repeats: int) -> list[Result]:
    """Scenario 4: a large group and an ordinary one, each built as the first digest for these names (cold: the
    redactor indexes the names first) and, for the ordinary group, again with its name index cached (warm)."""
    name = "4 digest"
    shape = f"× 10 q, {rounds} rounds"
    results = []
    catalog = Translator.load().for_language("fi")
    for respondents, bound, kinds in ((large, 0.5, (True,)), (small, 0.020, (True, False))):
        details = {"respondents": respondents, "questions": 10, "rounds": rounds}
        for cold in kinds:
            build = build_seconds(respondents, rounds, repeats if respondents == large else repeats * 10, cold=cold)
            label = "names not indexed yet" if cold else "names indexed"
            results.append(
                Result(name, f"{respondents:,} respondents {shape}: build, {label}", build, " s",
                       target=Target("<", bound), details=details | {"cold": cold})
            )  # fmt: skip
        if respondents == large:
            scrub = median_seconds(functools.partial(scrubbed, make_group(respondents, rounds), catalog), 1)
            results.append(Result(name, f"{respondents:,} respondents: scrub at close (thorough)", scrub, " s",
                                  details=details))  # fmt: skip
        chart = chart_seconds(respondents, rounds, repeats)
        results.append(Result(name, f"{respondents:,} respondents: chart (PNG)", chart, " s", details=details))
    return results


def scaling(sizes: list[int], rounds: int, repeats: int) -> list[Result]:
    """Scenario 6 (digest half): build time at growing numbers of respondents."""
    name = "6 scaling: digest"
    points = []
    results = []
    for respondents in sizes:
        build = build_seconds(respondents, rounds, repeats, cold=True)
        points.append((float(respondents), build))
        results.append(
            Result(
                name,
                f"{respondents / sizes[0]:g}×: {respondents:,} respondents",
                build,
                " s",
                details={"respondents": respondents, "rounds": rounds},
            )
        )
    results.append(
        Result(
            name,
            "growth exponent (1 = linear)",
            growth_exponent(points),
            target=Target("<=", 1.10),
            details={"points": points},
        )
    )
    return results
