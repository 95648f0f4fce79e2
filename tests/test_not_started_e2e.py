"""Messages to a person who has not started the bot: Telegram refuses them with 403 "bot can't initiate
conversation"; they wait (bounded in time and number) and go out, in order, after the person's first /start."""

from __future__ import annotations

import asyncio
import time

from botsim.server import BotApiSimulator
from checkins.messages import Screen
from demo import GROUP_ID, SUPERVISOR_ID
from handlers.delivery import HOLD_SECONDS, MAX_HELD_PER_CHAT
from tests.conftest import BotRunner


async def held_count(bot: BotRunner, chat_id: int) -> int:
    async with bot.services.store.transaction() as store:
        return await store.held_count(chat_id)


async def until_held(bot: BotRunner, chat_id: int) -> None:
    """The hold is recorded in the database just after Telegram's 403: look until it is there."""
    async with asyncio.timeout(10):
        while await held_count(bot, chat_id) == 0:  # noqa: ASYNC110 (the database has no event to wait on)
            await asyncio.sleep(0.05)


async def test_a_notice_to_a_supervisor_who_never_started_waits_for_their_start(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    services = bot.services
    services.membership.notice_delay = 0.0
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")  # configured, but has never written to the bot
    token = await services.membership.create_invite(services.config.groups[GROUP_ID])
    member = sim.user(2001, "Maija", language_code="en")
    await member.send_command("start", token)
    await member.wait_for_message(lambda m: "112" in m.content)
    member.block()  # the supervisor is told a count: refused by Telegram, as the supervisor never started the bot
    await until_held(bot, SUPERVISOR_ID)
    await services.outbox.send(SUPERVISOR_ID, Screen("A second notice, queued while the first waits."))
    services.outbox.wake()
    await sim.wait_idle()
    assert not supervisor.messages

    await supervisor.send_command("start")
    notice = await supervisor.wait_for_message(lambda m: "cannot be reached" in m.content, after=0)
    assert notice.content.startswith("1 member of Kotihoidon tiimi cannot be reached")
    second = await supervisor.wait_for_message(lambda m: "second notice" in m.content, after=0)
    assert second.message_id > notice.message_id  # still in the order they were queued
    assert await held_count(bot, SUPERVISOR_ID) == 0


async def test_held_messages_are_bounded_in_number_and_time(sim: BotApiSimulator, bot: BotRunner) -> None:
    services = bot.services
    stranger = 7654321
    user = sim.user(stranger, "Late", language_code="en")  # known to Telegram, but has not started the bot
    async with services.store.transaction() as store:  # queued at once, before the first is tried
        for number in range(MAX_HELD_PER_CHAT + 5):
            await store.enqueue(stranger, "message", {"text": f"message {number}", "keyboard": []})
    services.outbox.wake()
    await until_held(bot, stranger)
    await sim.wait_idle()
    assert await held_count(bot, stranger) == MAX_HELD_PER_CHAT  # the oldest beyond the bound were given up
    async with services.store.transaction() as store:
        assert await store.expire_held(time.time() + HOLD_SECONDS + 1) == MAX_HELD_PER_CHAT
    assert await held_count(bot, stranger) == 0
    await user.send_command("start")
    await user.wait_for_message(lambda m: "invite link" in m.content)
    await sim.wait_idle()
    assert not [m for m in user.messages if m.content.startswith("message ")]
