"""Anonymous replies end to end: supervisor → author and back once, nobody learning who is who."""

from __future__ import annotations

import time

from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.privacy.retention import purge_expired
from tests.attacks import allow_replies, table
from tests.conftest import BotRunner
from tests.test_round_e2e import close_and_read_digest, open_round, script, setup_group


async def answer_id_of(bot: BotRunner, text: str) -> str:
    async with bot.services.store.transaction() as store:
        rows = (await store.dump_tables())["answers"]
    return next(row[0] for row in rows if text in row[4])


async def toast(sim: BotApiSimulator, user: SimUser, data: str) -> str | None:
    before = len(user.callback_answers)
    await user.press_data(user.messages[-1].message_id, data)
    await sim.wait_idle()
    assert len(user.callback_answers) == before + 1
    return user.callback_answers[-1].text


async def test_reply_reaches_the_author_and_one_answer_comes_back(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await allow_replies(member)
        await member.submit()
    await close_and_read_digest(sim, supervisor)
    answer_id = await answer_id_of(bot, "member1: a family thanked us")
    counts = [len(m.user.messages) for m in members]

    assert await toast(sim, supervisor, f"rp:{answer_id}") == "Write your reply as a message."
    await supervisor.send_text("Thank you — shall we start with this?")
    await supervisor.wait_for_message(lambda m: "Your reply is on its way" in m.content)
    author = members[1].user
    delivered = await author.wait_for_message(lambda m: "replied anonymously" in m.content)
    assert "Thank you — shall we start with this?" in delivered.content
    assert "member1: a family thanked us" in delivered.content
    assert [len(m.user.messages) for m in (members[0], members[2])] == [counts[0], counts[2]]

    assert await toast(sim, members[0].user, f"ra:{delivered.flat_buttons[0].data[3:]}") == "This button is not valid."
    await author.press(delivered.flat_buttons[0].data, message_id=delivered.message_id)
    await sim.wait_idle()
    assert author.callback_answers[-1].text == "Write your answer as one message."
    await author.send_text("Yes please, Maija knows about it too")
    answered = await supervisor.wait_for_message(lambda m: "answered anonymously" in m.content)
    assert "Yes please, [name] knows about it too" in answered.content
    assert "Maija" not in answered.content and "2002" not in answered.content

    assert await toast(sim, author, delivered.flat_buttons[0].data) == "You have already answered."
    assert await toast(sim, supervisor, f"rp:{answer_id}") == "You have already replied to this answer."


async def test_reply_refused_to_others_and_after_the_window(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await allow_replies(member)
        await member.submit()
    assert not await table(bot, "answers"), "answers reach the answers table only at close"
    await close_and_read_digest(sim, supervisor)
    answer_id = await answer_id_of(bot, "member0: a family thanked us")
    assert await toast(sim, members[2].user, f"rp:{answer_id}") == "This button is not valid."
    assert await toast(sim, supervisor, "rp:0123456789abcdef") == "This button is not valid."
    config = bot.services.config
    await purge_expired(bot.services.store, config, time.time() + config.privacy.reply_window_hours * 3600 + 1)
    assert await toast(sim, supervisor, f"rp:{answer_id}") == "The time for anonymous replies to this round has ended."


async def test_reply_starts_from_the_digest(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await allow_replies(member)
        await member.submit()
    await close_and_read_digest(sim, supervisor)
    digest = next(m for m in supervisor.messages if m.has_button("↩ Reply to an answer anonymously"))
    await supervisor.press("↩ Reply to an answer anonymously", message_id=digest.message_id)
    listing = await supervisor.wait_for_message(lambda m: "member2: a family thanked us" in m.content)
    assert "What has gone well or felt like a success?" in listing.content
    number = next(line.split(".")[0] for line in listing.content.splitlines() if "member2: a family thanked us" in line)
    await supervisor.press(f"↩ {number}", message_id=listing.message_id)
    await supervisor.wait_for_message(lambda m: "Write your reply" in m.content)
    await supervisor.send_text("Thanks — let's start there.")
    reply = await members[2].user.wait_for_message(lambda m: "replied anonymously" in m.content)
    assert "Thanks — let's start there." in reply.content
    await sim.wait_idle()
    for other in (members[0], members[1]):
        assert not [m for m in other.user.messages if "replied anonymously" in m.content]
