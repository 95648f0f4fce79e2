"""Confidentiality properties, end to end: what a database reader, the supervisor and the logs can see."""

from __future__ import annotations

import logging

import pytest

from bot import quiet_libraries
from botsim.server import BotApiSimulator
from demo import GROUP_ID, MEMBERS
from tests.conftest import BotRunner, RunnerFactory
from tests.test_round_e2e import close_and_read_digest, file_text, open_round, script, setup_group

NO_REPLY_WINDOW = "privacy: {reply_window_hours: 0}\n"


def identities(runner: BotRunner) -> set[str]:
    return {str(uid) for uid, *_ in MEMBERS} | {n for _, *names, _ in MEMBERS for n in names if n}


async def test_after_close_no_table_links_an_answer_to_a_member(
    sim: BotApiSimulator, make_runner: RunnerFactory
) -> None:
    runner = await make_runner(extra=NO_REPLY_WINDOW)
    supervisor, members = await setup_group(sim, count=4)
    await open_round(supervisor, members)
    for number, member in enumerate(members[:3]):
        await member.answer(script(number))
        await member.submit()
    await members[3].answer(script(3)[:2])  # a draft that is never submitted
    await close_and_read_digest(sim, supervisor)

    async with runner.services.store.transaction() as store:
        tables = await store.dump_tables()
    assert tables["participants"] == [] and tables["drafts"] == []
    assert all(row[7] is None for row in tables["rounds"]), "the round secret must be destroyed"
    answers = tables["answers"]
    assert len(answers) > 10
    member_ids = {row[0] for row in tables["members"]}
    for answer_id, _round_id, _question, author_tag, value, private, kept in answers:
        assert author_tag is None and private == 0 and kept is None
        assert not any(identity in value for identity in identities(runner))
        assert answer_id not in {str(member_id) for member_id in member_ids}
    # Random ids: storage order says nothing about who answered when.
    assert [row[0] for row in answers] == sorted(row[0] for row in answers)
    assert "member3" not in str(answers), "an unsubmitted draft must not survive the close"


async def test_private_answer_stays_with_its_author(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=4)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
    keeper = members[0]
    await keeper.act("P")
    review = await keeper.act("p1")  # the second question: "member0: a family thanked us"
    assert "🔒" in review.content
    for member in members:
        await member.submit()
    own_record = next(m for m in reversed(keeper.user.messages) if "member0: a family thanked us" in m.content)
    # The member's record of what they submitted, with the thanks and only "Change my answers" under it.
    assert "🔒" in own_record.content and [b.data[-2:] for b in own_record.flat_buttons] == [":R"]
    digest = await close_and_read_digest(sim, supervisor)
    assert "member0: a family thanked us" not in digest
    assert "member1: a family thanked us" in digest and "member3: a family thanked us" in digest
    assert "member0: too few substitutes" in digest
    # With the private answer left out, that question has 3 answers; the others have 4.
    assert digest.count("3 answers") >= 1


async def test_member_sees_the_scrubbed_text_before_submitting(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    steps = script(0)
    steps[1] = "text:Pekalle kiitos, soita 040 123 4567"
    review = await members[0].answer(steps)
    assert "your supervisor sees: [name] kiitos, soita [phone number]" in review.content


async def test_logs_hold_no_answer_text_names_or_token(
    sim: BotApiSimulator, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_libraries()  # as `python bot.py` does; everything else, our own modules included, logs at DEBUG
    caplog.set_level(logging.DEBUG)
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await member.submit()
    await close_and_read_digest(sim, supervisor)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert len(caplog.records) > 20, "the test must actually capture the bot's logging"
    assert sim.token not in logged
    for secret in ("a family thanked us", "too few substitutes", *identities(bot)):
        assert secret not in logged, secret


async def test_a_digest_sent_again_keeps_out_a_colleague_who_has_left(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        steps = script(number)
        if number == 0:
            steps[1] = "text:Pekka Virtasen kanssa sujui hyvin"
        await member.answer(steps)
        await member.submit()
    first = await close_and_read_digest(sim, supervisor)
    assert "kanssa sujui hyvin" in first and "Pekka" not in first and "Virtas" not in first

    pekka = members[1].user  # leaves; the group no longer knows his name
    await pekka.send_command("leave")
    choice = await pekka.wait_for_message(lambda m: m.has_button(f"lv:{GROUP_ID}"))
    await pekka.press(f"lv:{GROUP_ID}", message_id=choice.message_id)
    await pekka.wait_for_message(lambda m: "You left" in m.content)
    before = len(supervisor.messages)
    await supervisor.send_command("digest", f"{GROUP_ID} 1")
    await supervisor.wait_for_message(lambda m: "answered" in m.content)
    await sim.wait_idle(timeout=10)
    again = "\n".join(file_text(sim, m) if m.document else m.content for m in supervisor.messages[before:])
    assert "kanssa sujui hyvin" in again and "Pekka" not in again and "Virtas" not in again
