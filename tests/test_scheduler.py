"""Carrying out the schedule against a real SQLite store, without Telegram: idempotent under double firing, safe
when the process dies in the middle of a fan-out, reminders only to who has not answered, one digest, one notice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from checkins.config.app import AppConfig
from checkins.digest.service import DigestService
from checkins.i18n import Translator
from checkins.outbox import Outbox
from checkins.privacy.author_tags import member_key
from checkins.rounds.service import RoundService
from checkins.rounds.settings import SettingsService
from checkins.schedule.planning import ScheduleState, due_actions
from checkins.schedule.scheduler import ScheduleService, SkipOutcome
from checkins.storage import Store
from tests.calendars import helsinki, scheduled_config
from tests.conftest import StorageChoice

SESSION = helsinki(2026, 3, 24, 14)  # a Tuesday
TIMELINE = """\
quiet_hours: false
calendar:
  sessions: [2026-03-24 14:00, 2026-04-07 14:00]
rounds:
  - {flow: pre_session, opens: 3d before, reminders: [1d, 2h], closes: 3h before}
"""
SUPERVISOR = 1


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now.timestamp()

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, config: AppConfig, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        translator = Translator.load()
        self.outbox = Outbox(store)
        digests = DigestService(config, store, translator, self.outbox)
        self.rounds = RoundService(config, store, translator, self.outbox, digests, clock)
        self.schedule = ScheduleService(config, store, self.rounds, translator, self.outbox, clock)
        self.settings = SettingsService(config, store, self.rounds, translator, clock)

    async def add_members(self, count: int) -> list[int]:
        ids = []
        async with self.store.transaction() as store:
            for number in range(count):
                member = await store.upsert_member(
                    2000 + number, language="en", first_name=f"M{number}", last_name=None, username=None
                )
                await store.add_membership("g", member.id)
                ids.append(member.id)
        return ids

    async def sent(self) -> list[tuple[int, str, str]]:
        """(chat, dedupe key, text) of every queued message."""
        rows = (await self.store.dump_tables())["outbox"]
        columns = ("id", "chat_id", "kind", "payload", "dedupe_key")
        found = []
        for row in rows:
            item = dict(zip(columns, row[:5], strict=True))
            if item["kind"] == "message":
                found.append((item["chat_id"], item["dedupe_key"] or "", json.loads(item["payload"])["text"]))
        return found

    async def member_key(self, member_id: int) -> str:
        """How the open round's de-duplication keys name this member (never by their id)."""
        async with self.store.transaction() as store:
            round_row = await store.open_round("g")
        assert round_row is not None and round_row.secret is not None
        return member_key(round_row.secret, member_id)

    async def dedupe_keys(self, prefix: str) -> list[str]:
        return sorted(key for _, key, _ in await self.sent() if key.startswith(prefix))


@pytest.fixture
async def harness(tmp_path: Path, storage: StorageChoice) -> AsyncIterator[Harness]:
    config = scheduled_config(tmp_path, TIMELINE)
    harness = Harness(config, await Store.open(storage.target(tmp_path / "k.sqlite3")), Clock(helsinki(2026, 3, 20)))
    yield harness
    await harness.store.close()  # the store of the last "process" a test ran


async def test_a_scheduled_round_opens_reminds_and_closes_once(harness: Harness) -> None:
    await harness.add_members(3)
    assert await harness.schedule.run_due() == []

    harness.clock.set(helsinki(2026, 3, 21, 14, 1))
    assert len(await harness.schedule.run_due()) == 1
    assert len(await harness.dedupe_keys("first:")) == 3
    assert await harness.schedule.run_due() == []

    harness.clock.set(helsinki(2026, 3, 23, 11, 1))
    await harness.schedule.run_due()
    assert len(await harness.dedupe_keys("remind:")) == 3

    harness.clock.set(SESSION.replace(hour=11, minute=1))
    await harness.schedule.run_due()
    digest = [text for chat, key, text in await harness.sent() if chat == SUPERVISOR and key.startswith("digest:")]
    assert len(digest) == 1 and "0 of 3 answered" in digest[0]
    assert await harness.schedule.run_due() == []


