"""What is due now: a pure function of (config, database state, now) — no clock, no I/O, no Telegram.

Each group's calendar and round timelines give `RoundPlan`s: for one session and one flow, when the round opens,
when reminders go out and when it closes, with prompts and reminders moved out of quiet hours (a close is moved too,
but never past the session's start; a reminder that cannot move later before the close moves earlier, at least
`reminder_gap` after the opening, or is counted as left out). `due_actions` compares the plans with `ScheduleState`
(which rounds exist, which are open and since when, how many reminders went out, which sessions were skipped, which
notices were sent, how far the timer has looked) and lists what to do now. After downtime this is the catch-up: a
round whose open time passed but whose close time has not is opened now (in quiet hours, at their end); an open
round whose close time passed is closed now; of several missed reminders only one is sent, and not within
`reminder_gap` of the round's actual opening; a round whose close passed unopened is reported as missed. Carrying
an action out is idempotent on the storage side, so a timer that fires twice, or two timers at once, cannot send
anything twice. `next_wake` tells the timer when to look again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.calendars import RoundTimeline, on_local_clock, session_key

# Quiet hours can push a moment over a weekend and a night; plans are looked up with this much margin.
SHIFT_MARGIN = timedelta(days=3)
# The supervisor hears this long before the last session that the calendar runs out.
CALENDAR_END_NOTICE = timedelta(days=7)
# How far ahead `next_wake` looks; the timer's periodic sweep covers anything later.
WAKE_HORIZON = timedelta(days=35)

RoundKey = tuple[str, str, str]  # (group id, session key, flow id)


@dataclass(frozen=True)
class RoundPlan:
    group_id: str
    flow_id: str
    session_key: str
    session_at: datetime
    opens_at: datetime
    reminders_at: tuple[datetime, ...]
    closes_at: datetime
    # Reminders of the timeline that have no moment outside quiet hours between the gap after the opening and the
    # close; `check` and `/schedule` say so.
    reminders_dropped: int = 0

    @property
    def key(self) -> RoundKey:
        return (self.group_id, self.session_key, self.flow_id)


@dataclass(frozen=True)
class ScheduledRound:
    """A round the scheduler opened, as stored."""

    round_id: str
    is_open: bool
    reminders_sent: int
    # When the round actually opened: later than planned after downtime. Reminders keep the gap after it.
    opened_at: datetime | None = None


@dataclass(frozen=True)
class ScheduleState:
    rounds: Mapping[RoundKey, ScheduledRound] = field(default_factory=dict)
    # (group id, flow id) of every open round, scheduled or opened by hand.
    open_flows: frozenset[tuple[str, str]] = frozenset()
    skipped: frozenset[tuple[str, str]] = frozenset()  # (group id, session key)
    calendar_notices: frozenset[tuple[str, str]] = frozenset()  # (group id, last session key)
    # Up to when the timer has looked at the calendar (None: never, a new database); rounds whose whole window
    # passed after this without a look were missed.
    seen_until: datetime | None = None
    missed: frozenset[RoundKey] = frozenset()  # rounds already reported as missed


@dataclass(frozen=True)
class OpenRound:
    plan: RoundPlan


@dataclass(frozen=True)
class SendReminders:
    """Remind everyone who has not submitted; `number` is how many of the plan's reminders are then done."""

    plan: RoundPlan
    round_id: str
    number: int


@dataclass(frozen=True)
class CloseRound:
    group_id: str
    round_id: str


@dataclass(frozen=True)
class CalendarEnding:
    group_id: str
    last_session_key: str
    last_session_at: datetime


@dataclass(frozen=True)
class ReportMissed:
    """A round whose whole window passed while nobody looked (the bot was down): the supervisor is told."""

    plan: RoundPlan


Action = OpenRound | SendReminders | CloseRound | CalendarEnding | ReportMissed


