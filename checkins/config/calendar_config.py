"""Reading a group's calendar, round timelines and quiet hours from config.yaml into `checkins.config.calendars` values.

Called by `checkins.config.app` for the `quiet_hours` section and for each group's `calendar` and `rounds`; every
mistake becomes a `ConfigError` naming the file, line and key, like the rest of the config. The checks that need the
sessions expanded (a cancelled date without a session, an `only_on` date without one, two rounds of a flow that would
overlap) look `CHECK_HORIZON` ahead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from checkins.config.calendars import (
    QuietHours,
    Recurrence,
    RoundTimeline,
    SessionCalendar,
    parse_clock_time,
    parse_date,
    parse_duration,
    parse_local_datetime,
    parse_offset,
)
from checkins.config.flows import Flow
from checkins.config.yamlsource import Node, closest, reject_duplicates

DEFAULT_QUIET_HOURS = QuietHours(time(21, 0), time(8, 0))
# A reminder never comes sooner than this after the question it reminds about (also after downtime).
DEFAULT_REMINDER_GAP = timedelta(hours=2)
# How far ahead config checks expand an endless recurrence (overlaps, cancelled dates, `only_on` dates).
CHECK_HORIZON = timedelta(days=3 * 366)

Parsed = TypeVar("Parsed")


def _scalar_text(node: Node) -> str:
    """A scalar as the user wrote it: YAML would read `21:00` as a number and `2026-03-10` as a date."""
    if isinstance(node.value, str):
        return node.value.strip()
    if isinstance(node.value, dict | list) or node.value is None:
        raise node.error(f"must be a single value (got {node.shown})")
    return node.source.scalar_texts.get(node.path, str(node.value))


def read_parsed(node: Node, parse: Callable[[str], Parsed]) -> Parsed:
    try:
        return parse(_scalar_text(node))
    except ValueError as error:
        raise node.error(str(error)) from None


def read_quiet_hours(parent: Node, key: str, default: QuietHours | None) -> QuietHours | None:
    """`quiet_hours: {start: "21:00", end: "08:00", weekends: true}`, or `false` for none at all."""
    node = parent.optional(key)
    if node is None:
        return default
    if node.value is False:
        return QuietHours()
    node.expect(dict)
    node.reject_unknown_keys(("start", "end", "weekends"))
    start = node.optional("start")
    end = node.optional("end")
    if (start is None) != (end is None):
        raise node.error("give both start and end (or neither, for weekends only)", "end" if end is None else "start")
    quiet = QuietHours(
        start=read_parsed(start, parse_clock_time) if start else None,
        end=read_parsed(end, parse_clock_time) if end else None,
        weekends=node.get("weekends", bool, False),
    )
    if quiet.start is not None and quiet.start == quiet.end:
        raise node.error("start and end must differ", "end")
    return quiet


def read_reminder_gap(root: Node) -> timedelta:
    """`reminder_gap: 2h`: the least time between a question and its reminder."""
    node = root.optional("reminder_gap")
    return DEFAULT_REMINDER_GAP if node is None else read_parsed(node, parse_duration)


def read_calendar(node: Node, zone: ZoneInfo) -> SessionCalendar | None:
    """`calendar: {sessions: [...], repeat: {...}, cancelled: [...]}`."""
    section = node.optional("calendar")
    if section is None:
        return None
    section.expect(dict)
    section.reject_unknown_keys(("sessions", "repeat", "cancelled"))
    sessions = tuple(read_parsed(item, parse_local_datetime) for item in section.items("sessions", required=False))
    reject_duplicates_of(section.items("sessions", required=False), sessions, "session")
    recurrence = _recurrence(section)
    if not sessions and recurrence is None:
        raise section.error("needs sessions (a list of dates and times), repeat (a recurrence), or both")
    calendar = SessionCalendar(zone, sessions, recurrence)
    cancelled_nodes = section.items("cancelled", required=False)
    cancelled = tuple(read_parsed(item, parse_date) for item in cancelled_nodes)
    session_dates = {s.date() for s in _checked_sessions(calendar)}
    for item, day in zip(cancelled_nodes, cancelled, strict=True):
        if day not in session_dates:
            raise item.error(f"there is no session on {day.isoformat()} to cancel")
    return SessionCalendar(zone, sessions, recurrence, frozenset(cancelled))


def reject_duplicates_of(nodes: tuple[Node, ...], values: tuple[object, ...], what: str) -> None:
    seen: dict[object, Node] = {}
    for item, value in zip(nodes, values, strict=True):
        earlier = seen.setdefault(value, item)
        if earlier is not item:
            raise item.error(f"duplicate {what} (already listed at line {earlier.line})")


def _recurrence(section: Node) -> Recurrence | None:
    """`repeat: {rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", first: 2026-01-13 14:00, until: 2026-06-30}`."""
    node = section.optional("repeat")
    if node is None:
        return None
    node.expect(dict)
    node.reject_unknown_keys(("rule", "first", "until"))
    rule_text = node.require("rule", str).removeprefix("RRULE:")
    if "DTSTART" in rule_text.upper():
        raise node.error("leave DTSTART out of the rule: the first session is given as 'first'", "rule")
    first = read_parsed(node.required("first"), parse_local_datetime)
    until_node = node.optional("until")
    recurrence = Recurrence(rule_text, first, read_parsed(until_node, parse_date) if until_node else None)
    # RFC 5545: a rule ends after COUNT occurrences or at UNTIL, never both.
    if {"COUNT", "UNTIL"} <= recurrence.rule_parts:
        raise node.error("give COUNT or UNTIL, not both (RFC 5545 forbids it)", "rule")
    if "COUNT" in recurrence.rule_parts and until_node is not None:
        raise node.error("give COUNT or until, not both (RFC 5545 forbids it)", "until")
    try:
        rule = recurrence.rule()
        first_occurrence = rule.after(first, inc=True)
    except (ValueError, TypeError, KeyError) as error:
        raise node.error(f"not a valid iCalendar RRULE ({error})", "rule") from None
    if first_occurrence != first:
        problem = f"the first session {first:%Y-%m-%d %H:%M} ({first:%A}) is not a time the rule repeats on"
        raise node.error(problem, "first")
    return recurrence


def _checked_sessions(calendar: SessionCalendar) -> list[datetime]:
    """The sessions the config checks look at: all of a bounded calendar, a few years of an endless one."""
    starts = [*calendar.sessions, *([calendar.recurrence.first] if calendar.recurrence else [])]
    begin = min(starts).replace(tzinfo=calendar.zone) - timedelta(days=1)
    return calendar.between(begin, begin + CHECK_HORIZON)


def read_rounds(
    node: Node, calendar: SessionCalendar | None, default_flow: str, flows: Mapping[str, Flow]
) -> tuple[RoundTimeline, ...]:
    """`rounds: [{flow, opens, reminders, closes, only_on}]`; a calendar without it gets the group's flow."""
    items = node.items("rounds", required=False)
    if calendar is None:
        if items:
            raise node.error("rounds need a calendar: add calendar with the group's sessions", "rounds")
        return ()
    reject_duplicates(items, "flow", "flow in rounds")
    sessions = _checked_sessions(calendar)
    if not items:
        default = RoundTimeline(default_flow)
        _check_no_overlap(node.child("calendar"), default, sessions)
        return (default,)
    timelines = tuple(_timeline(item, flows) for item in items)
    for item, timeline in zip(items, timelines, strict=True):
        _check_only_on(item, sessions)
        _check_window(item, timeline, sessions, calendar.zone)
        _check_no_overlap(item, timeline, sessions)
    return timelines