async def test_a_job_firing_twice_at_once_sends_everything_once(harness: Harness) -> None:
    await harness.add_members(4)
    harness.clock.set(helsinki(2026, 3, 23, 12))  # after the opening and the first reminder
    await asyncio.gather(harness.schedule.run_due(), harness.schedule.run_due(), harness.schedule.run_due())
    assert len(await harness.dedupe_keys("first:")) == 4
    assert len(await harness.dedupe_keys("intro:")) == 4

    # Opened late, after the first reminder's time: the reminder waits the gap after the question, not a second.
    [stored] = (await harness.schedule.load_state()).rounds.values()
    assert stored.reminders_sent == 0
    assert not await harness.dedupe_keys("remind:")
    harness.clock.set(helsinki(2026, 3, 23, 14))
    await asyncio.gather(harness.schedule.run_due(), harness.schedule.run_due())
    [stored] = (await harness.schedule.load_state()).rounds.values()
    assert stored.reminders_sent == 1
    # A stale job still holding the opening it computed before the round existed: a no-op.
    [stale_open] = due_actions(harness.config, ScheduleState(), harness.schedule.now())
    assert await harness.schedule.execute(stale_open) is False
    # A reminder batch carried out twice: the second time does nothing.
    harness.clock.set(helsinki(2026, 3, 24, 10))
    actions = await harness.schedule.run_due()
    assert [type(a).__name__ for a in actions] == ["SendReminders"]
    for action in actions:
        assert await harness.schedule.execute(action) is False
    async with harness.store.transaction() as store:
        rounds = await store.rounds_of_group("g")
    assert len(rounds) == 1
    assert len(await harness.dedupe_keys("remind:")) == 8


async def test_killed_in_the_middle_of_a_fan_out_then_restarted(
    harness: Harness, tmp_path: Path, storage: StorageChoice
) -> None:
    await harness.add_members(5)
    harness.clock.set(helsinki(2026, 3, 22))
    real_send = harness.outbox.send
    calls = 0

    async def dies_after_three(*args: object, **kwargs: object) -> int | None:
        nonlocal calls
        calls += 1
        if calls > 6:  # intro and first question for three members, then the process "dies"
            raise asyncio.CancelledError
        return await real_send(*args, **kwargs)  # type: ignore[arg-type]

    harness.outbox.send = dies_after_three  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await harness.schedule.run_due()
    assert await harness.sent() == []  # the half-done opening was never committed
    await harness.store.close()

    # The restarted process opens the round again, from scratch: every member is asked exactly once.
    restarted = Harness(harness.config, await Store.open(storage.target(tmp_path / "k.sqlite3")), harness.clock)
    harness.store = restarted.store
    assert len(await restarted.schedule.run_due()) == 1
    assert await restarted.schedule.run_due() == []
    firsts = await restarted.dedupe_keys("first:")
    assert len(firsts) == len(set(firsts)) == 5


async def test_reminders_skip_submitted_paused_and_opted_out_members(harness: Harness) -> None:
    submitted, paused, opted_out, waiting = await harness.add_members(4)
    harness.clock.set(helsinki(2026, 3, 22))
    await harness.schedule.run_due()
    async with harness.store.transaction() as store:
        [round_row] = await store.open_rounds_of_group("g")
        await store.save_progress(
            round_row.id,
            submitted,
            status="submitted",
            cursor=0,
            editing_one=False,
            multi_selection=(),
            prompt_outbox_id=None,
        )
        await store.set_reminders(opted_out, False)
        member = await store.member_by_id(paused)
    assert member is not None
    await harness.settings.pause(member, None)

    harness.clock.set(helsinki(2026, 3, 24, 10))  # both reminders missed: one batch
    await harness.schedule.run_due()
    reminded = await harness.dedupe_keys("remind:")
    assert round_row.secret is not None
    assert reminded == [f"remind:{round_row.id}:2:{member_key(round_row.secret, waiting)}"]

    harness.clock.set(helsinki(2026, 3, 24, 11, 30))
    await harness.schedule.run_due()
    [digest] = [text for _, key, text in await harness.sent() if key.startswith("digest:")]
    # The member who paused mid-round counts as paused, not as someone who did not answer.
    assert "1 of 3 answered" in digest
    assert "1 member was on a pause and was not asked." in digest


async def test_paused_members_are_not_asked_and_resume_brings_them_in(harness: Harness) -> None:
    first, second = await harness.add_members(2)
    async with harness.store.transaction() as store:
        member = await store.member_by_id(second)
    assert member is not None
    await harness.settings.pause(member, harness.settings.pause_end(helsinki(2026, 5, 1).date()))
    harness.clock.set(helsinki(2026, 3, 22))
    await harness.schedule.run_due()
    first_key = await harness.member_key(first)
    assert await harness.dedupe_keys("first:") != [] and all(
        k.endswith(f":{first_key}") for k in await harness.dedupe_keys("first:")
    )
    assert "The check-in that is open now follows." in await harness.settings.resume(member)
    assert len(await harness.dedupe_keys("first:")) == 2


