"""A member's control over their data, end to end: /mydata, /forgetme, /leave; single-use invites; retention."""

from __future__ import annotations

import time

from botsim.server import BotApiSimulator
from checkins.privacy.retention import SECONDS_PER_DAY, purge_expired
from demo import GROUP_ID, SUPERVISOR_ID, join_via_invite
from tests.attacks import allow_replies, leave
from tests.conftest import BotRunner, RunnerFactory
from tests.test_round_e2e import close_and_read_digest, open_round, script, setup_group


async def test_mydata_reports_what_is_stored(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    await members[0].answer(script(0))
    await members[0].submit()
    user = members[0].user
    await user.send_command("mydata")
    report = await user.wait_for_message(lambda m: "stores about you" in m.content)
    assert "Telegram id: 2001" in report.content
    assert "Kotihoidon tiimi" in report.content
    assert "Open check-ins: 1" in report.content
    assert "6 answers in open check-ins are linked to you until the check-in closes" in report.content
    assert "0 answers of closed check-ins stay linked to you" in report.content
    assert "Reminders: on · check-ins not paused" in report.content


async def test_forgetme_erases_the_member_and_their_linkable_answers(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=4)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await member.submit()
    leaver = members[0].user
    await leaver.send_command("forgetme")
    confirm = await leaver.wait_for_message(lambda m: m.has_button("fm:yes"))
    await leaver.press("fm:yes", message_id=confirm.message_id)
    done = await leaver.wait_for_message(lambda m: m.message_id == confirm.message_id and m.edited)
    assert done.content == "Erased: you left 1 group. 6 answers that could still be linked to you were deleted."
    async with bot.services.store.transaction() as store:
        assert await store.member_by_telegram_id(leaver.user_id) is None
    digest = await close_and_read_digest(sim, supervisor)
    assert "member0" not in digest and "member1: a family thanked us" in digest
    # They were asked when the round opened, so they still count among those asked — but not among those answering.
    assert "3 of 4 answered" in digest


async def test_forgetme_can_be_cancelled(sim: BotApiSimulator, bot: BotRunner) -> None:
    _supervisor, members = await setup_group(sim, count=1)
    user = members[0].user
    await user.send_command("forgetme")
    confirm = await user.wait_for_message(lambda m: m.has_button("fm:no"))
    await user.press("fm:no", message_id=confirm.message_id)
    await user.wait_for_message(lambda m: "Nothing was erased" in m.content)
    async with bot.services.store.transaction() as store:
        assert await store.member_by_telegram_id(user.user_id) is not None


async def test_leave_a_group_and_forged_leave_changes_nothing(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=2)
    user = members[0].user
    welcome = user.messages[-1]
    await user.press_data(welcome.message_id, "lv:othergroup")
    await sim.wait_idle()
    assert user.callback_answers[-1].text == "This button is not valid."
    assert user.messages[-1].content == welcome.content
    await user.send_command("leave")
    choice = await user.wait_for_message(lambda m: m.has_button(f"lv:{GROUP_ID}"))
    await user.press(f"lv:{GROUP_ID}", message_id=choice.message_id)
    await user.wait_for_message(lambda m: "You left Kotihoidon tiimi" in m.content)
    await supervisor.send_command("open", GROUP_ID)
    reply = await supervisor.wait_for_message(lambda m: "Round opened" in m.content)
    assert "1 member was asked" in reply.content


async def test_single_use_invite_admits_one_person(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    await make_runner(extra="invites: {single_use: true}\n")
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    await supervisor.send_command("invite", GROUP_ID)
    link = await supervisor.wait_for_message(lambda m: "start=" in m.content)
    token = link.content.split("start=")[1].split()[0]
    first, second = sim.user(2001, "Maija", language_code="en"), sim.user(2002, "Pekka", language_code="en")
    await first.send_command("start", token)
    await first.wait_for_message(lambda m: "Welcome" in m.content)
    await second.send_command("start", token)
    await second.wait_for_message(lambda m: "not valid" in m.content)
    assert join_via_invite  # the usual path (a fresh link per person) is covered by every other test


async def test_retention_unlinks_then_deletes(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await allow_replies(member)
        await member.submit()
    await close_and_read_digest(sim, supervisor)
    store, config = bot.services.store, bot.services.config
    async with store.transaction():
        assert any(row.secret for row in await store.rounds_with_secret()), "reply window keeps the secret"
    now = time.time()
    report = await purge_expired(store, config, now + config.privacy.reply_window_hours * 3600 + 1)
    assert report.rounds_unlinked == 1 and report.answers_deleted == 0
    async with store.transaction():
        tables = await store.dump_tables()
    assert all(row[3] is None for row in tables["answers"]) and tables["answers"]
    report = await purge_expired(store, config, now + config.privacy.retention_days * SECONDS_PER_DAY + 1)
    async with store.transaction():
        assert (await store.dump_tables())["answers"] == []
    assert report.answers_deleted > 0


async def test_the_retention_purge_is_armed_at_start(bot: BotRunner) -> None:
    assert bot.application.job_queue is not None
    [job] = bot.application.job_queue.get_jobs_by_name("retention-purge")
    assert job.next_t is not None


async def test_mydata_after_close_names_only_the_answers_open_to_a_reply(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        if number == 0:
            await allow_replies(member)
        await member.submit()
    await close_and_read_digest(sim, supervisor)
    for member, replyable in ((members[0], 3), (members[1], 0)):
        await member.user.send_command("mydata")
        report = await member.user.wait_for_message(lambda m: "stores about you" in m.content)
        assert "0 answers in open check-ins" in report.content
        assert f"{replyable} answers of closed check-ins stay linked to you" in report.content


async def test_leaving_after_submitting_counts_the_answers_then_erases_the_member(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await member.submit()
    leaver = members[2].user
    await leave(leaver)
    async with bot.services.store.transaction() as store:
        assert await store.member_by_telegram_id(leaver.user_id) is not None, "kept while their submission waits"
    digest = await close_and_read_digest(sim, supervisor)
    assert "3 of 3 answered" in digest and "member2: a family thanked us" in digest
    async with bot.services.store.transaction() as store:
        assert await store.member_by_telegram_id(leaver.user_id) is None
