"""Attacks by a colleague in the group: their own chat with the bot, and the buttons the bot sent them (whose data
they can copy from anyone who shows them a screen, and change)."""

from __future__ import annotations

from botsim.server import BotApiSimulator
from demo import MEMBERS
from tests.attacks import allow_replies, submitted_round, table
from tests.conftest import BotRunner
from tests.test_replies_e2e import answer_id_of
from tests.test_round_e2e import close_and_read_digest, open_round, script, setup_group


async def test_attack_colleague_forges_another_members_buttons(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    colleague, target = members[0].user, members[1].user
    # The target shows their screen; the colleague presses the same button data in their own chat.
    target_button = next(b.data for b in members[1].current_screen().flat_buttons if b.data.endswith(":v1"))
    await colleague.press_data(members[0].current_screen().message_id, target_button)
    await sim.wait_idle()
    target_id = next(row[0] for row in await table(bot, "members") if row[1] == target.user_id)
    assert [row for row in await table(bot, "drafts") if row[1] == target_id] == []

    # The forged press answered the colleague's own first question, nobody else's: they go on from the second.
    for number, member in enumerate(members):
        await member.answer(script(number)[1:] if member is members[0] else script(number))
        await allow_replies(member)
        await member.submit()
    await close_and_read_digest(sim, supervisor)
    answer_id = await answer_id_of(bot, "member1: a family thanked us")
    await supervisor.press_data(supervisor.messages[-1].message_id, f"rp:{answer_id}")
    await supervisor.wait_for_message(lambda m: "Write your reply" in m.content)
    await supervisor.send_text("Thanks, let's talk about it.")
    delivered = await target.wait_for_message(lambda m: "replied anonymously" in m.content)
    before = len(colleague.callback_answers)
    await colleague.press_data(colleague.messages[-1].message_id, delivered.flat_buttons[0].data)
    await sim.wait_idle()
    assert colleague.callback_answers[before:] and colleague.callback_answers[-1].text == "This button is not valid."


async def test_attack_colleague_mydata_shows_only_themselves(sim: BotApiSimulator, bot: BotRunner) -> None:
    _supervisor, members = await submitted_round(sim, count=3)
    user = members[0].user
    await user.send_command("mydata")
    report = await user.wait_for_message(lambda m: "stores about you" in m.content)
    for uid, first, last, username, _ in MEMBERS[1:3]:
        for trace in (str(uid), first, last, username):
            assert trace is None or trace not in report.content