async def test_an_unskipped_session_opens_its_round_even_when_its_time_has_come(harness: Harness) -> None:
    await harness.add_members(2)
    group = harness.config.groups["g"]
    assert (await harness.schedule.skip(group, SESSION.date(), undo=True)).outcome is SkipOutcome.NOT_SKIPPED
    assert (await harness.schedule.skip(group, SESSION.date())).outcome is SkipOutcome.SKIPPED
    harness.clock.set(helsinki(2026, 3, 22))
    assert await harness.schedule.run_due() == []
    assert (await harness.schedule.skip(group, SESSION.date(), undo=True)).outcome is SkipOutcome.UNSKIPPED
    assert [type(a).__name__ for a in await harness.schedule.run_due()] == ["OpenRound"]
    harness.clock.set(SESSION)
    assert (await harness.schedule.skip(group, SESSION.date(), undo=True)).outcome is SkipOutcome.PAST


async def test_a_pause_that_runs_out_brings_the_member_into_the_open_round(harness: Harness) -> None:
    first, second = await harness.add_members(2)
    async with harness.store.transaction() as store:
        member = await store.member_by_id(second)
    assert member is not None
    await harness.settings.pause(member, harness.settings.pause_end(helsinki(2026, 3, 23).date()))
    harness.clock.set(helsinki(2026, 3, 22))
    await harness.schedule.run_due()
    assert await harness.settings.end_expired_pauses() == 0  # still paused: not asked
    first_key = await harness.member_key(first)
    assert all(key.endswith(f":{first_key}") for key in await harness.dedupe_keys("first:"))
    harness.clock.set(helsinki(2026, 3, 23, 0, 5))
    assert await harness.settings.end_expired_pauses() == 1
    assert len(await harness.dedupe_keys("first:")) == 2
    assert await harness.settings.end_expired_pauses() == 0
    async with harness.store.transaction() as store:
        assert not (await store.member_settings(second)).paused


async def test_downtime_across_the_close_closes_and_sends_the_digest(harness: Harness) -> None:
    await harness.add_members(2)
    harness.clock.set(helsinki(2026, 3, 22))
    await harness.schedule.run_due()
    harness.clock.set(helsinki(2026, 4, 5, 9))  # down for two weeks: the next round is under way too
    actions = await harness.schedule.run_due()
    assert sorted(type(a).__name__ for a in actions) == ["CalendarEnding", "CloseRound", "OpenRound"]
    assert len(await harness.dedupe_keys("digest:")) == 1


async def test_skip_and_the_calendar_end_notice(harness: Harness) -> None:
    await harness.add_members(2)
    group = harness.config.groups["g"]
    assert (await harness.schedule.skip(group, SESSION.date())).outcome is SkipOutcome.SKIPPED
    assert (await harness.schedule.skip(group, SESSION.date())).outcome is SkipOutcome.ALREADY_SKIPPED
    assert (await harness.schedule.skip(group, helsinki(2026, 3, 25).date())).outcome is SkipOutcome.NO_SESSION
    harness.clock.set(helsinki(2026, 3, 22))
    assert await harness.schedule.run_due() == []

    harness.clock.set(helsinki(2026, 3, 31, 14))  # a week before the last session
    actions = await harness.schedule.run_due()
    assert [type(a).__name__ for a in actions] == ["CalendarEnding"]
    [(chat, _, text)] = [m for m in await harness.sent() if m[1].startswith("calendar-end:")]
    assert chat == SUPERVISOR and "Tue, Apr 7, 2026" in text
    harness.clock.set(helsinki(2026, 4, 4, 14, 1))
    assert [type(a).__name__ for a in await harness.schedule.run_due()] == ["OpenRound"]


async def test_a_round_missed_during_downtime_is_reported_once(harness: Harness) -> None:
    await harness.add_members(2)
    assert await harness.schedule.run_due() == []  # the timer has looked at the calendar up to 20 March
    harness.clock.set(helsinki(2026, 3, 24, 12))  # down from before the opening until after the close
    actions = await harness.schedule.run_due()
    assert [type(a).__name__ for a in actions] == ["ReportMissed"]
    [(chat, key, text)] = [sent for sent in await harness.sent() if sent[1].startswith("missed:")]
    assert chat == SUPERVISOR and key == "missed:g:2026-03-24T14:00:pre_session"
    assert "did not open" in text and "Tue, Mar 24, 2026" in text
    assert await harness.schedule.run_due() == []
    await harness.schedule.run_due()
    assert len(await harness.dedupe_keys("missed:")) == 1
    async with harness.store.transaction() as store:
        assert await store.rounds_of_group("g") == []


