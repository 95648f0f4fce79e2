"""A member's own settings: language, reminders on or off, and a pause (on leave) until a date or until /resume.

`SettingsService` is what `/settings`, `/language`, `/pause` and `/resume` and the settings buttons call. The settings
message is plain data (`Screen`) with buttons whose callback data starts with `set:`; every press is checked here and
a forged or unknown one changes nothing. Pausing takes the member out of open rounds they have not submitted in (they
then count as paused, not as "did not answer"); resuming, or the pause date coming (`end_expired_pauses`, run by
the schedule timer), brings them into the rounds open now.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from html import escape

from checkins.config.app import AppConfig
from checkins.config.calendars import localize, parse_clock_time
from checkins.config.yamlsource import closest
from checkins.formatting import format_day
from checkins.i18n import LANGUAGES, Catalog, Translator
from checkins.messages import Button, Screen
from checkins.rounds.service import RoundService
from checkins.storage import MemberRow, MemberSettings, Store

PREFIX = "set:"
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
PAUSE_DAYS = (7, 28)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Pressed:
    """What a settings button press shows: the redrawn settings message (or None) and a toast."""

    screen: Screen | None
    toast: str | None = None


class SettingsService:
    def __init__(
        self, config: AppConfig, store: Store, rounds: RoundService, translator: Translator, clock: Callable[[], float]
    ) -> None:
        self.config = config
        self.store = store
        self.rounds = rounds
        self.translator = translator
        self.clock = clock

    async def member(self, telegram_user_id: int) -> MemberRow | None:
        async with self.store.transaction() as store:
            return await store.member_by_telegram_id(telegram_user_id)

    async def settings_screen(self, member: MemberRow) -> Screen:
        async with self.store.transaction() as store:
            settings = await store.member_settings(member.id)
            answering = await self.rounds.answering_in(member)
        screen = self._screen(member, settings)
        if not answering:
            return screen
        # Settings opened in the middle of a check-in: a way back to it.
        catalog = self.translator.for_language(member.language)
        back = Button("← " + catalog.gettext("Back to the check-in"), f"{PREFIX}round")
        return Screen(screen.text, (*screen.keyboard, (back,)))

    def language_screen(self, member: MemberRow) -> Screen:
        catalog = self.translator.for_language(member.language)
        buttons = tuple(Button(name, f"{PREFIX}lang:{code}") for code, name in LANGUAGE_NAMES.items())
        back = Button("← " + catalog.gettext("Back"), f"{PREFIX}main")
        return Screen(escape(catalog.gettext("Choose your language:")), (buttons, (back,)))

    async def press(self, telegram_user_id: int, data: str) -> Pressed:
        member = await self.member(telegram_user_id)
        catalog = self.translator.for_language(member.language if member else self.config.default_language)
        parts = data.removeprefix(PREFIX).split(":")
        if member is None:
            return Pressed(None, catalog.gettext("This button is not valid."))
        match parts:
            case ["lang"]:
                return Pressed(self.language_screen(member))
            case ["main"]:
                pass
            case ["round"]:
                async with self.store.transaction():
                    resent = await self.rounds.resend_open_questions(member)
                self.rounds.outbox.wake()
                return Pressed(
                    None,
                    None
                    if resent
                    else catalog.gettext("Your answers are already submitted. Press “Change my answers” to edit them."),
                )
            case ["lang", code] if code in LANGUAGES:
                member = await self.set_language(member, code)
            case ["rem", ("0" | "1") as flag]:
                async with self.store.transaction() as store:
                    await store.set_reminders(member.id, flag == "1")
            case ["pause", days] if days in ("0", *map(str, PAUSE_DAYS)):
                await self.pause(member, self.clock() + int(days) * SECONDS_PER_DAY if days != "0" else None)
            case ["resume"]:
                await self.resume(member)
            case ["clock", "group"]:
                async with self.store.transaction() as store:
                    await store.set_member_timezone(member.id, None)
                    await store.set_member_quiet_hours(member.id, None, None)
            case _:
                return Pressed(None, catalog.gettext("This button is not valid."))
        return Pressed(await self.settings_screen(member))

    async def set_language(self, member: MemberRow, language: str) -> MemberRow:
        async with self.store.transaction() as store:
            await store.set_language(member.id, language)
            updated = await store.member_by_id(member.id)
        assert updated is not None
        return updated

    def pause_end(self, day: date) -> float | None:
        """A pause "until 5 May" ends when 5 May begins in the deployment's time zone; None if that has passed."""
        end = localize(datetime.combine(day, time(0, 0)), self.config.timezone).timestamp()
        return end if end > self.clock() else None

    async def pause(self, member: MemberRow, until: float | None) -> str:
        """Pause prompts and reminders until `until` (None: until /resume); returns the confirmation."""
        async with self.store.transaction() as store:
            await store.set_pause(member.id, True, until)
            await store.withdraw_from_open_rounds(member.id)
        catalog = self.translator.for_language(member.language)
        if until is None:
            return catalog.gettext(
                "Check-ins are paused until you send /resume. Your supervisor sees only how many are paused."
            )
        return catalog.gettext(
            "Check-ins are paused until {date}. Send /resume to come back earlier. Your supervisor sees only how "
            "many are paused."
        ).format(date=self._day(until, catalog))

    async def resume(self, member: MemberRow) -> str:
        """End a pause; rounds open now are sent at once."""
        async with self.store.transaction() as store:
            if (await store.member_settings(member.id)).is_paused(self.clock()):
                rejoined = await self._end_pause(store, member)
            else:
                rejoined = 0
                await store.set_pause(member.id, False, None)  # clears a pause whose date has passed
        self.rounds.outbox.wake()
        catalog = self.translator.for_language(member.language)
        if rejoined:
            return catalog.gettext("Welcome back! The check-in that is open now follows.")
        return catalog.gettext("Welcome back! You will get the next check-in.")

    async def end_expired_pauses(self) -> int:
        """A pause until a date ends by itself: those members get the rounds open now, as if they sent /resume.
        Called by a timer; returns how many pauses ended."""
        async with self.store.transaction() as store:
            members = await store.members_whose_pause_ended(self.clock())
            for member in members:
                await self._end_pause(store, member)
        if members:
            self.rounds.outbox.wake()
        return len(members)

    async def _end_pause(self, store: Store, member: MemberRow) -> int:
        """Lift the pause, count the member in again where they were counted as paused and send what is open
        (inside the caller's transaction); returns in how many groups a round was sent."""
        await store.set_pause(member.id, False, None)
        for round_id in await store.rounds_to_rejoin(member.id):
            await store.unpause_in_round(round_id)
        rejoined = 0
        for group_id in await store.member_group_ids(member.id):
            if await self.rounds.join_open_round(group_id, member):
                rejoined += 1
        return rejoined

    async def set_quiet_hours(self, member: MemberRow, arguments: list[str]) -> str:
        """`/quiet 22:00 07:00` sets the member's own nightly quiet hours; `/quiet group` goes back to the group's."""
        catalog = self.translator.for_language(member.language)
        if [word.lower() for word in arguments] == ["group"]:
            async with self.store.transaction() as store:
                await store.set_member_quiet_hours(member.id, None, None)
            return catalog.gettext("You now follow the group's quiet hours.")
        usage = catalog.gettext("Usage: /quiet 22:00 07:00 (when your quiet time starts and ends), or /quiet group.")
        if len(arguments) != 2:
            return usage
        try:
            start, end = parse_clock_time(arguments[0]), parse_clock_time(arguments[1])
        except ValueError:
            return usage
        if start == end:
            return catalog.gettext("The start and the end of your quiet hours must differ.")
        async with self.store.transaction() as store:
            await store.set_member_quiet_hours(member.id, f"{start:%H:%M}", f"{end:%H:%M}")
        return catalog.gettext(
            "Your quiet hours are now {start}–{end}: check-in questions and reminders wait until they end, but never "
            "past a check-in's close."
        ).format(start=f"{start:%H:%M}", end=f"{end:%H:%M}")

    async def set_timezone(self, member: MemberRow, arguments: list[str]) -> str:
        """`/timezone Europe/Stockholm` sets the member's own time zone; `/timezone group` goes back to the group's."""
        catalog = self.translator.for_language(member.language)
        if len(arguments) != 1:
            return catalog.gettext("Usage: /timezone Europe/Stockholm, or /timezone group for the group's time zone.")
        name = arguments[0]
        if name.lower() == "group":
            zone_name: str | None = None
        else:
            zone_name = known_zone(name)
            if zone_name is None:
                text = catalog.gettext(
                    "I do not know the time zone “{zone}”. Write it like Europe/Stockholm or America/New_York."
                ).format(zone=name)
                if guess := closest(name, zoneinfo.available_timezones()):
                    text += " " + catalog.gettext("Did you mean {guess}?").format(guess=guess)
                return text
        async with self.store.transaction() as store:
            await store.set_member_timezone(member.id, zone_name)
        if zone_name is None:
            return catalog.gettext("You now follow the group's time zone.")
        return catalog.gettext("Your time zone is now {zone}; your quiet hours count on its clock.").format(
            zone=zone_name
        )

    def _day(self, moment: float, catalog: Catalog) -> str:
        return format_day(datetime.fromtimestamp(moment, self.config.timezone), self.config.timezone, catalog.language)

    def _screen(self, member: MemberRow, settings: MemberSettings) -> Screen:
        catalog = self.translator.for_language(member.language)
        now = self.clock()
        if not settings.is_paused(now):
            pause_state = catalog.gettext("active")
        elif settings.paused_until is None:
            pause_state = catalog.gettext("paused until you resume")
        else:
            pause_state = catalog.gettext("paused until {date}").format(date=self._day(settings.paused_until, catalog))
        title = catalog.gettext("Your settings")
        lines = [
            f"<b>{escape(title)}</b>",
            escape(catalog.gettext("Language: {language}").format(language=LANGUAGE_NAMES[member.language])),
            escape(
                catalog.gettext("Reminders: {state}").format(
                    state=catalog.gettext("on") if settings.reminders else catalog.gettext("off")
                )
            ),
            escape(catalog.gettext("Check-ins: {state}").format(state=pause_state)),
            escape(catalog.gettext("Quiet hours: {hours}").format(hours=_own_quiet_hours(settings, catalog))),
            escape(
                catalog.gettext("Time zone: {zone}").format(zone=settings.timezone or catalog.gettext("the group's"))
            ),
            "",
            "<i>"
            + escape(
                catalog.gettext(
                    "Your own quiet hours and time zone hold check-in questions and reminders until your quiet time "
                    "ends: /quiet 22:00 07:00, /timezone Europe/Stockholm."
                )
            )
            + "</i>",
        ]
        reminders = (
            Button(catalog.gettext("Switch reminders off"), f"{PREFIX}rem:0")
            if settings.reminders
            else Button(catalog.gettext("Switch reminders on"), f"{PREFIX}rem:1")
        )
        if settings.is_paused(now):
            pause_row: tuple[Button, ...] = (Button(catalog.gettext("Resume check-ins"), f"{PREFIX}resume"),)
        else:
            pause_row = (
                *(
                    Button(
                        catalog.ngettext("Pause {count} week", "Pause {count} weeks", d // 7).format(count=d // 7),
                        f"{PREFIX}pause:{d}",
                    )
                    for d in PAUSE_DAYS
                ),
                Button(catalog.gettext("Pause until I resume"), f"{PREFIX}pause:0"),
            )
        keyboard: tuple[tuple[Button, ...], ...] = (
            (Button("🌐 " + catalog.gettext("Language"), f"{PREFIX}lang"),),
            (reminders,),
            pause_row,
        )
        if settings.timezone is not None or settings.quiet_start is not None:
            group_clock = Button(catalog.gettext("Use the group's quiet hours and time zone"), f"{PREFIX}clock:group")
            keyboard = (*keyboard, (group_clock,))
        return Screen("\n".join(lines), keyboard)


def known_zone(name: str) -> str | None:
    """The IANA zone `name` (any letter case), or None."""
    by_lower = {zone.lower(): zone for zone in zoneinfo.available_timezones()}
    return by_lower.get(name.strip().lower())


def _own_quiet_hours(settings: MemberSettings, catalog: Catalog) -> str:
    if settings.quiet_start is None or settings.quiet_end is None:
        return catalog.gettext("the group's")
    return f"{settings.quiet_start}–{settings.quiet_end}"
