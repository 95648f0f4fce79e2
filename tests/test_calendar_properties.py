"""Property tests (hypothesis) of the calendar over random sessions, zones, timelines, quiet hours and downtimes.

Sessions are drawn around the daylight-saving changes of zones north and south, with half-hour offsets and
half-hour DST (Lord Howe). For every valid timeline the plan keeps its promises (opens before it closes, a "before"
close never after its session, reminders out of quiet hours and at least the gap after the opening); and the timer,
simulated by calling `due_actions` and `next_wake` as `ScheduleService.run_due` and the JobQueue do, with the bot
down for random stretches, opens every round once or reports it missed, prompts no one in quiet hours (unless quiet
hours cover the whole window) and sends no reminder within the gap after its round actually opened. A member's own
clock (random quiet hours in a random zone) never gets a message in their quiet hours, nor one held past the close.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checkins.config.app import AppConfig
from checkins.config.calendars import QuietHours, RoundTimeline, SessionCalendar
from checkins.rounds.timing import MemberClock, message_moment
from checkins.schedule.planning import (
    CalendarEnding,
    CloseRound,
    OpenRound,
    ReportMissed,
    RoundKey,
    RoundPlan,
    ScheduledRound,
    ScheduleState,
    SendReminders,
    due_actions,
    next_wake,
    plans_between,
)
from tests.calendars import scheduled_config

ZONES = [
    "Europe/Helsinki",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Asia/Kolkata",
    "UTC",
]
# Days around which clocks change in 2031 somewhere in ZONES (spring and autumn, north and south).
ANCHORS = [
    date(2031, 3, 9),
    date(2031, 3, 30),
    date(2031, 4, 6),
    date(2031, 10, 5),
    date(2031, 10, 26),
    date(2031, 11, 2),
]


@functools.cache
def base_config() -> AppConfig:
    folder = Path(tempfile.mkdtemp(prefix="kierros-calendar-properties-"))
    return scheduled_config(folder, "calendar: {sessions: [2031-01-07 14:00]}\n")


QUIET_HOURS = st.one_of(
    st.just(QuietHours()),
    st.builds(
        QuietHours,
        st.builds(time, st.integers(18, 23), st.sampled_from([0, 30])),
        st.builds(time, st.integers(5, 9), st.sampled_from([0, 30])),
        st.booleans(),
    ),
    st.just(QuietHours(weekends=True)),
)
SESSION_CLOCKS = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@functools.cache
def clock_changes(zone_name: str) -> tuple[datetime, ...]:
    """The local wall times at which `zone`'s clocks change in 2031 (as read just before the change)."""
    zone = ZoneInfo(zone_name)
    moment = datetime(2031, 1, 1, tzinfo=UTC)
    changes = []
    while moment.year == 2031:
        later = moment + timedelta(minutes=30)
        before = moment.astimezone(zone).utcoffset()
        if before is not None and before != later.astimezone(zone).utcoffset():
            changes.append(later.replace(tzinfo=None) + before)
        moment = later
    return tuple(changes)


# Minutes: short offsets land in a one-hour gap far more often than long ones.
SHORT_OR_LONG = st.one_of(st.integers(5, 120), st.integers(5, 24 * 60))
SHAPES = st.sampled_from(["before", "around", "after"])
GAPS = st.sampled_from([30, 60, 120, 240])


@st.composite
def calendars(draw: st.DrawFn) -> tuple[AppConfig, RoundTimeline]:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    changes = clock_changes(zone_name)
    if changes and draw(st.booleans()):
        # Most sessions just around a clock change, so that offsets land in its gap or its repeated hour.
        wall = draw(st.sampled_from(changes)) + timedelta(minutes=draw(st.integers(-60, 180)))
        first = wall.replace(minute=wall.minute - wall.minute % 5, second=0)
    else:
        day = draw(st.sampled_from(ANCHORS)) + timedelta(days=draw(st.integers(-2, 2)))
        first = datetime.combine(day, draw(SESSION_CLOCKS))
    sessions = [first]
    if draw(st.booleans()):
        sessions.append(sessions[-1] + timedelta(days=draw(st.integers(7, 15))))
    shape = draw(SHAPES)
    length = draw(st.one_of(st.integers(30, 180), st.integers(30, 4 * 24 * 60)))  # minutes from opening to close
    if shape == "before":
        closes = -draw(SHORT_OR_LONG)
    elif shape == "around":
        closes = draw(st.integers(0, length - 5))
    else:
        closes = length + draw(SHORT_OR_LONG)
    opens = closes - length
    assume(opens != 0 and closes != 0)
    reminders = draw(st.lists(st.integers(5, length - 1), max_size=2, unique=True))
    timeline = RoundTimeline(
        "pre_session",
        opens=timedelta(minutes=opens),
        closes=timedelta(minutes=closes),
        reminders=tuple(timedelta(minutes=m) for m in reminders),
    )
    quiet = draw(QUIET_HOURS)
    base = base_config()
    group = dataclasses.replace(
        base.groups["g"],
        timezone=zone,
        quiet_hours=quiet,
        calendar=SessionCalendar(zone, tuple(sessions)),
        rounds=(timeline,),
    )
    gap = timedelta(minutes=draw(GAPS))
    config = dataclasses.replace(base, groups={"g": group}, reminder_gap=gap)
    return config, timeline