def plan_round(config: AppConfig, group: GroupConfig, timeline: RoundTimeline, session_at: datetime) -> RoundPlan:
    """One round's times for one session, out of quiet hours."""
    quiet = config.group_quiet_hours(group)
    zone = config.group_zone(group)
    opens_raw, closes_raw = timeline.window(session_at, zone)
    closes = quiet.next_allowed(closes_raw, zone)
    if closes_raw <= session_at < closes:
        # The digest is for the session: it must not arrive after the session has started.
        closes = session_at
    opens = quiet.next_allowed(opens_raw, zone)
    if opens >= closes:
        # Better a prompt at night than no round at all.
        opens = opens_raw
    moments = [
        _reminder_moment(config, group, timeline, session_at, before, opens, closes) for before in timeline.reminders
    ]
    reminders = {moment for moment in moments if moment is not None}
    return RoundPlan(
        group_id=group.id,
        flow_id=timeline.flow_id,
        session_key=session_key(session_at, zone),
        session_at=session_at,
        opens_at=opens,
        reminders_at=tuple(sorted(reminders)),
        closes_at=closes,
        reminders_dropped=moments.count(None),
    )


def _reminder_moment(
    config: AppConfig,
    group: GroupConfig,
    timeline: RoundTimeline,
    session_at: datetime,
    before_close: timedelta,
    opens: datetime,
    closes: datetime,
) -> datetime | None:
    """A reminder out of quiet hours: moved later if that keeps it before the close, else earlier if that keeps it
    `reminder_gap` after the opening, else None (left out, and said so)."""
    quiet = config.group_quiet_hours(group)
    zone = config.group_zone(group)
    earliest = opens + config.reminder_gap
    wanted = on_local_clock(session_at, timeline.closes - before_close, zone)
    later = quiet.next_allowed(max(wanted, earliest), zone)
    if later < closes:
        return later
    earlier = quiet.previous_allowed(min(wanted, closes), zone)
    return earlier if earliest <= earlier < closes else None


def plans_between(config: AppConfig, group: GroupConfig, start: datetime, end: datetime) -> list[RoundPlan]:
    """Plans of the group's sessions whose rounds may be under way at some moment in [start, end)."""
    if group.calendar is None:
        return []
    earliest_open = min(timeline.opens for timeline in group.rounds)
    latest_close = max(timeline.closes for timeline in group.rounds)
    sessions = group.calendar.between(start - latest_close - SHIFT_MARGIN, end - earliest_open + SHIFT_MARGIN)
    return [
        plan_round(config, group, timeline, session_at)
        for session_at in sessions
        for timeline in group.rounds
        if timeline.applies_to(session_at)
    ]


def upcoming_plans(config: AppConfig, group: GroupConfig, now: datetime, sessions: int) -> list[RoundPlan]:
    """Plans for the next `sessions` sessions that have not started yet (for the supervisor's overview)."""
    if group.calendar is None:
        return []
    found: list[datetime] = []
    window_end = now
    while len(found) < sessions and window_end < now + timedelta(days=5 * 366):
        window_end += timedelta(days=120)
        found = group.calendar.between(now, window_end)
    chosen = found[:sessions]
    return [
        plan_round(config, group, timeline, session_at)
        for session_at in chosen
        for timeline in group.rounds
        if timeline.applies_to(session_at)
    ]


def _plans_now(config: AppConfig, now: datetime) -> Iterator[RoundPlan]:
    for group in config.groups.values():
        yield from plans_between(config, group, now, now + timedelta(seconds=1))


def quiet_until(config: AppConfig, plan: RoundPlan, now: datetime) -> datetime | None:
    """The end of the group's quiet hours when `now` is inside them, or None. After downtime a prompt or reminder
    whose time has passed is caught up, but not in the middle of the night."""
    group = config.groups[plan.group_id]
    allowed = config.group_quiet_hours(group).next_allowed(now, config.group_zone(group))
    return allowed if allowed > now else None


def reminders_due(config: AppConfig, plan: RoundPlan, stored: ScheduledRound, now: datetime) -> int:
    """How many of the plan's reminders are due at `now`: none within `reminder_gap` after the round actually
    opened, so a round opened late after downtime does not send its question and a reminder in the same breath,
    and none in quiet hours."""
    if stored.opened_at is not None and now < stored.opened_at + config.reminder_gap:
        return stored.reminders_sent
    if quiet_until(config, plan, now) is not None:
        return stored.reminders_sent
    return max(stored.reminders_sent, sum(1 for moment in plan.reminders_at if moment <= now))


