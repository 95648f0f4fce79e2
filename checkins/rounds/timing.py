"""A member's own clock: their time zone and quiet hours, and when a scheduled prompt or reminder may reach them.

The group's calendar already keeps the round's opening and reminders out of the group's quiet hours; a member who
set their own (a night-shift nurse sleeping by day, a member abroad) may still be asleep then. `member_clock` gives
that member's quiet hours on their own clock (their nightly hours, or the group's counted in their zone; quiet
weekends follow the group), and `message_moment` says when one message may go: now, later (held until their quiet
hours end, and for a reminder at least the reminder gap after their own question), or — for a reminder with no
such moment before the close — not at all. A question is never held past the close: it then goes now.
"""

from __future__ import annotations

import contextlib
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.calendars import QuietHours, parse_clock_time
from checkins.storage import MemberRow, MemberSettings, Store


@dataclass(frozen=True)
class MemberClock:
    quiet: QuietHours
    zone: ZoneInfo


def member_clock(config: AppConfig, group: GroupConfig, settings: MemberSettings) -> MemberClock | None:
    """The member's own quiet hours and zone, or None when they use the group's (nothing to add then)."""
    if settings.timezone is None and settings.quiet_start is None:
        return None
    group_quiet = config.group_quiet_hours(group)
    zone = config.group_zone(group)
    if settings.timezone is not None:
        # A zone this system no longer knows: the group's is the best guess.
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(settings.timezone)
    quiet = group_quiet
    if settings.quiet_start is not None and settings.quiet_end is not None:
        start, end = parse_clock_time(settings.quiet_start), parse_clock_time(settings.quiet_end)
        quiet = QuietHours(start, end, group_quiet.weekends)
    return MemberClock(quiet, zone)


def message_moment(
    clock: MemberClock | None, now: datetime, earliest: datetime, deadline: datetime, *, required: bool
) -> datetime | None:
    """When a message due `now` may reach the member: `now`, or a later moment out of their quiet hours and not
    before `earliest`, before `deadline` (the round's close). With no such moment a `required` message (the
    question) goes now, and any other (a reminder) is None: left out."""
    moment = max(now, earliest)
    if clock is not None:
        moment = clock.quiet.next_allowed(moment, clock.zone)
    if moment <= now:
        return now
    if moment < deadline:
        return moment
    return now if required else None


async def held_prompts(
    config: AppConfig,
    store: Store,
    group: GroupConfig,
    members: list[MemberRow],
    now: datetime,
    closes_at: datetime | None,
) -> dict[int, datetime]:
    """Members whose own quiet hours are on as a scheduled round opens, with when their question goes (inside the
    caller's transaction). None for `closes_at` (a round opened by hand) holds nobody."""
    if closes_at is None:
        return {}
    held: dict[int, datetime] = {}
    for member in members:
        clock = member_clock(config, group, await store.member_settings(member.id))
        moment = message_moment(clock, now, now, closes_at, required=True)
        if moment is not None and moment > now:
            held[member.id] = moment
    return held