def is_valid(config: AppConfig, timeline: RoundTimeline) -> bool:
    """What `bot.py check` accepts: every round opens before it closes, and one closes before the next opens."""
    group = config.groups["g"]
    assert group.calendar is not None
    zone = config.group_zone(group)
    sessions = group.calendar.between(datetime(2030, 1, 1, tzinfo=UTC), datetime(2033, 1, 1, tzinfo=UTC))
    windows = [timeline.window(session_at, zone) for session_at in sessions]
    ordered = all(opens < closes for opens, closes in windows)
    apart = all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(windows))
    return ordered and apart


def all_plans(config: AppConfig) -> list[RoundPlan]:
    return plans_between(config, config.groups["g"], datetime(2030, 1, 1, tzinfo=UTC), datetime(2033, 1, 1, tzinfo=UTC))


def quiet_at(config: AppConfig, moment: datetime) -> bool:
    group = config.groups["g"]
    return config.group_quiet_hours(group).is_quiet(moment.astimezone(config.group_zone(group)))


PROPERTY_SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_plans(config: AppConfig, timeline: RoundTimeline, plans: list[RoundPlan]) -> None:
    """Each plan opens before it closes, a "before" close is not after its session, the opening is out of quiet
    hours unless they leave no moment before the close, and reminders are out of quiet hours, the gap after the
    opening and before the close."""
    for plan in plans:
        assert plan.opens_at < plan.closes_at
        if timeline.closes < timedelta(0):
            assert plan.closes_at <= plan.session_at
        if quiet_at(config, plan.opens_at):
            group = config.groups["g"]
            allowed = config.group_quiet_hours(group).next_allowed(plan.opens_at, config.group_zone(group))
            assert allowed >= plan.closes_at
        for reminder in plan.reminders_at:
            assert plan.opens_at + config.reminder_gap <= reminder < plan.closes_at
            assert not quiet_at(config, reminder)
        assert len(plan.reminders_at) + plan.reminders_dropped <= len(timeline.reminders)


@dataclass
class Simulation:
    """The database as the scheduler leaves it, and a log of what was sent when."""

    rounds: dict[RoundKey, ScheduledRound] = field(default_factory=dict)
    missed: set[RoundKey] = field(default_factory=set)
    notices: set[tuple[str, str]] = field(default_factory=set)
    seen_until: datetime | None = None
    opened: list[tuple[RoundPlan, datetime]] = field(default_factory=list)
    reminded: list[tuple[RoundPlan, datetime, datetime]] = field(default_factory=list)  # plan, at, round opened at

    def state(self) -> ScheduleState:
        open_flows = frozenset((key[0], key[2]) for key, stored in self.rounds.items() if stored.is_open)
        return ScheduleState(
            rounds=dict(self.rounds),
            open_flows=open_flows,
            calendar_notices=frozenset(self.notices),
            seen_until=self.seen_until,
            missed=frozenset(self.missed),
        )

    def run(self, config: AppConfig, now: datetime) -> None:
        """`ScheduleService.run_due`: carry out what is due, pass after pass, then mark the calendar seen."""
        for _ in range(10):
            actions = due_actions(config, self.state(), now)
            if not actions:
                break
            for action in actions:
                self.apply(action, now)
        self.seen_until = now

    def apply(self, action: object, now: datetime) -> None:
        if isinstance(action, OpenRound):
            assert action.plan.key not in self.rounds, "a round opened twice"
            self.rounds[action.plan.key] = ScheduledRound(f"r{len(self.rounds)}", True, 0, now)
            self.opened.append((action.plan, now))
        elif isinstance(action, SendReminders):
            stored = self.rounds[action.plan.key]
            assert stored.opened_at is not None
            self.rounds[action.plan.key] = dataclasses.replace(stored, reminders_sent=action.number)
            self.reminded.append((action.plan, now, stored.opened_at))
        elif isinstance(action, CloseRound):
            for key, stored in self.rounds.items():
                if stored.round_id == action.round_id:
                    self.rounds[key] = dataclasses.replace(stored, is_open=False)
        elif isinstance(action, ReportMissed):
            assert action.plan.key not in self.missed, "a missed round reported twice"
            self.missed.add(action.plan.key)
        elif isinstance(action, CalendarEnding):
            self.notices.add((action.group_id, action.last_session_key))


