"""Carrying out what the calendar makes due: open, remind, close, report a missed round, warn that the calendar runs
out, send what was held for a member's own quiet hours; and `/skip`.

`ScheduleService.run_due` reads the schedule state from SQLite, asks the pure `schedule.due_actions` what is due at
`clock()`, and carries each action out in its own transaction, then looks again (a close can make room for the next
round of the same flow). Every action re-checks the database inside its transaction and is a no-op when already
done: a round is bound to (group, session, flow) by a primary key, a reminder batch moves `reminders_sent` forward
in the same transaction as its outbox rows (each with a dedupe key), a close happens only to an open round, and the
calendar-end notice and a missed round are recorded once, and a held message is marked released with its send. A run
ends by recording how far it has looked (`missed_plans` needs it). So a timer that fires twice, two timers at once,
or a restart halfway through cannot send anything twice; a crash before the commit leaves nothing behind and the
next run does it all again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.calendars import localize, session_key
from checkins.i18n import Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.privacy.author_tags import member_key
from checkins.rounds.closing import CloseOutcome
from checkins.rounds.opening import OpenOutcome
from checkins.rounds.service import RoundService
from checkins.rounds.timing import member_clock, message_moment
from checkins.schedule.planning import (
    Action,
    CalendarEnding,
    CloseRound,
    OpenRound,
    ReportMissed,
    ScheduledRound,
    ScheduleState,
    SendReminders,
    due_actions,
    next_wake,
    plans_between,
    upcoming_plans,
)
from checkins.schedule.reminding import reminder_screen
from checkins.schedule.view import (
    PlannedRound,
    PlannedSession,
    calendar_ending_text,
    missed_round_screen,
    schedule_text,
)
from checkins.storage import MemberRow, ScheduledRoundRow, Store

log = logging.getLogger(__name__)

# A run repeats while actions make progress; this bounds it even if something keeps coming back.
MAX_PASSES = 10
OVERVIEW_SESSIONS = 5


class SkipOutcome(StrEnum):
    SKIPPED = "skipped"
    ALREADY_SKIPPED = "already_skipped"
    UNSKIPPED = "unskipped"
    NOT_SKIPPED = "not_skipped"
    NO_SESSION = "no_session"
    PAST = "past"


@dataclass(frozen=True)
class SkipResult:
    outcome: SkipOutcome
    session_at: datetime | None = None
    # Rounds of that session already open go on; the supervisor is told.
    rounds_open: bool = False


class ScheduleService:
    def __init__(
        self,
        config: AppConfig,
        store: Store,
        rounds: RoundService,
        translator: Translator,
        outbox: Outbox,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.store = store
        self.rounds = rounds
        self.translator = translator
        self.outbox = outbox
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def load_state(self) -> ScheduleState:
        async with self.store.transaction() as store:
            rows = await store.scheduled_rounds()
            return ScheduleState(
                rounds={
                    (row.group_id, row.session_key, row.flow_id): ScheduledRound(
                        row.round_id, row.is_open, row.reminders_sent, _moment(row.opened_at)
                    )
                    for row in rows
                    if row.group_id in self.config.groups
                },
                open_flows=frozenset(await store.open_round_flows()),
                skipped=frozenset(await store.skipped_sessions()),
                calendar_notices=frozenset(await store.calendar_notices()),
                seen_until=_moment(await store.schedule_seen_until()),
                missed=frozenset(await store.missed_rounds()),
            )

    async def run_due(self) -> list[Action]:
        """Carry out everything due now; returns what was actually done (nothing, when it was already done)."""
        done: list[Action] = []
        failed: set[Action] = set()
        started = self.clock()
        for _ in range(MAX_PASSES):
            actions = [a for a in due_actions(self.config, await self.load_state(), self.now()) if a not in failed]
            progressed = False
            for action in actions:
                try:
                    changed = await self.execute(action)
                except Exception:
                    # One failing action must not stop the others; it is tried again on the next run.
                    log.exception("scheduled %s for group %s failed", type(action).__name__, _group_of(action))
                    failed.add(action)
                    continue
                if changed:
                    done.append(action)
                    progressed = True
            if not progressed:
                break
        try:
            await self.release_held()
        except Exception:
            log.exception("releasing held prompts and reminders failed")
        # The calendar up to the start of this run has been looked at: a round whose whole window falls after it
        # and passes before the next run was missed (see `missed_plans`).
        async with self.store.transaction() as store:
            await store.set_schedule_seen_until(started)
        return done

    async def seconds_until_next(self) -> float | None:
        """How long the timer may sleep before `run_due` can have something new to do."""
        now = self.now()
        wake = next_wake(self.config, await self.load_state(), now)
        async with self.store.transaction() as store:
            held = await store.next_held_due()
        if held is not None:
            held_at = datetime.fromtimestamp(held, UTC)
            wake = held_at if wake is None else min(wake, held_at)
        return None if wake is None else max(0.0, (wake - now).total_seconds())

    async def execute(self, action: Action) -> bool:
        if isinstance(action, OpenRound):
            group = self.config.groups[action.plan.group_id]
            plan = action.plan
            result = await self.rounds.open_scheduled_round(group, plan.flow_id, plan.session_key, plan.closes_at)
            return result.outcome is OpenOutcome.OPENED
        if isinstance(action, SendReminders):
            return await self._send_reminders(action)
        if isinstance(action, CloseRound):
            return (await self.rounds.close_round_by_id(action.round_id)).outcome is CloseOutcome.CLOSED
        if isinstance(action, ReportMissed):
            return await self._report_missed(action)
        return await self._tell_calendar_ending(action)

    async def _report_missed(self, action: ReportMissed) -> bool:
        """Tell the supervisor that a session had no check-in, with a button to open one now (once per round)."""
        plan = action.plan
        group = self.config.groups[plan.group_id]
        supervisor = self.config.supervisors[group.supervisor_id]
        catalog = self.translator.for_language(supervisor.language)
        zone = self.config.supervisor_zone(supervisor)
        title = self.config.flows[plan.flow_id].title.get(supervisor.language)
        async with self.store.transaction() as store:
            if not await store.record_missed_round(plan.group_id, plan.session_key, plan.flow_id):
                return False
            if group.process_ended(await store.finished_at(group.id), self.clock(), self.config.timezone):
                return True  # nothing to open any more, so nothing to say
            await self.outbox.send(
                supervisor.user_id,
                missed_round_screen(group, title, plan, zone, catalog),
                dedupe=f"missed:{plan.group_id}:{plan.session_key}:{plan.flow_id}",
            )
        self.outbox.wake()
        return True

    async def _send_reminders(self, action: SendReminders) -> bool:
        group = self.config.groups[action.plan.group_id]
        flow = self.config.flows[action.plan.flow_id]
        zone = self.config.group_zone(group)
        async with self.store.transaction() as store:
            stored = await store.scheduled_round_of(action.round_id)
            round_row = await store.round_by_id(action.round_id)
            if stored is None or not stored.is_open or stored.reminders_sent >= action.number:
                return False
            assert round_row is not None and round_row.secret is not None
            for member in await store.reminder_recipients(action.round_id, self.clock()):
                moment = await self._reminder_moment(store, group, action.round_id, member, stored.opened_at, action)
                if moment is None:
                    continue
                if moment > self.now():
                    await store.hold_message(action.round_id, member.id, "reminder", moment.timestamp(), action.number)
                    continue
                catalog = self.translator.for_language(member.language)
                title = flow.title.get(member.language)
                screen = reminder_screen(group, title, action.round_id, action.plan.closes_at, zone, catalog)
                await self.outbox.send(
                    member.telegram_user_id,
                    screen,
                    dedupe=f"remind:{action.round_id}:{action.number}:{member_key(round_row.secret, member.id)}",
                )
            await store.set_reminders_sent(action.round_id, action.number)
        self.outbox.wake()
        return True

    async def _reminder_moment(
        self,
        store: Store,
        group: GroupConfig,
        round_id: str,
        member: MemberRow,
        opened_at: float | None,
        action: SendReminders,
    ) -> datetime | None:
        """When this member's reminder may go: now; later (their own quiet hours, or the gap after a question that was
        held for them); or None, when no such moment comes before the close."""
        now = self.now()
        held = await store.held_prompt(round_id, member.id)
        prompted = held[1] if held is not None and held[1] is not None else opened_at
        earliest = now if prompted is None else datetime.fromtimestamp(prompted, UTC) + self.config.reminder_gap
        clock = member_clock(self.config, group, await store.member_settings(member.id))
        return message_moment(clock, now, earliest, action.plan.closes_at, required=False)

    async def release_held(self) -> int:
        """Send the questions and reminders held for members' own quiet hours whose time has come; each once."""
        now = self.now()
        released = 0
        async with self.store.transaction() as store:
            for held in await store.due_held_messages(now.timestamp()):
                scheduled = await store.scheduled_round_of(held.round_id)
                member = await store.member_by_id(held.member_id)
                if scheduled is None or member is None or scheduled.group_id not in self.config.groups:
                    continue
                if not await store.release_held_message(held.round_id, held.member_id, held.kind, now.timestamp()):
                    continue
                group = self.config.groups[scheduled.group_id]
                if held.kind == "prompt":
                    released += await self.rounds.invite_held(held.round_id, member)
                    continue
                recipients = await store.reminder_recipients(held.round_id, now.timestamp())
                plan = next((p for p in plans_between(self.config, group, now, now) if p.key == _key(scheduled)), None)
                if plan is None or member.id not in {m.id for m in recipients}:
                    continue
                round_row = await store.round_by_id(held.round_id)
                if round_row is None or round_row.secret is None:
                    continue
                catalog = self.translator.for_language(member.language)
                title = self.config.flows[scheduled.flow_id].title.get(member.language)
                zone = self.config.group_zone(group)
                screen = reminder_screen(group, title, held.round_id, plan.closes_at, zone, catalog)
                await self.outbox.send(
                    member.telegram_user_id,
                    screen,
                    dedupe=f"remind:{held.round_id}:{held.number}:{member_key(round_row.secret, member.id)}",
                )
                released += 1
        if released:
            self.outbox.wake()
        return released

    async def _tell_calendar_ending(self, action: CalendarEnding) -> bool:
        group = self.config.groups[action.group_id]
        supervisor = self.config.supervisors[group.supervisor_id]
        catalog = self.translator.for_language(supervisor.language)
        text = calendar_ending_text(group, action.last_session_at, self.config.supervisor_zone(supervisor), catalog)
        async with self.store.transaction() as store:
            if not await store.record_calendar_notice(group.id, action.last_session_key):
                return False
            await self.outbox.send(
                supervisor.user_id, Screen(text), dedupe=f"calendar-end:{group.id}:{action.last_session_key}"
            )
        self.outbox.wake()
        return True

    # --- supervisor commands -----------------------------------------------------------------------------------

    async def skip(self, group: GroupConfig, day: date, *, undo: bool = False) -> SkipResult:
        """Cancel the rounds of the group's session on `day` (local date) that have not opened yet; with `undo`,
        put a skipped session back (its rounds then open as planned, or at once if their time has come)."""
        if group.calendar is None:
            return SkipResult(SkipOutcome.NO_SESSION)
        zone = self.config.group_zone(group)
        start = localize(datetime.combine(day, time(0, 0)), zone)
        sessions = group.calendar.between(start, start + timedelta(days=1))
        if not sessions:
            return SkipResult(SkipOutcome.NO_SESSION)
        session_at = sessions[0]
        if session_at <= self.now():
            return SkipResult(SkipOutcome.PAST, session_at)
        key = session_key(session_at, zone)
        async with self.store.transaction() as store:
            if undo:
                restored = await store.unskip_session(group.id, key)
                return SkipResult(SkipOutcome.UNSKIPPED if restored else SkipOutcome.NOT_SKIPPED, session_at)
            added = await store.skip_session(group.id, key)
            stored = [await store.scheduled_round(group.id, key, timeline.flow_id) for timeline in group.rounds]
            rounds_open = any(row is not None and row.is_open for row in stored)
        outcome = SkipOutcome.SKIPPED if added else SkipOutcome.ALREADY_SKIPPED
        return SkipResult(outcome, session_at, rounds_open)

    async def overview(self, group: GroupConfig, language: str) -> str:
        """The `/schedule` text: the next sessions and their rounds, in the supervisor's zone and language."""
        supervisor = self.config.supervisors[group.supervisor_id]
        zone = self.config.supervisor_zone(supervisor)
        state = await self.load_state()
        plans = upcoming_plans(self.config, group, self.now(), OVERVIEW_SESSIONS)
        sessions: dict[datetime, list[PlannedRound]] = {}
        for plan in plans:
            stored = state.rounds.get(plan.key)
            state_name = None if stored is None else ("open" if stored.is_open else "closed")
            title = self.config.flows[plan.flow_id].title.get(language)
            sessions.setdefault(plan.session_at, []).append(PlannedRound(plan, title, state_name))
        planned = [
            PlannedSession(
                session_at,
                (group.id, session_key(session_at, self.config.group_zone(group))) in state.skipped,
                rounds,
            )
            for session_at, rounds in sessions.items()
        ]
        return schedule_text(group, planned, zone, self.translator.for_language(language))

    async def link_chat(self, group: GroupConfig, chat_id: int, deep_link: str) -> None:
        async with self.store.transaction() as store:
            await store.link_group_chat(group.id, chat_id, deep_link)

    async def unlink_chat(self, group: GroupConfig) -> bool:
        async with self.store.transaction() as store:
            return await store.unlink_group_chat(group.id)


def _group_of(action: Action) -> str:
    return action.plan.group_id if isinstance(action, OpenRound | SendReminders | ReportMissed) else action.group_id


def _key(row: ScheduledRoundRow) -> tuple[str, str, str]:
    return (row.group_id, row.session_key, row.flow_id)


def _moment(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)
