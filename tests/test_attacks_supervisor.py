"""Attacks by a curious supervisor (and by a colleague with the invite link), end to end against the real bot.

The supervisor holds every digest, can re-send any of them, sees /groups and /rounds at any moment, can reply to
answers, has the invite link and spare Telegram accounts, and knows who is on leave. Each test plays one attack as
written in PRIVACY.md's threat model and asserts that it learns nothing it should not.
"""

from __future__ import annotations

from pathlib import Path

from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.app import load_config
from demo import GROUP_ID, INVITE_LINK, MEMBERS, SUPERVISOR_ID, MemberDriver, join_via_invite, write_demo_config
from tests.attacks import allow_replies, authored_texts, forget_me, leave, received_after, resend, submitted_round
from tests.conftest import BotRunner, RunnerFactory
from tests.test_round_e2e import close_and_read_digest, open_round, script, setup_group


async def test_attack_differencing_a_resent_digest_after_forgetme(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await submitted_round(sim, count=4)
    before = authored_texts(await close_and_read_digest(sim, supervisor))
    assert len(before) == 12
    await forget_me(members[0].user)
    after = authored_texts(await resend(sim, supervisor))
    assert before - after == set(), "the texts missing from the re-sent digest are the leaver's"


async def test_attack_differencing_a_resent_digest_after_leave(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await submitted_round(sim, count=4)
    before = authored_texts(await close_and_read_digest(sim, supervisor))
    await leave(members[2].user)
    after = authored_texts(await resend(sim, supervisor))
    assert after == before


async def test_attack_differencing_the_stats_after_leave_and_rejoin(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await submitted_round(sim, count=3)
    first = await close_and_read_digest(sim, supervisor)
    await leave(members[1].user)
    await join_via_invite(members[1].user, supervisor)
    again = await resend(sim, supervisor)
    # Everything but the per-send dedupe and the reply button's state is the same digest.
    assert "3 of 3 answered" in first and "3 of 3 answered" in again
    assert authored_texts(first) == authored_texts(again)


async def test_attack_reply_oracle_after_someone_left(sim: BotApiSimulator, bot: BotRunner) -> None:
    """Reply to every answer after a member left the group: if the bot answers differently for the leaver's answers
    ("can no longer be reached"), the supervisor knows which were theirs."""
    supervisor, members = await submitted_round(sim, count=3, replies=True)
    await close_and_read_digest(sim, supervisor)
    await leave(members[0].user)
    digest = next(m for m in reversed(supervisor.messages) if any(b.data.startswith("rl:") for b in m.flat_buttons))
    await supervisor.press(digest.flat_buttons[0].data, message_id=digest.message_id)
    await sim.wait_idle()
    listings = [m for m in supervisor.messages if any(b.data.startswith("rp:") for b in m.flat_buttons)]
    assert listings
    answers: dict[str, str] = {}
    for listing in listings:
        lines = [line for line in listing.content.splitlines() if line[:1].isdigit()]
        for line, button in zip(lines, listing.flat_buttons, strict=True):
            await supervisor.press(button.data, message_id=listing.message_id)
            await supervisor.wait_for_message(lambda m: "Write your reply" in m.content)
            before = len(supervisor.messages)
            await supervisor.send_text("Thank you, shall we talk about this?")
            await sim.wait_idle()
            answers[line] = "\n".join(m.content for m in supervisor.messages[before:])
    assert len(answers) == 9
    assert len(set(answers.values())) == 1, "the bot's answer tells the leaver's answers apart"


async def test_attack_loosening_thresholds_then_resending(sim: BotApiSimulator, make_runner: RunnerFactory,
                                                         tmp_path: Path) -> None:  # fmt: skip
    """Texts hidden at close ("too few") must not appear when the supervisor lowers text_min_responses and re-sends."""
    strict = write_demo_config(tmp_path, language="en", min_responses=2)
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text().replace("min_responses: 2", "min_responses: 2\n    text_min_responses: 3"))
    runner = await make_runner(config=load_config(path))
    supervisor, _members = await submitted_round(sim, count=2)
    first = await close_and_read_digest(sim, supervisor)
    assert authored_texts(first) == set() and "2 of 2 answered" in first
    await runner.stop()
    path.write_text(path.read_text().replace("text_min_responses: 3", "text_min_responses: 2"))
    assert strict.storage_path == load_config(path).storage_path
    await make_runner(config=load_config(path))
    assert authored_texts(await resend(sim, supervisor)) == set(), "a looser threshold revealed hidden texts"


async def test_attack_supervisor_pads_the_group_with_their_own_account(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, _members = await setup_group(sim, count=2)
    await join_via_invite_as_supervisor(sim, supervisor)
    async with bot.services.store.transaction() as store:
        members = await store.group_members(GROUP_ID)
    assert SUPERVISOR_ID not in {m.telegram_user_id for m in members}, "the supervisor joined their own group"
    assert len(members) == 2


async def join_via_invite_as_supervisor(sim: BotApiSimulator, supervisor: SimUser) -> None:
    await supervisor.send_command("invite", GROUP_ID)
    reply = await supervisor.wait_for_message(lambda m: "start=" in m.content)
    match = INVITE_LINK.search(reply.content)
    assert match
    await supervisor.send_command("start", match.group(1))
    await sim.wait_idle()


async def test_attack_spare_accounts_are_visible_to_members(sim: BotApiSimulator, bot: BotRunner) -> None:
    """The supervisor (or a colleague with the link) adds two spare accounts, so "3 of 3 answered" could be one real
    member: the real member is told at the round's opening how many members the group has."""
    supervisor, members = await setup_group(sim, count=1)
    for uid in (3901, 3902):
        await join_via_invite(sim.user(uid, f"Spare{uid}", None, None, language_code="en"), supervisor)
    await open_round(supervisor, members)
    intro = "\n".join(m.content for m in members[0].user.messages)
    assert "This group has 3 members" in intro


async def test_attack_individual_mode_switched_on_for_a_group(sim: BotApiSimulator, make_runner: RunnerFactory,
                                                             tmp_path: Path) -> None:  # fmt: skip
    """A group whose members joined under anonymity is switched to `mode: individual`: the bot must refuse to start
    (one file:line message), never send an attributed digest."""
    config = write_demo_config(tmp_path, language="en", min_responses=2)
    runner = await make_runner(config=config)
    await setup_group(sim, count=2)
    await runner.stop()
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text().replace("min_responses: 2", "min_responses: 2\n    mode: individual"))
    switched = load_config(path)
    problem = ""
    try:
        await make_runner(config=switched)
    except Exception as error:
        problem = str(error)
    assert "config.yaml:" in problem and "individual" in problem


async def test_attack_individual_digest_without_the_members_consent(sim: BotApiSimulator, make_runner: RunnerFactory,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    """One member joined an ordinary group (no consent to attributed answers); the config is switched to individual:
    the digest must not show their name next to their answers."""
    config = write_demo_config(tmp_path, language="en", min_responses=2)
    runner = await make_runner(config=config)
    supervisor, members = await setup_group(sim, count=1)
    await runner.stop()
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text().replace("min_responses: 2", "min_responses: 2\n    mode: individual"))
    await make_runner(config=load_config(path))
    await open_round(supervisor, members)
    await members[0].answer(script(0))
    await members[0].submit()
    before = len(supervisor.messages)
    await supervisor.send_command("close", GROUP_ID)
    await sim.wait_idle(timeout=10)
    digest = await received_after(sim, supervisor, before)
    name = f"{MEMBERS[0][1]} {MEMBERS[0][2]}"
    assert not (name in digest and "member0: a family thanked us" in digest), "attributed without consent"


async def test_attack_members_count_drop_in_groups_is_not_tied_to_texts(sim: BotApiSimulator, bot: BotRunner) -> None:
    """/groups before and after someone left, then /rounds and /digest: no view changes what the closed round shows."""
    supervisor, members = await submitted_round(sim, count=3)
    await close_and_read_digest(sim, supervisor)
    views = []
    for step in (None, members[1]):
        if isinstance(step, MemberDriver):
            await leave(step.user)
        before = len(supervisor.messages)
        await supervisor.send_command("rounds", GROUP_ID)
        await supervisor.wait_for_message(lambda m: "Rounds of" in m.content)
        views.append(await received_after(sim, supervisor, before) + await resend(sim, supervisor))
    assert authored_texts(views[0]) == authored_texts(views[1])
    assert "3 of 3 answered" in views[1]


async def test_attack_loosening_thresholds_then_listing_replies(sim: BotApiSimulator, make_runner: RunnerFactory,
                                                               tmp_path: Path) -> None:  # fmt: skip
    """A question hidden at close ("too few") must stay hidden from the reply list after the threshold is lowered."""
    write_demo_config(tmp_path, language="en", min_responses=2)
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text().replace("min_responses: 2", "min_responses: 2\n    text_min_responses: 3"))
    runner = await make_runner(config=load_config(path))
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        # The third member skips the last written question, so it has two answers: too few at close.
        await member.answer(script(number) if number < 2 else [*script(number)[:3], "k"])
        await allow_replies(member)
        await member.submit()
    digest = await close_and_read_digest(sim, supervisor)
    assert "member0: how to cope with long runs" not in digest and "member0: a family thanked us" in digest
    await runner.stop()
    path.write_text(path.read_text().replace("text_min_responses: 3", "text_min_responses: 2"))
    await make_runner(config=load_config(path))
    message = next(m for m in supervisor.messages if any(b.data.startswith("rl:") for b in m.flat_buttons))
    before = len(supervisor.messages)
    await supervisor.press(message.flat_buttons[0].data, message_id=message.message_id)
    await sim.wait_idle()
    listed = "\n".join(m.content for m in supervisor.messages[before:])
    assert "a family thanked us" in listed
    assert "how to cope with long runs" not in listed, "a looser threshold revealed hidden texts in the reply list"