# Up to three stretches the bot is down: (start after the first look, length).
DOWNTIMES = st.lists(
    st.tuples(
        st.integers(0, 25 * 24 * 60).map(lambda m: timedelta(minutes=m)),
        st.integers(1, 6 * 24 * 60).map(lambda m: timedelta(minutes=m)),
    ),
    max_size=3,
)


def merged(stretches: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping downtimes as one."""
    result: list[tuple[datetime, datetime]] = []
    for begin, back in stretches:
        if result and begin <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], back))
        else:
            result.append((begin, back))
    return result


@PROPERTY_SETTINGS
@given(calendars(), DOWNTIMES)
def test_the_calendar_keeps_its_rules_whatever_the_zone_calendar_and_downtime(
    drawn: tuple[AppConfig, RoundTimeline], down: list[tuple[timedelta, timedelta]]
) -> None:
    config, timeline = drawn
    assume(is_valid(config, timeline))
    plans = all_plans(config)
    check_plans(config, timeline, plans)
    start = min(plan.opens_at for plan in plans) - timedelta(days=2)
    end = max(plan.closes_at for plan in plans) + timedelta(days=1)
    stretches = merged(sorted((start + offset, start + offset + length) for offset, length in down))
    simulation = Simulation()
    now = start
    for _ in range(500):
        simulation.run(config, now)
        wake = next_wake(config, simulation.state(), now)
        # The next run: the timer's, unless the bot goes down first; then the run at start-up after it.
        following = [(begin, back) for begin, back in stretches if begin > now]
        if following and (wake is None or wake >= following[0][0]):
            now = following[0][1]
            continue
        if wake is None or wake > end:
            break
        now = wake
    simulation.run(config, max(now, end))

    group = config.groups["g"]
    quiet = config.group_quiet_hours(group)
    zone = config.group_zone(group)
    for plan in plans:
        assert (plan.key in simulation.rounds) != (plan.key in simulation.missed), plan
    for plan, at in simulation.opened:
        assert plan.opens_at <= at < plan.closes_at
        assert not quiet.is_quiet(at.astimezone(zone)) or quiet.next_allowed(at, zone) >= plan.closes_at
    for plan, at, opened_at in simulation.reminded:
        assert opened_at + config.reminder_gap <= at < plan.closes_at
        assert not quiet.is_quiet(at.astimezone(zone))


MEMBER_QUIET = st.builds(
    QuietHours,
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
    st.builds(time, st.integers(0, 23), st.sampled_from([15, 45])),
    st.booleans(),
)
MOMENTS = st.datetimes(datetime(2031, 1, 1), datetime(2031, 12, 31), timezones=st.just(UTC))


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(ZONES),
    MEMBER_QUIET,
    MOMENTS,
    st.integers(0, 6 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 3 * 24 * 60).map(lambda m: timedelta(minutes=m)),
    st.booleans(),
)
def test_a_message_never_reaches_a_member_in_their_quiet_hours_nor_after_the_close(
    zone_name: str, quiet: QuietHours, now: datetime, gap: timedelta, left: timedelta, required: bool
) -> None:
    clock = MemberClock(quiet, ZoneInfo(zone_name))
    deadline = now + left
    earliest = now + gap if not required else now
    moment = message_moment(clock, now, earliest, deadline, required=required)
    allowed = quiet.next_allowed(max(now, earliest), clock.zone)
    if moment is None:
        # Only a reminder is left out, and only when nothing fits before the close.
        assert not required and allowed >= deadline
    elif moment == now:
        # Now: out of their quiet hours (and past the gap), or a question that would otherwise miss the close.
        assert allowed <= now or (required and allowed >= deadline)
    else:
        assert max(now, earliest) <= moment < deadline
        assert not quiet.is_quiet(moment.astimezone(clock.zone))
