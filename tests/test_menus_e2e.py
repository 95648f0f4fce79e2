"""Command menus and help: per scope and language, supervisor commands only where a supervisor can use them."""

from __future__ import annotations

from botsim.server import BotApiSimulator
from demo import SUPERVISOR_ID
from tests.conftest import BotRunner

PRIVATE = {"type": "all_private_chats"}


async def test_member_menus_in_every_language(sim: BotApiSimulator, bot: BotRunner) -> None:
    assert dict(sim.get_commands(PRIVATE, "fi"))["help"] == "tämä ohje"
    assert dict(sim.get_commands(PRIVATE, "sv"))["help"] == "den här hjälpen"
    assert dict(sim.get_commands(PRIVATE, "en"))["help"] == "this help"
    for language in ("", "fi", "sv", "en"):
        assert "open" not in dict(sim.get_commands(PRIVATE, language))


async def test_supervisor_menu_in_their_chat_after_start(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    await supervisor.send_command("start")
    await supervisor.wait_for_message()
    commands = dict(sim.get_commands({"type": "chat", "chat_id": SUPERVISOR_ID}))
    assert {"invite", "revoke", "open", "close", "rounds", "digest", "help"} <= set(commands)


async def test_help_lists_only_what_the_person_can_use(sim: BotApiSimulator, bot: BotRunner) -> None:
    member = sim.user(2001, "Maija", language_code="en")
    await member.send_command("help")
    reply = await member.wait_for_message()
    assert "/privacy" in reply.content and "/open" not in reply.content
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    await supervisor.send_command("help")
    reply = await supervisor.wait_for_message()
    assert "/open <group>" in reply.content and "/close <group>" in reply.content
