"""What a member answers a reminder with, and the one more reminder they can ask for.

Under a reminder: *Continue* shows the current question again as a new message at the bottom of the chat; *Not this
round* declines the round (no more reminders for it; the digest counts "N declined", never who; the member may still
answer until the close); *Remind me later* asks for one more reminder `remind_later` after the press, moved out of the
group's quiet hours — refused, with the reason, when that would fall after the round's close. A round's intro
carries *Not this round* too. `send_due` sends the reminders asked for once their time has come (the schedule timer's
sweep calls it), checking quiet hours and the close again at that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.calendars import localize
from checkins.formatting import format_moment
from checkins.i18n import Catalog, Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.privacy.author_tags import member_key
from checkins.rounds.reminders import Choice, keyboard, parse
from checkins.rounds.service import RoundService
from checkins.rounds.timing import member_clock
from checkins.schedule.planning import plan_round
from checkins.schedule.view import open_reminder_text, reminder_text
from checkins.storage import RoundRow, Store

SESSION_KEY_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class Chosen:
    """What a press shows: a toast (a refused press), a message saying what happens now, and whether the press was
    taken (then the buttons it came from are removed; a later reminder that would come after the close is not)."""

    toast: str | None = None
    reply: str | None = None
    taken: bool = True


def reminder_screen(
    group: GroupConfig, flow_title: str, round_id: str, closes_at: datetime | None, zone: ZoneInfo, catalog: Catalog
) -> Screen:
    """A reminder with its three buttons; without a known close (a round opened by hand), it just says it is open."""
    if closes_at is None:
        text = open_reminder_text(group, flow_title, catalog)
    else:
        text = reminder_text(group, flow_title, closes_at, zone, catalog)
    return Screen(text, keyboard(round_id, catalog))


class ReminderService:
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

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def closes_at(self, round_row: RoundRow) -> datetime | None:
        """When a round on the calendar closes (inside the caller's transaction); None for a round opened by hand."""
        stored = await self.store.scheduled_round_of(round_row.id)
        group = self.config.groups.get(round_row.group_id)
        if stored is None or group is None:
            return None
        timeline = next((t for t in group.rounds if t.flow_id == stored.flow_id), None)
        if timeline is None:
            return None
        zone = self.config.group_zone(group)
        session_at = localize(datetime.strptime(stored.session_key, SESSION_KEY_FORMAT), zone)
        return plan_round(self.config, group, timeline, session_at).closes_at

    async def choose(self, telegram_user_id: int, data: str) -> Chosen:
        """A press on Continue, Not this round or Remind me later."""
        parsed = parse(data)
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            catalog = self.translator.for_language(member.language if member else self.config.default_language)
            round_row = await store.round_by_id(parsed[0]) if parsed else None
            participant = await store.participant(round_row.id, member.id) if round_row and member else None
            if parsed is None or member is None or round_row is None:
                return Chosen(catalog.gettext("This button is not valid."), taken=False)
            if not round_row.is_open:
                closed = catalog.gettext("This check-in has closed; answers can no longer be changed.")
                return Chosen(closed, taken=False)
            if participant is None:
                return Chosen(catalog.gettext("This button is not valid."), taken=False)
            if participant.status == "submitted":
                return Chosen(
                    catalog.gettext("Your answers are already submitted. Press “Change my answers” to edit them."),
                    taken=False,
                )
            choice = parsed[1]
            if choice is Choice.CONTINUE:
                await self.rounds.resend_question(round_row, member)
                chosen = Chosen()
            elif choice is Choice.DECLINE:
                await store.decline_round(round_row.id, member.id)
                chosen = Chosen(reply=_declined_text(catalog))
            else:
                chosen = await self._later(round_row, member.id, catalog)
        self.outbox.wake()
        return chosen

    async def _later(self, round_row: RoundRow, member_id: int, catalog: Catalog) -> Chosen:
        group = self.config.groups[round_row.group_id]
        zone = self.config.group_zone(group)
        at = self.config.group_quiet_hours(group).next_allowed(self._now() + self.config.remind_later, zone)
        clock = member_clock(self.config, group, await self.store.member_settings(member_id))
        if clock is not None:
            # The member's own quiet hours and clock: the time is also told on their clock.
            at, zone = clock.quiet.next_allowed(at, clock.zone), clock.zone
        closes = await self.closes_at(round_row)
        if closes is not None and at >= closes:
            text = catalog.gettext(
                "The check-in closes before then, on {time}, so I will not remind you again. You can still answer "
                "until it closes."
            )
            return Chosen(reply=text.format(time=format_moment(closes, zone, catalog.language)), taken=False)
        await self.store.remind_later(round_row.id, member_id, at.timestamp())
        text = catalog.gettext("I will remind you once more on {time}.")
        return Chosen(reply=text.format(time=format_moment(at, zone, catalog.language)))

    async def send_due(self) -> int:
        """Send every reminder a member asked for whose time has come; returns how many went out."""
        now = self._now()
        sent = 0
        async with self.store.transaction() as store:
            for round_id, asked_for, member in await store.due_later_reminders(now.timestamp()):
                await store.clear_remind_at(round_id, member.id)
                round_row = await store.round_by_id(round_id)
                group = self.config.groups.get(round_row.group_id) if round_row else None
                flow = self.config.flows.get(round_row.flow_id) if round_row else None
                if round_row is None or group is None or flow is None:
                    continue
                zone = self.config.group_zone(group)
                allowed = self.config.group_quiet_hours(group).next_allowed(now, zone)
                clock = member_clock(self.config, group, await store.member_settings(member.id))
                if clock is not None:
                    allowed = clock.quiet.next_allowed(allowed, clock.zone)
                if allowed > now:
                    # Quiet hours (perhaps changed since the press): later, never now.
                    await store.remind_later(round_id, member.id, allowed.timestamp())
                    continue
                closes = await self.closes_at(round_row)
                if closes is not None and now >= closes:
                    continue
                catalog = self.translator.for_language(member.language)
                screen = reminder_screen(group, flow.title.get(member.language), round_id, closes, zone, catalog)
                await self.outbox.send(
                    member.telegram_user_id,
                    screen,
                    dedupe=f"remind-later:{round_id}:{member_key(round_row.secret or b'', member.id)}:{asked_for}",
                )
                sent += 1
        if sent:
            self.outbox.wake()
        return sent


def _declined_text(catalog: Catalog) -> str:
    return catalog.gettext(
        "All right: no more reminders for this check-in. Your supervisor sees only how many said “not this round”, "
        "never who. If you change your mind, you can still answer until it closes."
    )