def _timeline(node: Node, flows: Mapping[str, Flow]) -> RoundTimeline:
    node.expect(dict)
    node.reject_unknown_keys(("flow", "opens", "closes", "reminders", "only_on"))
    defaults = RoundTimeline("")
    opens_node, closes_node = node.optional("opens"), node.optional("closes")
    opens = read_parsed(opens_node, parse_offset) if opens_node else defaults.opens
    closes = read_parsed(closes_node, parse_offset) if closes_node else defaults.closes
    if opens >= closes:
        raise node.error("the round must open before it closes", "closes" if closes_node else "opens")
    reminder_nodes = node.items("reminders", required=False) if "reminders" in node.key_names() else None
    reminders = defaults.reminders
    if reminder_nodes is not None:
        reminders = tuple(read_parsed(item, parse_duration) for item in reminder_nodes)
        for item, before_close in zip(reminder_nodes, reminders, strict=True):
            if before_close >= closes - opens:
                raise item.error("this reminder would come before the round opens")
    elif reminders[0] >= closes - opens:
        # The default reminder does not fit a short round: simply go without.
        reminders = ()
    return RoundTimeline(
        flow_id=read_flow_id(node, flows),
        opens=opens,
        closes=closes,
        reminders=reminders,
        only_on=frozenset(read_parsed(item, parse_date) for item in node.items("only_on", required=False)),
    )


def _check_only_on(node: Node, sessions: list[datetime]) -> None:
    session_dates: set[date] = {s.date() for s in sessions}
    for item in node.items("only_on", required=False):
        day = read_parsed(item, parse_date)
        if day not in session_dates:
            raise item.error(f"there is no session on {day.isoformat()}")


def _check_window(node: Node, timeline: RoundTimeline, sessions: list[datetime], zone: ZoneInfo) -> None:
    """On every session the round must open before it closes, and a close "before" must come before the session:
    a daylight-saving change can squeeze offsets together that look fine on paper."""
    key = "closes" if "closes" in node.key_names() else None
    for session_at in (s for s in sessions if timeline.applies_to(s)):
        opens, closes = timeline.window(session_at, zone)
        when = f"{session_at:%Y-%m-%d %H:%M}"
        if timeline.closes < timedelta(0) and closes >= session_at:
            raise node.error(f"the round for the session on {when} would close at {closes:%H:%M}, not before it", key)
        if opens >= closes:
            problem = (
                f"the round for the session on {when} would never open: daylight saving moves its opening "
                f"({opens:%Y-%m-%d %H:%M}) to its close ({closes:%Y-%m-%d %H:%M})"
            )
            raise node.error(problem, key)


def _check_no_overlap(node: Node, timeline: RoundTimeline, sessions: list[datetime]) -> None:
    """One flow's round for a session must close before its round for the next session opens."""
    chosen = [s for s in sessions if timeline.applies_to(s)]
    for earlier, later in itertools.pairwise(chosen):
        if earlier + timeline.closes > later + timeline.opens:
            problem = (
                f"the rounds for the sessions on {earlier:%Y-%m-%d} and {later:%Y-%m-%d} would overlap: "
                "close each round earlier or open it later"
            )
            raise node.error(problem)


def read_flow_id(node: Node, flows: Mapping[str, Flow], key: str = "flow") -> str:
    flow_id = node.require(key, str)
    if flow_id not in flows:
        guess = closest(flow_id, flows)
        hint = f"did you mean '{guess}'? " if guess else ""
        raise node.error(f"unknown flow '{flow_id}' ({hint}available: {', '.join(flows)})", key)
    return flow_id
