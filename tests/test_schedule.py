"""The schedule maths, pure: calendars across DST and ISO week 53, quiet hours, and what is due at a chosen `now`."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from checkins.config.app import AppConfig
from checkins.config.calendars import QuietHours, Recurrence, SessionCalendar, parse_duration, parse_offset
from checkins.schedule.planning import (
    CalendarEnding,
    CloseRound,
    OpenRound,
    RoundPlan,
    ScheduledRound,
    ScheduleState,
    SendReminders,
    due_actions,
    next_wake,
    plans_between,
    upcoming_plans,
)
from tests.calendars import HELSINKI, WEEKLY, helsinki, scheduled_config
from tests.test_cli import run_cli

# --- durations and calendars ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("4h", timedelta(hours=4)),
        ("90m", timedelta(minutes=90)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("2w", timedelta(weeks=2)),
        ("P3D", timedelta(days=3)),
        ("PT90M", timedelta(minutes=90)),
        ("P1DT12H", timedelta(days=1, hours=12)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "3", "3 days", "P1M", "0h", "PT", "-3d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_offsets_before_and_after() -> None:
    assert parse_offset("3d before") == timedelta(days=-3)
    assert parse_offset("1d after") == timedelta(days=1)
    with pytest.raises(ValueError, match="before"):
        parse_offset("3d")


def test_a_session_at_14_stays_at_14_across_both_dst_changes(tmp_path: Path) -> None:
    config = scheduled_config(tmp_path, WEEKLY)
    calendar = config.groups["g"].calendar
    assert calendar is not None
    sessions = calendar.between(helsinki(2026, 3, 20), helsinki(2026, 11, 1))
    # Summer time starts 29 March and ends 25 October 2026.
    assert sessions[0] == helsinki(2026, 3, 24, 14) and sessions[0].utcoffset() == timedelta(hours=2)
    assert sessions[1] == helsinki(2026, 3, 31, 14) and sessions[1].utcoffset() == timedelta(hours=3)
    assert sessions[-1] == helsinki(2026, 10, 27, 14) and sessions[-1].utcoffset() == timedelta(hours=2)
    assert {s.astimezone(HELSINKI).time() for s in sessions} == {time(14, 0)}
    assert {s.astimezone(UTC).hour for s in sessions} == {11, 12}

    # "3d before" the first summer-time session is 14:00 on the Saturday before, still in winter time.
    [plan] = [
        p for p in plans_between(config, config.groups["g"], sessions[1], sessions[1]) if p.session_at == sessions[1]
    ]
    assert plan.opens_at == helsinki(2026, 3, 28, 14)
    assert plan.opens_at.astimezone(UTC) == datetime(2026, 3, 28, 12, tzinfo=UTC)
    assert plan.closes_at.astimezone(HELSINKI).time() == time(11, 0)


def test_biweekly_recurrence_across_iso_week_53() -> None:
    calendar = SessionCalendar(
        HELSINKI, recurrence=Recurrence("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", datetime(2026, 12, 1, 14, 0))
    )
    sessions = calendar.between(helsinki(2026, 11, 30), helsinki(2027, 2, 1))
    assert [s.date() for s in sessions] == [
        date(2026, 12, 1),
        date(2026, 12, 15),
        date(2026, 12, 29),
        date(2027, 1, 12),
        date(2027, 1, 26),
    ]
    # 2026 has 53 ISO weeks: 29 December is in week 53 and the next session is in week 2. A cron
    # `week='*/2'` would have fired in odd weeks 49, 51, 53 and then again in week 1 — a week later.
    assert [s.isocalendar().week for s in sessions] == [49, 51, 53, 2, 4]
    assert all(b - a == timedelta(weeks=2) for a, b in itertools.pairwise(sessions))
    assert calendar.last_session() is None


def test_explicit_dates_and_cancelled_dates(tmp_path: Path) -> None:
    config = scheduled_config(
        tmp_path,
        """\
        timezone: Europe/Stockholm
        calendar:
          sessions: [2026-02-03 09:30, 2026-03-03 09:30, "2026-04-14T13:00"]
          repeat: {rule: "FREQ=MONTHLY;BYDAY=1TU;COUNT=6", first: 2026-05-05 09:30}
          cancelled: [2026-03-03, 2026-07-07]
        """,
    )
    group = config.groups["g"]
    assert group.calendar is not None
    stockholm = ZoneInfo("Europe/Stockholm")
    sessions = group.calendar.between(helsinki(2026, 1, 1), helsinki(2027, 1, 1))
    assert [s.astimezone(stockholm).strftime("%m-%d %H:%M") for s in sessions] == [
        "02-03 09:30",
        "04-14 13:00",
        "05-05 09:30",
        "06-02 09:30",
        "08-04 09:30",
        "09-01 09:30",
        "10-06 09:30",
    ]
    assert group.calendar.last_session() == datetime(2026, 10, 6, 9, 30, tzinfo=stockholm)
    # A calendar without `rounds` gets the group's flow with the default timeline.
    [timeline] = group.rounds
    assert (timeline.flow_id, timeline.opens, timeline.closes) == (
        "pre_session",
        -timedelta(days=3),
        -timedelta(hours=3),
    )


# --- quiet hours ---

NIGHT = QuietHours(time(21, 0), time(8, 0))


@pytest.mark.parametrize(
    ("quiet", "moment", "expected"),
    [
        (NIGHT, helsinki(2026, 3, 10, 20, 59), helsinki(2026, 3, 10, 20, 59)),
        (NIGHT, helsinki(2026, 3, 10, 21, 0), helsinki(2026, 3, 11, 8, 0)),
        (NIGHT, helsinki(2026, 3, 11, 3, 0), helsinki(2026, 3, 11, 8, 0)),
        (NIGHT, helsinki(2026, 3, 14, 12, 0), helsinki(2026, 3, 14, 12, 0)),
        (QuietHours(time(21, 0), time(8, 0), weekends=True), helsinki(2026, 3, 13, 22, 0), helsinki(2026, 3, 16, 8)),
        (QuietHours(weekends=True), helsinki(2026, 3, 15, 23, 0), helsinki(2026, 3, 16, 0, 0)),
        (QuietHours(time(12, 0), time(13, 0)), helsinki(2026, 3, 10, 12, 30), helsinki(2026, 3, 10, 13, 0)),
    ],
)
def test_quiet_hours_move_a_moment_to_the_next_allowed_time(
    quiet: QuietHours, moment: datetime, expected: datetime
) -> None:
    assert quiet.next_allowed(moment, HELSINKI) == expected


def test_quiet_hours_shift_prompts_and_reminders_but_never_the_close_past_the_session(tmp_path: Path) -> None:
    config = scheduled_config(
        tmp_path,
        """\
        quiet_hours: {start: "21:00", end: "08:00", weekends: true}
        calendar:
          sessions: [2026-03-10 07:30, 2026-03-24 14:00]
        rounds:
          - {flow: pre_session, opens: 3d before, reminders: [10h, 1d], closes: 3h before}
        """,
    )
    early, late = plans_between(config, config.groups["g"], helsinki(2026, 3, 1), helsinki(2026, 4, 1))
    # Session Tuesday 07:30: opens Saturday 07:30 → Monday 08:00 (weekend), the close at 04:30 would move to
    # 08:00 — after the session — so it stays at the session's start.
    assert early.opens_at == helsinki(2026, 3, 9, 8, 0)
    assert early.closes_at == helsinki(2026, 3, 10, 7, 30)
    # 1d before the close (Monday 04:30) → Monday 08:00 = the opening, so it waits the reminder gap (2h) and comes
    # at 10:00 rather than being dropped; 10h before (Monday 18:30) stays.
    assert early.reminders_at == (helsinki(2026, 3, 9, 10, 0), helsinki(2026, 3, 9, 18, 30))
    assert early.reminders_dropped == 0
    assert late.opens_at == helsinki(2026, 3, 23, 8, 0)
    # 1d before the close stays; 10h before (Tuesday 01:00) moves to 08:00, still before the close.
    assert late.reminders_at == (helsinki(2026, 3, 23, 11, 0), helsinki(2026, 3, 24, 8, 0))
    assert late.closes_at == helsinki(2026, 3, 24, 11, 0)


# --- what is due ---


def plan_for(config: AppConfig, session: datetime) -> RoundPlan:
    plans = plans_between(config, config.groups["g"], session, session + timedelta(seconds=1))
    [plan] = [p for p in plans if p.session_at == session]
    return plan


TUESDAY = helsinki(2026, 3, 24, 14)


def test_due_actions_through_one_round(tmp_path: Path) -> None:
    config = scheduled_config(tmp_path, WEEKLY)
    plan = plan_for(config, TUESDAY)
    key = plan.key
    assert plan.opens_at == helsinki(2026, 3, 21, 14)
    assert plan.reminders_at == (helsinki(2026, 3, 23, 11), helsinki(2026, 3, 24, 9))

    empty = ScheduleState()
    assert due_actions(config, empty, helsinki(2026, 3, 21, 13, 59)) == []
    assert due_actions(config, empty, helsinki(2026, 3, 21, 14)) == [OpenRound(plan)]

    opened = ScheduleState(rounds={key: ScheduledRound("r1", True, 0)}, open_flows=frozenset({("g", "pre_session")}))
    assert due_actions(config, opened, helsinki(2026, 3, 23, 10, 59)) == []
    assert due_actions(config, opened, helsinki(2026, 3, 23, 11)) == [SendReminders(plan, "r1", 1)]
    reminded = ScheduleState(rounds={key: ScheduledRound("r1", True, 1)}, open_flows=opened.open_flows)
    assert due_actions(config, reminded, helsinki(2026, 3, 23, 12)) == []
    assert due_actions(config, reminded, helsinki(2026, 3, 24, 11)) == [CloseRound("g", "r1")]

    closed = ScheduleState(rounds={key: ScheduledRound("r1", False, 1)})
    assert due_actions(config, closed, helsinki(2026, 3, 24, 12)) == []


def test_downtime_catch_up(tmp_path: Path) -> None:
    config = scheduled_config(tmp_path, WEEKLY)
    plan = plan_for(config, TUESDAY)
    # Down from before the opening until after both reminders: opened now, then one reminder for both.
    assert due_actions(config, ScheduleState(), helsinki(2026, 3, 24, 10)) == [OpenRound(plan)]
    opened = ScheduleState(
        rounds={plan.key: ScheduledRound("r1", True, 0)}, open_flows=frozenset({("g", "pre_session")})
    )
    assert due_actions(config, opened, helsinki(2026, 3, 24, 10)) == [SendReminders(plan, "r1", 2)]
    # Down across the close: closed at once (and the digest goes out).
    assert due_actions(config, opened, helsinki(2026, 3, 24, 16)) == [CloseRound("g", "r1")]
    # Down for weeks: the long-past round is still closed; once it is, the round now under way opens.
    weeks_later = helsinki(2026, 5, 4, 12)
    assert due_actions(config, opened, weeks_later) == [CloseRound("g", "r1")]
    closed = ScheduleState(rounds={plan.key: ScheduledRound("r1", False, 0)})
    assert due_actions(config, closed, weeks_later) == [OpenRound(plan_for(config, helsinki(2026, 5, 5, 14)))]
    # Nothing is opened for a session whose round closed while the bot was down.
    assert due_actions(config, ScheduleState(), helsinki(2026, 3, 24, 12)) == []


def test_downtime_catch_up_waits_for_the_end_of_quiet_hours(tmp_path: Path) -> None:
    config = scheduled_config(
        tmp_path, WEEKLY.replace("quiet_hours: false", 'quiet_hours: {start: "21:00", end: "08:00"}')
    )
    plan = plan_for(config, TUESDAY)
    night = helsinki(2026, 3, 22, 23)  # back at 23:00 on Sunday, after the Saturday opening
    assert due_actions(config, ScheduleState(), night) == []
    assert next_wake(config, ScheduleState(), night) == helsinki(2026, 3, 23, 8)
    assert due_actions(config, ScheduleState(), helsinki(2026, 3, 23, 8)) == [OpenRound(plan)]
    # An overdue reminder waits for the morning too (the round opened long before, so the gap is kept).
    opened = ScheduleState(
        rounds={plan.key: ScheduledRound("r1", True, 0, plan.opens_at)}, open_flows=frozenset({("g", "pre_session")})
    )
    assert due_actions(config, opened, helsinki(2026, 3, 24, 1)) == []
    assert next_wake(config, opened, helsinki(2026, 3, 24, 1)) == helsinki(2026, 3, 24, 8)
    assert due_actions(config, opened, helsinki(2026, 3, 24, 8)) == [SendReminders(plan, "r1", 1)]


def test_skipped_sessions_and_busy_flows_are_not_opened(tmp_path: Path) -> None:
    config = scheduled_config(tmp_path, WEEKLY)
    plan = plan_for(config, TUESDAY)
    now = helsinki(2026, 3, 22)
    assert due_actions(config, ScheduleState(skipped=frozenset({("g", plan.session_key)})), now) == []
    assert due_actions(config, ScheduleState(open_flows=frozenset({("g", "pre_session")})), now) == []


def test_supervisor_is_told_a_week_before_the_calendar_runs_out(tmp_path: Path) -> None:
    config = scheduled_config(tmp_path, WEEKLY)
    last = helsinki(2026, 11, 3, 14)
    notice = CalendarEnding("g", "2026-11-03T14:00", last)
    assert notice not in due_actions(config, ScheduleState(), last - timedelta(days=7, minutes=1))
    assert notice in due_actions(config, ScheduleState(), last - timedelta(days=7))
    told = ScheduleState(calendar_notices=frozenset({("g", "2026-11-03T14:00")}))
    assert notice not in due_actions(config, told, last - timedelta(days=6))


def test_next_wake_is_the_next_moment_anything_changes(tmp_path: Path) -> None:
    config = scheduled_config(tmp_path, WEEKLY)
    plan = plan_for(config, TUESDAY)
    assert next_wake(config, ScheduleState(), helsinki(2026, 3, 20)) == plan.opens_at
    opened = ScheduleState(rounds={plan.key: ScheduledRound("r1", True, 1)})
    assert next_wake(config, opened, helsinki(2026, 3, 23, 12)) == plan.reminders_at[1]


def test_upcoming_plans_list_the_next_sessions(tmp_path: Path) -> None:
    config = scheduled_config(tmp_path, WEEKLY)
    plans = upcoming_plans(config, config.groups["g"], helsinki(2026, 10, 21), 5)
    assert [p.session_key for p in plans] == ["2026-10-27T14:00", "2026-11-03T14:00"]


# --- the spring-forward gap ---


def test_before_offsets_in_the_spring_forward_gap_resolve_to_the_earlier_side(tmp_path: Path) -> None:
    config = scheduled_config(
        tmp_path,
        """\
        quiet_hours: false
        calendar: {sessions: [2026-03-29 04:15, 2026-04-12 04:15]}
        rounds:
          - {flow: pre_session, opens: 30m before, closes: 10m before, reminders: []}
        """,
    )
    [plan] = plans_between(config, config.groups["g"], helsinki(2026, 3, 29, 4), helsinki(2026, 3, 29, 5))
    # 03:45 does not exist: the opening goes to the gap's start (04:00 summer time), not an hour later.
    assert plan.opens_at == helsinki(2026, 3, 29, 4, 0)
    assert plan.closes_at == helsinki(2026, 3, 29, 4, 5) < plan.session_at


def test_a_close_in_the_gap_is_never_after_its_session(tmp_path: Path) -> None:
    config = scheduled_config(
        tmp_path,
        """\
        quiet_hours: false
        calendar: {sessions: [2026-03-29 04:15]}
        rounds:
          - {flow: pre_session, opens: 1d before, closes: 50m before, reminders: [1h]}
        """,
    )
    [plan] = plans_between(config, config.groups["g"], helsinki(2026, 3, 28), helsinki(2026, 3, 30))
    assert plan.closes_at == helsinki(2026, 3, 29, 4, 0) < plan.session_at
    # An hour before a 03:25 that does not exist is 02:25 winter time: the reminder stays before the close.
    assert plan.reminders_at == (helsinki(2026, 3, 29, 2, 25),)


def test_a_reminder_pushed_past_the_close_by_quiet_hours_moves_earlier(tmp_path: Path) -> None:
    # A Monday 09:00 session with quiet weekends and nights until 08:45: the one reminder, 1d before the close, falls
    # on Sunday, and the next allowed moment is the close itself.
    config = scheduled_config(
        tmp_path,
        """\
        quiet_hours: {start: "21:00", end: "08:45", weekends: true}
        calendar: {sessions: [2026-03-16 09:00]}
        rounds:
          - {flow: pre_session, opens: 4d before, reminders: [1d], closes: 30m before}
        """,
    )
    [plan] = plans_between(config, config.groups["g"], helsinki(2026, 3, 10), helsinki(2026, 3, 17))
    # The close (08:30) falls in the night: it moves to 08:45, still before the session.
    assert plan.closes_at == helsinki(2026, 3, 16, 8, 45)
    # Sunday 08:45 is quiet and the next allowed moment is the close itself: the reminder goes to Friday 20:30,
    # half an hour before the weekend's quiet begins, instead of vanishing.
    assert plan.reminders_at == (helsinki(2026, 3, 13, 20, 30),)
    assert plan.reminders_dropped == 0


def test_a_reminder_with_no_room_is_left_out_and_counted(tmp_path: Path) -> None:
    config = scheduled_config(
        tmp_path,
        """\
        quiet_hours: {start: "21:00", end: "08:00"}
        calendar: {sessions: [2026-03-17 10:00]}
        rounds:
          - {flow: pre_session, opens: 3h before, reminders: [30m], closes: 1h before}
        """,
    )
    [plan] = plans_between(config, config.groups["g"], helsinki(2026, 3, 16), helsinki(2026, 3, 18))
    # Opens 08:00 (07:00 is quiet), closes 09:00: a reminder needs two hours after the question.
    assert (plan.opens_at, plan.closes_at) == (helsinki(2026, 3, 17, 8), helsinki(2026, 3, 17, 9))
    assert plan.reminders_at == ()
    assert plan.reminders_dropped == 1


def test_check_notes_a_reminder_that_quiet_hours_leave_no_room_for(tmp_path: Path) -> None:
    scheduled_config(
        tmp_path,
        """\
        quiet_hours: {start: "21:00", end: "08:00"}
        calendar:
          repeat: {rule: "FREQ=WEEKLY;BYDAY=TU", first: 2026-03-17 10:00}
        rounds:
          - {flow: pre_session, opens: 3h before, reminders: [30m], closes: 1h before}
        """,
    )
    result = run_cli("check", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 0, result.stderr
    assert "note: 1 reminder(s) of pre_session for the session on " in result.stdout
    assert "left out: no room between the opening and the close outside quiet hours" in result.stdout.replace("\n", " ")
