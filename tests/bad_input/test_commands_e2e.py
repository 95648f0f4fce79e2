"""Bad commands: a supervisor's commands from someone else, a supervisor's own mistakes, group chats, /start without
a valid invite, unknown commands, strangers and other bots' commands — each answered in the sender's language,
without naming a group they are not in."""

from __future__ import annotations

import asyncio
from pathlib import Path

from botsim.server import BotApiSimulator
from botsim.users import SimGroupChat, SimUser
from demo import GROUP_ID, MemberDriver
from tests.bad_input.helpers import (
    BOT_USERNAME,
    GROUP_NAME,
    INVALID_INVITE,
    ONLY_SUPERVISORS,
    OTHER_GROUP_ID,
    OTHER_GROUP_NAME,
    OTHER_SUPERVISOR_ID,
    UNKNOWN_COMMAND,
    assert_digest,
    classic_config,
    command_reply,
    complete,
    data_of,
    group_in_round,
    invite_token,
    join,
    open_round,
    reply_to,
    settle,
    start_supervisor,
    toast,
)
from tests.conftest import BotRunner, RunnerFactory
from tests.test_round_e2e import close_and_read_digest

# --- 7. supervisor commands from someone else ----------------------------------------------------------------------


async def test_non_supervisor_commands_are_refused_without_naming_the_group(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    supervisor = await start_supervisor(sim)
    token = await invite_token(supervisor)
    member = sim.user(2001, "Aino", language_code="en")
    await member.send_command("start", token)
    await member.wait_for_message(lambda m: "112" in m.content)
    stranger = sim.user(3001, "Stranger", language_code="en")

    async def refused(user: SimUser, command: str, args: str = GROUP_ID) -> None:
        reply = await command_reply(user, command, args)
        assert reply == ONLY_SUPERVISORS, (command, args, reply)
        assert GROUP_ID not in reply and GROUP_NAME not in reply

    for user in (member, stranger):
        for command in ("open", "close", "invite", "revoke"):
            await refused(user, command)
            await refused(user, command, "")
    await settle(sim)

    # Nothing happened: no round was opened or closed, the invite link was not withdrawn.
    opened = await command_reply(supervisor, "open", GROUP_ID)
    assert opened == f"Round opened for {GROUP_NAME}: 1 member was asked. Close it with /close {GROUP_ID}."
    driver = MemberDriver(member)
    await driver.screen()
    await refused(member, "close")
    await refused(member, "revoke")
    late = sim.user(2002, "Bertta", language_code="en")
    await late.send_command("start", token)
    await late.wait_for_message(lambda m: "112" in m.content)
    await MemberDriver(late).screen()  # the link still works and the round is still open
    assert "Question 2 ·" in (await driver.act("v4")).content


# --- 8. supervisor mistakes ----------------------------------------------------------------------------------------


async def test_unknown_group_lists_only_the_supervisors_own_groups(sim: BotApiSimulator, two_groups: BotRunner) -> None:
    supervisor = await start_supervisor(sim)
    other_supervisor = await start_supervisor(sim, OTHER_SUPERVISOR_ID)
    other_token = await invite_token(other_supervisor, OTHER_GROUP_ID)

    for command in ("open", "close", "invite", "revoke"):
        for requested in ("nope", OTHER_GROUP_ID):
            reply = await command_reply(supervisor, command, requested)
            assert reply == f"You have no group called “{requested}”. Your groups: {GROUP_ID}", reply
            assert OTHER_GROUP_NAME not in reply and "start=" not in reply

    # The other supervisor's group was not touched: its link still works and it has no round yet.
    c = sim.user(2003, "Ceelia", language_code="en")
    await c.send_command("start", other_token)
    await c.wait_for_message(lambda m: "112" in m.content)
    assert await command_reply(other_supervisor, "close", OTHER_GROUP_ID) == f"{OTHER_GROUP_NAME} has no open round."


async def test_open_and_close_at_the_wrong_moment_are_explained(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor = await start_supervisor(sim)
    assert await command_reply(supervisor, "close", GROUP_ID) == f"{GROUP_NAME} has no open round."
    assert await command_reply(supervisor, "open", GROUP_ID) == (
        f"{GROUP_NAME} has no members yet. Share an invite link from /invite {GROUP_ID} first."
    )
    a = await join(sim, supervisor, 2001, "Aino")
    await open_round(supervisor, [a])
    events = a.user.event_count
    assert await command_reply(supervisor, "open", GROUP_ID) == (
        f"{GROUP_NAME} already has an open round. Close it first with /close {GROUP_ID}."
    )
    await settle(sim)
    assert a.user.event_count == events  # no second intro or first question
    assert "Question 2 ·" in (await a.act("v4")).content


# --- 9. group chats ------------------------------------------------------------------------------------------------


async def test_group_chat_text_is_ignored_and_commands_point_to_the_private_chat(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    group: SimGroupChat = sim.group_chat(-100123, "Team")
    await a.act("v4")  # A is now on a text question
    a_events = a.user.event_count

    await group.send_text(a.user, "alpha wrote in the group")
    await group.send_text(supervisor, "hello team")
    await settle(sim)
    assert group.messages == []
    assert a.user.event_count == a_events

    pointer = "I work in private chats only, so that answers stay confidential. Open a chat with me: @" + BOT_USERNAME
    for user, command, args in (
        (a.user, f"help@{BOT_USERNAME}", ""),
        (supervisor, f"close@{BOT_USERNAME}", GROUP_ID),
        (supervisor, f"open@{BOT_USERNAME}", GROUP_ID),
    ):
        await group.send_command(user, command, args)
        reply = (await group.wait_for_message()).content
        assert reply == pointer
        assert GROUP_ID not in reply.replace(BOT_USERNAME, "") and GROUP_NAME not in reply
    await settle(sim)
    assert len(group.messages) == 3
    assert a.user.event_count == a_events

    await complete(a, mind="alpha on mind")  # still on the same question; the round is still open
    await complete(b, energy=2, mind="beta on mind")
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha on mind", "beta on mind"])
    assert "wrote in the group" not in digest


# --- 10. /start without a valid token ------------------------------------------------------------------------------


async def test_start_without_a_valid_token_does_not_join(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor = await start_supervisor(sim)
    nobody = sim.user(3001, "Nobody", language_code="en")
    guesser = sim.user(3002, "Guesser", language_code="en")
    late = sim.user(3003, "Late", language_code="en")

    hello = await command_reply(nobody, "start")
    assert hello.startswith("Hello! I run the check-in round")
    assert "open the invite link your supervisor gave you" in hello
    assert await command_reply(guesser, "start", "not-a-real-token") == INVALID_INVITE

    token = await invite_token(supervisor)
    assert await command_reply(supervisor, "revoke", GROUP_ID) == f"1 invite link of {GROUP_NAME} withdrawn."
    assert await command_reply(late, "start", token) == INVALID_INVITE
    assert await command_reply(supervisor, "open", GROUP_ID) == (
        f"{GROUP_NAME} has no members yet. Share an invite link from /invite {GROUP_ID} first."
    )

    # A real member joins; the round reaches only them.
    member = await join(sim, supervisor, 2001, "Aino")
    outsiders = [(user, user.event_count) for user in (nobody, guesser, late)]
    await open_round(supervisor, [member])
    await settle(sim)
    assert supervisor.messages[-1].content.startswith(f"Round opened for {GROUP_NAME}: 1 member was asked.")
    for user, events in outsiders:
        assert user.event_count == events, user


# --- 11. unknown commands ------------------------------------------------------------------------------------------


async def test_unknown_command_is_explained_and_not_taken_as_an_answer(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    await a.act("v4")  # a text question: the command must not become the answer
    question = a.current_screen()
    events = a.user.event_count
    assert await command_reply(a.user, "frobnicate") == UNKNOWN_COMMAND
    assert await command_reply(a.user, "frobnicate", "with words") == UNKNOWN_COMMAND
    await settle(sim)
    assert a.user.event_count == events + 2
    assert a.current_screen().message_id == question.message_id

    await asyncio.gather(complete(a, mind="alpha on mind"), complete(b, energy=2, mind="beta on mind"))
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha on mind", "beta on mind"])
    assert "frobnicate" not in digest


# --- Finnish -------------------------------------------------------------------------------------------------------


async def test_bad_input_is_explained_in_finnish(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    await make_runner(config=classic_config(tmp_path, language="fi"))
    _, (a,) = await group_in_round(sim, count=1, language="fi")
    first = a.current_screen()
    assert "Kysymys 1 ·" in first.content
    stale = data_of(a, "v1")
    events = a.user.event_count
    assert await reply_to(a.user, a.user.send_sticker()) == "Vastaa painikkeilla."
    assert (await reply_to(a.user, a.user.send_text("neljä"))).startswith("En tallentanut viestiäsi ”neljä”")
    await settle(sim)
    assert a.user.event_count == events + 3
    first = a.current_screen()

    question = await a.act("v4")
    assert "Kysymys 2 ·" in question.content
    events = a.user.event_count
    assert await reply_to(a.user, a.user.send_photo()) == (
        "Voin tallentaa vain tekstivastauksia. Kirjoita vastauksesi viestinä."
    )
    assert await toast(sim, a.user, first.message_id, stale) == (
        "Tämä painike ei ole enää käytössä. Käytä uusinta viestiä."
    )
    assert await command_reply(a.user, "tuntematon") == "En tunne tätä komentoa. /help kertoo, mitä osaan."
    assert await reply_to(a.user, a.user.send_text("x" * 1501)) == (
        "Tämä viesti tekisi vastauksestasi pidemmän kuin kysymykseen mahtuu (1500 merkkiä), joten en lisännyt sitä. "
        "Aiemmin kirjoittamasi on tallessa. Lähetä lyhyempi viesti tai paina Seuraava."
    )
    assert await command_reply(a.user, "open", GROUP_ID) == "Tämä komento on vain työnohjaajille."
    await settle(sim)
    assert a.user.event_count == events + 4
    assert a.current_screen().message_id == question.message_id
    assert "Kysymys 3 ·" in (await a.write("Yövuorot ovat raskaita.")).content


# --- People the bot does not know, and other bots' commands ---------------------------------------------------------


async def test_a_stranger_writing_or_sending_media_is_told_how_to_join(sim: BotApiSimulator, bot: BotRunner) -> None:
    stranger = sim.user(3101, "Stranger", language_code="en")
    assert (await reply_to(stranger, stranger.send_text("hello?"))).startswith("Hello! I run the check-in round")
    assert "invite link" in await reply_to(stranger, stranger.send_sticker())
    async with bot.services.store.transaction() as store:
        assert await store.member_by_telegram_id(3101) is None, "a stranger's message stores nothing"


async def test_a_stranger_is_answered_in_their_own_language(sim: BotApiSimulator, bot: BotRunner) -> None:
    stranger = sim.user(3102, "Muukalainen", language_code="fi")
    assert await command_reply(stranger, "tuntematon") == "En tunne tätä komentoa. /help kertoo, mitä osaan."
    assert await command_reply(stranger, "open", GROUP_ID) == "Tämä komento on vain työnohjaajille."


async def test_commands_for_other_bots_in_a_group_are_ignored(sim: BotApiSimulator, bot: BotRunner) -> None:
    member = sim.user(3103, "Member", language_code="en")
    group: SimGroupChat = sim.group_chat(-100124, "Team")
    await group.send_command(member, "start@other_bot")
    await group.send_command(member, "help")
    await settle(sim)
    assert group.messages == []
