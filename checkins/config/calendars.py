"""Session calendars and round timelines as typed values: when a group meets, and when each round opens and closes.

A `SessionCalendar` holds a group's sessions in the group's own time zone: an explicit list of local date-times
(dates agreed in the supervision contract) and/or an iCalendar RRULE recurrence (python-dateutil), minus cancelled
dates. Recurrences are expanded in local wall time and only then given the zone's offset, so a session at 14:00 stays
at 14:00 across daylight-saving changes, and an `INTERVAL=2` rule counts weeks from its first session rather than by
ISO week number (2026 has a week 53). A `RoundTimeline` says, per flow, when its round opens and closes relative to a
session and when reminders go out before the close. `QuietHours` is a nightly interval and optionally the weekend.
This module also parses the readable forms config.yaml uses (`3d`, `4h`, `90m`, `1d12h`, ISO 8601 `P3D`/`PT90M`,
`3d before`, `14:00`, `2026-03-10 14:00`); each parser raises `ValueError` with a message for the config loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

_SHORT_DURATION = re.compile(r"(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?")
_ISO_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_OFFSET = re.compile(r"(.+?)\s+(before|after)", re.IGNORECASE)
_CLOCK = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
_FINNISH_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
# A reminder moved out of quiet hours to before them comes this long before they begin (20:30 for 21:00).
EARLIER_MARGIN = timedelta(minutes=30)


def parse_duration(text: str) -> timedelta:
    """`3d`, `4h`, `90m`, `2w`, `1d 12h` or ISO 8601 (`P3D`, `PT4H`, `P1DT12H`, `P2W`); never zero or negative."""
    cleaned = text.strip()
    iso = _ISO_DURATION.fullmatch(cleaned.upper())
    if cleaned.upper().startswith("P") and iso and any(iso.groups()):
        weeks, days, hours, minutes, seconds = (int(part or 0) for part in iso.groups())
        duration = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    else:
        short = _SHORT_DURATION.fullmatch(cleaned.lower())
        if not cleaned or short is None or not any(short.groups()):
            raise ValueError(
                f"'{text}' is not a duration: write e.g. 3d, 4h, 90m or 1d 12h (or ISO 8601 such as P3D, PT90M); "
                "months and years vary in length and are not allowed"
            )
        weeks, days, hours, minutes = (int(part or 0) for part in short.groups())
        duration = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise ValueError(f"'{text}' must be longer than zero")
    return duration


def parse_offset(text: str) -> timedelta:
    """`3d before` → -3 days, `1d after` → +1 day: a moment relative to the session's start."""
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text}' needs 'before' or 'after' the session, e.g. '3d before' or '1d after'")
    duration = parse_duration(match.group(1))
    return -duration if match.group(2).lower() == "before" else duration


