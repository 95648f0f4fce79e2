"""First contact over the simulator: a member's welcome and its privacy button, a supervisor's overview, and the
bot's descriptions per language."""

from __future__ import annotations

from botsim.server import BotApiSimulator
from demo import GROUP_ID, SUPERVISOR_ID, join_via_invite
from tests.conftest import BotRunner, RunnerFactory


async def test_welcome_is_three_paragraphs_with_a_privacy_button(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    member = sim.user(2001, "Maija", language_code="en")
    await join_via_invite(member, supervisor)
    welcome = member.messages[-1]
    paragraphs = welcome.content.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Welcome to the check-ins of Kotihoidon tiimi!")
    assert "never who" in paragraphs[1]
    assert "112" in paragraphs[2]
    assert welcome.button_texts == ["How is my data handled?"]

    await member.press("How is my data handled?", message_id=welcome.message_id)
    explanation = await member.wait_for_message(lambda m: "Honest limits" in m.content)
    assert "writing style" in explanation.content and "112" in explanation.content
    # The same text as /privacy.
    await member.send_command("privacy")
    again = await member.wait_for_message(lambda m: m.message_id != explanation.message_id and "Honest" in m.content)
    assert again.content == explanation.content


async def test_a_member_who_starts_again_is_reminded_of_their_group(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    member = sim.user(2001, "Maija", language_code="sv")
    await join_via_invite(member, supervisor)
    await member.send_command("start")
    reply = await member.wait_for_message(lambda m: "Kotihoidon tiimi" in m.content and "medlem" in m.content)
    assert reply.button_texts == ["Hur hanteras mina uppgifter?"]
    stranger = sim.user(2009, "Outsider", language_code="fi")
    await stranger.send_command("start")
    reply = await stranger.wait_for_message()
    assert "kutsulinkki" in reply.content and reply.button_texts == ["Miten tietojani käsitellään?"]


async def test_supervisor_start_shows_groups_members_and_the_open_round(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    await supervisor.send_command("start")
    first = await supervisor.wait_for_message()
    assert "You are the supervisor of these groups:" in first.content
    assert f"Kotihoidon tiimi · {GROUP_ID} · 0 members joined" in first.content
    assert f"No round is open. /open {GROUP_ID} opens one now." in first.content
    assert "/invite <group>" in first.content

    for uid, name in ((2001, "Maija"), (2002, "Pekka")):
        await join_via_invite(sim.user(uid, name, language_code="en"), supervisor)
    await supervisor.send_command("open", GROUP_ID)
    await supervisor.wait_for_message(lambda m: "Round opened" in m.content)
    await supervisor.send_command("start")
    overview = await supervisor.wait_for_message(lambda m: "these groups" in m.content and m is not first)
    assert "2 members joined" in overview.content
    assert f"Round 1 is open. /close {GROUP_ID} closes it and sends you the digest." in overview.content


async def test_descriptions_in_every_language(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    await make_runner(language="sv")
    assert sim.descriptions["fi"].startswith("Hoidan ennakkokyselyt")
    assert sim.descriptions["sv"].startswith("Jag sköter förhandsfrågorna")
    assert sim.descriptions["en"].startswith("I run the check-in round")
    assert sim.descriptions[""] == sim.descriptions["sv"]  # untagged: the configured default language
    assert sim.short_descriptions["en"] == (
        "Private check-ins before work supervision. Your supervisor sees only an anonymised summary."
    )
    assert set(sim.short_descriptions) == {"", "fi", "sv", "en"}


async def test_a_rate_limited_description_does_not_stop_the_bot(
    sim: BotApiSimulator, make_runner: RunnerFactory
) -> None:
    sim.faults.methods = {"setMyDescription"}
    sim.faults.trigger_429_burst(1, retry_after=30)
    await make_runner()
    assert sim.descriptions == {}
    assert dict(sim.get_commands({"type": "all_private_chats"}, "en"))["help"] == "this help"


async def test_whoami_and_a_strangers_start_tell_the_numeric_id(sim: BotApiSimulator, bot: BotRunner) -> None:
    # A new supervisor configures themself: the id Telegram knows them by, without a third-party bot.
    stranger = sim.user(7654321, "Uusi Ohjaaja", language_code="fi")
    await stranger.send_command("whoami")
    reply = await stranger.wait_for_message()
    assert reply.content.startswith("Telegram-käyttäjätunnuksesi numero on 7654321.")
    assert "supervisors" in reply.content
    await stranger.send_command("start")
    hello = await stranger.wait_for_message(lambda m: "kutsulinkki" in m.content)
    assert "7654321" in hello.content and "/whoami" not in hello.content
    member = sim.user(2001, "Maija", language_code="en")
    await member.send_command("whoami")
    assert (await member.wait_for_message()).content.startswith("Your Telegram user id is 2001.")