def missed_plans(config: AppConfig, state: ScheduleState, now: datetime) -> list[RoundPlan]:
    """Rounds whose close passed between the timer's last look and `now` without their ever opening: the bot was
    not running while they could open (or only in quiet hours it then waited out). Not a skipped session, not one
    reported already, and not one an ad-hoc round of the same flow kept waiting (that round took its place)."""
    if state.seen_until is None or state.seen_until >= now:
        return []
    return [
        plan
        for group in config.groups.values()
        for plan in plans_between(config, group, state.seen_until, now)
        if state.seen_until < plan.closes_at <= now
        and plan.key not in state.rounds
        and plan.key not in state.missed
        and (plan.group_id, plan.session_key) not in state.skipped
        and (plan.group_id, plan.flow_id) not in state.open_flows
    ]


def due_actions(config: AppConfig, state: ScheduleState, now: datetime) -> list[Action]:
    """Everything that should happen at `now`, in a sensible order: closes, then opens, reminders, notices."""
    closes: list[Action] = []
    opens: list[Action] = []
    reminders: list[Action] = []
    planned: set[RoundKey] = set()
    for plan in _plans_now(config, now):
        planned.add(plan.key)
        stored = state.rounds.get(plan.key)
        if stored is None:
            blocked = (plan.group_id, plan.flow_id) in state.open_flows
            skipped = (plan.group_id, plan.session_key) in state.skipped
            # In quiet hours a late opening waits for the morning, unless the round would close first.
            wait = quiet_until(config, plan, now)
            quiet = wait is not None and wait < plan.closes_at
            if plan.opens_at <= now < plan.closes_at and not blocked and not skipped and not quiet:
                opens.append(OpenRound(plan))
        elif stored.is_open and now >= plan.closes_at:
            closes.append(CloseRound(plan.group_id, stored.round_id))
        elif stored.is_open:
            number = reminders_due(config, plan, stored, now)
            if number > stored.reminders_sent:
                reminders.append(SendReminders(plan, stored.round_id, number))
    for key, stored in state.rounds.items():
        # An open round whose plan is gone (its close is long past, or the calendar changed) is closed now.
        if stored.is_open and key not in planned:
            closes.append(CloseRound(key[0], stored.round_id))
    missed: list[Action] = [ReportMissed(plan) for plan in missed_plans(config, state, now)]
    return closes + opens + reminders + missed + _calendar_notices(config, state, now)


def _calendar_notices(config: AppConfig, state: ScheduleState, now: datetime) -> list[Action]:
    notices: list[Action] = []
    for group in config.groups.values():
        last = group.calendar.last_session() if group.calendar is not None else None
        if last is None:
            continue
        key = session_key(last, config.group_zone(group))
        if now >= last - CALENDAR_END_NOTICE and (group.id, key) not in state.calendar_notices:
            notices.append(CalendarEnding(group.id, key, last))
    return notices


def next_wake(config: AppConfig, state: ScheduleState, now: datetime) -> datetime | None:
    """The first moment after `now` at which `due_actions` may have something new, within `WAKE_HORIZON`."""
    moments: list[datetime] = []
    for group in config.groups.values():
        for plan in plans_between(config, group, now, now + WAKE_HORIZON):
            stored = state.rounds.get(plan.key)
            if (wait := quiet_until(config, plan, now)) is not None and plan.opens_at <= now < plan.closes_at:
                moments.append(wait)
            if stored is None:
                if (plan.group_id, plan.session_key) not in state.skipped:
                    moments.append(plan.opens_at)
            elif stored.is_open:
                moments += [*plan.reminders_at, plan.closes_at]
                if stored.opened_at is not None:
                    moments.append(stored.opened_at + config.reminder_gap)
        last = group.calendar.last_session() if group.calendar is not None else None
        if last is not None:
            moments.append(last - CALENDAR_END_NOTICE)
    future = [moment for moment in moments if moment > now]
    return min(future) if future else None