async def test_a_new_database_reports_no_old_sessions_as_missed(harness: Harness) -> None:
    harness.clock.set(helsinki(2026, 4, 7, 12))  # first start ever, after a session's round
    assert [type(a).__name__ for a in await harness.schedule.run_due()] == ["CalendarEnding"]


async def test_a_skipped_session_is_not_reported_missed(harness: Harness) -> None:
    await harness.schedule.run_due()
    assert (await harness.schedule.skip(harness.config.groups["g"], SESSION.date())).outcome is SkipOutcome.SKIPPED
    harness.clock.set(helsinki(2026, 3, 24, 12))
    assert await harness.schedule.run_due() == []


async def test_a_members_own_quiet_hours_and_zone_hold_their_question_and_reminders(harness: Harness) -> None:
    first, abroad = await harness.add_members(2)
    async with harness.store.transaction() as store:
        await store.set_member_timezone(abroad, "America/New_York")
        await store.set_member_quiet_hours(abroad, "21:00", "09:00")
    # The round opens on Saturday 14:00 in Helsinki: 08:00 in New York, still quiet for that member.
    harness.clock.set(helsinki(2026, 3, 21, 14, 1))
    await harness.schedule.run_due()
    opened = await round_id(harness)
    async with harness.store.transaction() as store:
        secret = (await store.round_by_id(opened)).secret
    # Only the member at home is asked now (de-dup keys name members under the round's secret).
    assert await harness.dedupe_keys("first:") == [f"first:{opened}:{member_key(secret, first)}"]
    assert await harness.schedule.seconds_until_next() == 59 * 60  # 09:00 in New York
    harness.clock.set(helsinki(2026, 3, 21, 15))
    await harness.schedule.run_due()
    await harness.schedule.run_due()
    assert len(await harness.dedupe_keys("first:")) == 2

    # Monday 11:00 here is 05:00 there: held until 09:00 there. Tuesday 09:00 here is 03:00 there, and 09:00 there
    # is past the close: that reminder is left out for them.
    harness.clock.set(helsinki(2026, 3, 23, 11, 1))
    await harness.schedule.run_due()
    assert [key.rsplit(":", 1)[1] for key in await harness.dedupe_keys("remind:")] == [member_key(secret, first)]
    harness.clock.set(helsinki(2026, 3, 23, 15))
    await harness.schedule.run_due()
    assert len(await harness.dedupe_keys("remind:")) == 2
    harness.clock.set(helsinki(2026, 3, 24, 9, 1))
    await harness.schedule.run_due()
    harness.clock.set(helsinki(2026, 3, 24, 10, 59))
    await harness.schedule.run_due()
    remind_keys = await harness.dedupe_keys("remind:")
    expected = [member_key(secret, first), member_key(secret, first), member_key(secret, abroad)]
    assert sorted(key.rsplit(":", 1)[1] for key in remind_keys) == sorted(expected)

    # Whose messages waited for their own quiet hours says who set them: nothing of it outlives the close.
    assert (await harness.store.dump_tables())["held_messages"]
    harness.clock.set(helsinki(2026, 3, 24, 11, 1))
    await harness.schedule.run_due()
    async with harness.store.transaction() as store:
        assert (await store.round_by_id(opened)).state == "closed"
    assert (await harness.store.dump_tables())["held_messages"] == []


async def round_id(harness: Harness) -> str:
    [stored] = (await harness.schedule.load_state()).rounds.values()
    return stored.round_id


async def test_schedule_says_when_a_reminder_is_left_out(tmp_path: Path, storage: StorageChoice) -> None:
    config = scheduled_config(
        tmp_path,
        """\
        quiet_hours: {start: "21:00", end: "08:00"}
        calendar: {sessions: [2026-03-24 10:00]}
        rounds:
          - {flow: pre_session, opens: 3h before, reminders: [30m], closes: 1h before}
        """,
    )
    store = await Store.open(storage.target(tmp_path / "k.sqlite3"))
    try:
        harness = Harness(config, store, Clock(helsinki(2026, 3, 20)))
        overview = await harness.schedule.overview(config.groups["g"], "en")
    finally:
        await store.close()
    assert "opens Tue, Mar 24, 2026 8:00\u202fAM" in overview
    assert "1 reminder left out: no room for it between the opening and the close" in overview
