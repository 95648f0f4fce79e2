"""What a digest may show, decided from fixed data: statistics kept at close, agenda, trends, goals, history."""

from __future__ import annotations

from checkins.config.flows import ProctorFunction
from checkins.config.goals import expand_goals
from checkins.digest.stats import QuestionStats, RoundRecord, Thresholds, round_statistics, visible_stats
from checkins.digest.summary import CountSection, Hidden, ScaleSection, TextSection
from checkins.digest.trends import Direction, trend
from tests.digest_data import GOALS, ROUND_ANSWERS, THRESHOLDS, check_in_flow, record, summary


def test_statistics_keep_aggregates_only_for_questions_that_met_their_threshold() -> None:
    flow = expand_goals(check_in_flow(), GOALS)
    kept = {s.question_id: s for s in round_statistics(flow, ROUND_ANSWERS[3], 4, THRESHOLDS)}
    assert set(kept) == {
        "energy", "went_well", "difficult", "bring", "topic_area", "urgency", "progress.roles", "again",
    }  # fmt: skip
    assert "progress.coping" not in kept  # two answers: below the threshold, so not even kept
    energy = kept["energy"]
    assert (energy.responses, energy.mean, energy.median) == (4, 4.0, 4.0)
    assert dict(energy.counts) == {"3": 1, "4": 2, "5": 1}
    assert dict(kept["topic_area"].counts) == {"wellbeing": 2, "client_work": 1, "team": 1, "other": 1}
    assert dict(kept["again"].counts) == {"yes": 3, "no": 1}
    assert kept["went_well"].counts == {} and kept["went_well"].responses == 4


def test_a_round_below_min_responses_keeps_nothing() -> None:
    flow = expand_goals(check_in_flow(), GOALS)
    assert round_statistics(flow, ROUND_ANSWERS[2], 2, THRESHOLDS) == []


def test_thresholds_raised_later_hide_statistics_kept_earlier() -> None:
    stats = QuestionStats("energy", "scale", 3, {"4": 3}, 4.0, 4.0)
    kept = RoundRecord(1, None, 3, 5, {"energy": stats})
    assert visible_stats(kept, "energy", THRESHOLDS) == stats
    assert visible_stats(kept, "energy", Thresholds(4, 4)) is None
    assert visible_stats(kept, "missing", THRESHOLDS) is None


def test_trend_over_three_rounds_skips_the_one_below_the_threshold() -> None:
    history = (record(1), record(2), record(3))
    energy = trend(history, "energy", THRESHOLDS)
    assert energy is not None
    assert [(p.round_number, p.mean) for p in energy.points] == [(1, 3.0), (3, 4.0)]
    assert energy.direction is Direction.UP


def means(*values: float) -> tuple[RoundRecord, ...]:
    return tuple(
        RoundRecord(n, None, 3, 3, {"q": QuestionStats("q", "scale", 3, {}, mean, mean)})
        for n, mean in enumerate(values, 1)
    )


def direction_of(*values: float) -> Direction | None:
    found = trend(means(*values), "q", THRESHOLDS)
    assert found is not None
    return found.direction


def test_trend_directions_and_a_single_round() -> None:
    assert direction_of(3.0, 2.5) is Direction.DOWN
    assert direction_of(3.0, 3.1) is Direction.STEADY
    assert direction_of(2.0, 3.1, 3.0) is Direction.STEADY  # compared with the round just before
    assert direction_of(3.0) is None
    longest = trend(means(*range(1, 10)), "q", THRESHOLDS)
    assert longest is not None and [p.round_number for p in longest.points] == [4, 5, 6, 7, 8, 9]


def test_no_trend_when_the_digest_round_itself_is_hidden() -> None:
    assert trend((record(1), record(2)), "energy", THRESHOLDS) is None


def test_agenda_groups_topics_by_proctor_function_and_counts_urgency() -> None:
    agenda = summary().agenda
    assert agenda is not None
    groups = {group.function: [(o.id, n) for o, n in group.topics] for group in agenda.topic_groups}
    assert groups == {
        ProctorFunction.RESTORATIVE: [("wellbeing", 2)],
        # client work is tagged normative and formative: one topic, counted once, under its first function
        ProctorFunction.NORMATIVE: [("client_work", 1), ("team", 1)],
        None: [("other", 1)],
    }
    assert sum(n for group in agenda.topic_groups for _, n in group.topics) == 5  # five topics were chosen
    assert [group.function for group in agenda.topic_groups] == [
        ProctorFunction.RESTORATIVE, ProctorFunction.NORMATIVE, None,
    ]  # fmt: skip
    assert isinstance(agenda.urgency, CountSection) and agenda.urgency.stats.count("important") == 2
    assert isinstance(agenda.bring, TextSection)
    assert sorted(agenda.bring.answers) == sorted(ROUND_ANSWERS[3]["bring"])


def test_goal_progress_follows_each_goal_over_the_rounds() -> None:
    goals = {progress.goal.id: progress.section for progress in summary().goals}
    roles = goals["roles"]
    assert isinstance(roles, ScaleSection)
    assert [(p.round_number, round(p.mean, 2)) for p in roles.trend.points] == [(1, 2.33), (3, 3.67)]
    assert roles.trend.direction is Direction.UP
    assert isinstance(goals["coping"], Hidden)  # only two answered about this goal in round 3


def test_texts_are_redacted_and_shuffled_independently_per_question() -> None:
    difficult = summary().section("difficult")
    assert isinstance(difficult, TextSection)
    assert "[name] is overloaded" in difficult.answers and not any("Maija" in a for a in difficult.answers)
    orders = {(summary(seed=seed).section("went_well").answers) for seed in range(8)}  # type: ignore[union-attr]
    assert len(orders) > 1


def test_deleted_answers_are_reported_as_deleted_not_as_missing() -> None:
    section = summary(texts={}).section("went_well")
    assert isinstance(section, TextSection) and section.deleted and section.answers == ()


def test_withheld_round_shows_nothing_but_participation_and_history() -> None:
    withheld = summary(rounds=(1, 2))
    assert withheld.withheld and withheld.sections == () and withheld.goals == () and withheld.agenda is None
    assert not withheld.has_figures
    assert [(row.number, row.submitted, row.energy) for row in withheld.history] == [(1, 4, 3.0), (2, 2, None)]


def test_history_gives_participation_and_energy_of_every_round() -> None:
    rows = summary().history
    assert [(r.number, r.submitted, r.invited, r.energy) for r in rows] == [
        (1, 4, 5, 3.0),
        (2, 2, 5, None),
        (3, 4, 5, 4.0),
    ]