def parse_clock_time(text: str) -> time:
    """`21:00` or `21.00`."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not a time of day: write it as HH:MM in quotes, e.g. \"21:00\"")
    return time(int(match.group(1)), int(match.group(2)))


def parse_date(text: str) -> date:
    """`2026-03-10` or the Finnish `10.3.2026`."""
    cleaned = text.strip()
    finnish = _FINNISH_DATE.fullmatch(cleaned)
    try:
        if finnish:
            return date(int(finnish.group(3)), int(finnish.group(2)), int(finnish.group(1)))
        return date.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"'{text}' is not a date: write it as YYYY-MM-DD, e.g. 2026-03-10") from None


def parse_local_datetime(text: str) -> datetime:
    """`2026-03-10 14:00` (or with a T): a local wall-clock time, without an offset (the group's zone applies)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date and time: write it as YYYY-MM-DD HH:MM (2026-03-10 14:00)") from None
    if value.tzinfo is not None:
        raise ValueError(f"'{text}' has a UTC offset: write the local time only; the group's time zone applies")
    if len(text.strip()) <= len("2026-03-10"):
        raise ValueError(f"'{text}' has no time of day: write it as YYYY-MM-DD HH:MM, e.g. 2026-03-10 14:00")
    return value


def localize(wall_time: datetime, zone: ZoneInfo, *, earlier: bool = False) -> datetime:
    """A local wall-clock time in `zone` as an aware datetime. A time skipped by a DST change (03:00-04:00 on the
    last Sunday of March in Helsinki) moves forward by the gap, or with `earlier` to the gap's start (the moment the
    clocks jump); a time that happens twice in autumn is its first occurrence."""
    later_side = wall_time.replace(tzinfo=zone, fold=0).timestamp()
    earlier_side = wall_time.replace(tzinfo=zone, fold=1).timestamp()
    if earlier and earlier_side < later_side:
        return datetime.fromtimestamp(_transition(earlier_side, later_side, zone), zone)
    return datetime.fromtimestamp(later_side, zone)


def _transition(before: float, after: float, zone: ZoneInfo) -> float:
    """The instant in (before, after] at which `zone`'s UTC offset changes, to the second."""
    offset = datetime.fromtimestamp(before, zone).utcoffset()
    low, high = int(before), int(after)
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return float(high)


def on_local_clock(moment: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    """`moment + offset` counted on the local clock: "3d before" a 14:00 session is 14:00, even across DST. A moment
    before `moment` that falls in a spring-forward gap goes to the gap's start, so it never comes later than
    `moment` and moments keep their order."""
    return localize(moment.astimezone(zone).replace(tzinfo=None) + offset, zone, earlier=offset < timedelta(0))


def session_key(session_at: datetime, zone: ZoneInfo) -> str:
    """A session's stable name: its local date and time, e.g. "2026-03-10T14:00"."""
    return session_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class QuietHours:
    """When no prompt or reminder is sent: nightly from `start` to `end` (local), and optionally all weekend."""

    start: time | None = None
    end: time | None = None
    weekends: bool = False

    def is_quiet(self, local: datetime) -> bool:
        if self.weekends and local.weekday() >= 5:
            return True
        if self.start is None or self.end is None:
            return False
        moment = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def next_allowed(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` itself when it is not quiet, else the first moment after it that is."""
        local = moment.astimezone(zone)
        # At most: out of a night, out of a weekend, out of the night that starts Monday 00:00.
        for _ in range(4):
            if not self.is_quiet(local):
                return local
            if self.weekends and local.weekday() >= 5:
                monday = local.date() + timedelta(days=7 - local.weekday())
                local = localize(datetime.combine(monday, time(0, 0)), zone)
                continue
            assert self.start is not None and self.end is not None
            end_day = local.date()
            if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
                end_day += timedelta(days=1)
            local = localize(datetime.combine(end_day, self.end), zone)
        return local

    def previous_allowed(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` itself when it is not quiet, else `EARLIER_MARGIN` before the quiet time it falls in begins
        (the evening before a night, Friday evening before a weekend)."""
        local = moment.astimezone(zone)
        for _ in range(4):
            if not self.is_quiet(local):
                return local
            wall = local.replace(tzinfo=None)
            if self.weekends and local.weekday() >= 5:
                begins = datetime.combine(local.date() - timedelta(days=local.weekday() - 5), time(0, 0))
            else:
                assert self.start is not None and self.end is not None
                start_day = local.date()
                if self.start > self.end and wall.time() < self.end:
                    start_day -= timedelta(days=1)
                begins = datetime.combine(start_day, self.start)
            local = localize(min(begins, wall) - EARLIER_MARGIN, zone, earlier=True)
        return local


@dataclass(frozen=True)
class Recurrence:
    """An iCalendar RRULE (without DTSTART) expanded from `first`, a local date-time that is the first session."""

    rule_text: str
    first: datetime
    until: date | None = None

    def rule(self) -> rrule:
        parsed = rrulestr(self.rule_text, dtstart=self.first, forceset=False)
        assert isinstance(parsed, rrule)
        if self.until is not None:
            parsed = parsed.replace(until=datetime.combine(self.until, time.max))
        return parsed

    @property
    def rule_parts(self) -> frozenset[str]:
        """The names in the rule, e.g. {"FREQ", "BYDAY", "COUNT"}."""
        return frozenset(part.split("=", 1)[0].strip().upper() for part in self.rule_text.split(";") if part.strip())

    @property
    def is_bounded(self) -> bool:
        return self.until is not None or bool({"UNTIL", "COUNT"} & self.rule_parts)


@dataclass(frozen=True)
class SessionCalendar:
    zone: ZoneInfo
    sessions: tuple[datetime, ...] = ()
    recurrence: Recurrence | None = None
    cancelled: frozenset[date] = frozenset()

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """Every session (aware, in the group's zone) with start <= session < end, in order."""
        # Expand in wall time with a day's margin, then compare exact instants.
        local_start = start.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        local_end = end.astimezone(self.zone).replace(tzinfo=None) + timedelta(days=1)
        wall_times = {s for s in self.sessions if local_start <= s <= local_end}
        if self.recurrence is not None:
            wall_times.update(self.recurrence.rule().between(local_start, local_end, inc=True))
        found = (localize(w, self.zone) for w in wall_times if w.date() not in self.cancelled)
        return sorted(s for s in found if start <= s < end)

    def last_session(self) -> datetime | None:
        """The calendar's last session, or None when a recurrence repeats for ever."""
        if self.recurrence is not None and not self.recurrence.is_bounded:
            return None
        candidates = [s for s in self.sessions if s.date() not in self.cancelled]
        if self.recurrence is not None:
            candidates += [w for w in self._recurring() if w.date() not in self.cancelled]
        return localize(max(candidates), self.zone) if candidates else None

    def _recurring(self) -> Iterator[datetime]:
        assert self.recurrence is not None
        yield from self.recurrence.rule()


@dataclass(frozen=True)
class RoundTimeline:
    """One flow's round around each session: offsets from the session's start (negative = before)."""

    flow_id: str
    opens: timedelta = timedelta(days=-3)
    closes: timedelta = timedelta(hours=-3)
    # Each is a duration before the close.
    reminders: tuple[timedelta, ...] = (timedelta(days=1),)
    # Session dates this round belongs to; empty means every session.
    only_on: frozenset[date] = frozenset()

    def applies_to(self, session_at: datetime) -> bool:
        return not self.only_on or session_at.date() in self.only_on

    def window(self, session_at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """When the round for `session_at` opens and closes on the local clock, before quiet hours move them."""
        return on_local_clock(session_at, self.opens, zone), on_local_clock(session_at, self.closes, zone)
