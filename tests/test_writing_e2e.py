"""What a member types lands where they meant it, end to end over the simulator: answers in several quick messages,
edits of any of them, the last question, long answers, and words typed on a button question."""

from __future__ import annotations

from pathlib import Path

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from demo import GROUP_ID, MemberDriver, is_screen, write_demo_config
from tests.conftest import RunnerFactory
from tests.test_round_e2e import close_and_read_digest, open_round, setup_group


async def _echo_with(member: MemberDriver, text: str) -> SimMessage:
    """The echo (Next under it) that shows `text` as part of the answer being written."""
    return await member.user.wait_for_message(
        lambda m: is_screen(m) and text in m.content and any(b.data.endswith(":n") for b in m.flat_buttons)
    )


async def _quickly(member: MemberDriver, *texts: str) -> list[int]:
    """Send messages one right after another, without waiting for the bot in between, as people do on phones."""
    sent = [await member.user.send_text(text) for text in texts]
    await _echo_with(member, texts[-1])
    return [message["message"]["message_id"] for message in sent]


async def test_two_and_three_quick_messages_are_one_answer_each(
    sim: BotApiSimulator, make_runner: RunnerFactory
) -> None:
    await make_runner(min_responses=2)
    supervisor, members = await setup_group(sim, 2)
    await open_round(supervisor, members)
    first, second = members
    await first.act("v4")
    ids = await _quickly(first, "I finally got", "a good connection with a difficult client.")
    nxt = await first.act("n")
    assert "difficult or draining" in nxt.content, "the second message must not answer the next question"
    # An edit after moving on still edits that answer, keeping its other message.
    await first.user.edit_text(ids[0], "I at last got")
    await first.user.wait_for_message(lambda m: "was updated" in m.content)
    await _quickly(first, "Rush.", "Too few substitutes.", "And the new rota.")
    await first.act("n")
    await first.answer(["text:How to cope", "t1", "d", "v2"])
    review = first.current_screen().content
    assert "I at last got a good connection with a difficult client." in review
    assert "Rush. Too few substitutes. And the new rota." in review
    await first.submit()
    await second.answer(["v3", "text:Colleagues help.", "text:Too many clients.", "k"])
    await second.submit()
    digest = await close_and_read_digest(sim, supervisor)
    assert "I at last got\na good connection with a difficult client." in digest
    assert "Rush.\nToo few substitutes.\nAnd the new rota." in digest


async def test_messages_on_the_last_question_and_an_edit_of_the_second(
    sim: BotApiSimulator, make_runner: RunnerFactory
) -> None:
    await make_runner(flow="wellbeing_pulse", min_responses=2)
    supervisor, members = await setup_group(sim, 2)
    await open_round(supervisor, members)
    member = members[0]
    await member.answer(["v1", "v2", "v2"])
    assert "help you cope" in member.current_screen().content  # the last question, shown only on low energy
    ids = await _quickly(member, "More staff on evenings", "and a quiet room")
    await member.user.edit_text(ids[1], "and a quiet break room")
    await member.user.wait_for_message(lambda m: "was updated" in m.content)
    await member.user.wait_for_message(lambda m: m.edited and "evenings and a quiet break room" in m.content)
    review = await member.act("n")
    assert "More staff on evenings and a quiet break room" in review.content
    assert "Please answer with the buttons" not in "".join(m.content for m in member.user.messages)
    await member.submit()
    await members[1].answer(["v2", "v4", "v4", "text:Fewer night shifts."])
    await members[1].submit()
    digest = await close_and_read_digest(sim, supervisor)
    assert "More staff on evenings\nand a quiet break room" in digest


async def test_long_answer_over_several_messages_within_the_flows_limit(
    sim: BotApiSimulator, make_runner: RunnerFactory
) -> None:
    await make_runner(min_responses=2)
    supervisor, members = await setup_group(sim, 1)
    await open_round(supervisor, members)
    member = members[0]
    first = await member.act("v3")
    assert "up to 1500 characters" in first.content, "the limit is told before the member writes"
    echo = await member.type("a" * 1000)
    assert "Room for about" not in echo.content
    echo = await member.type("b" * 200)
    assert "Room for about 299 more characters" in echo.content
    before = len(member.user.messages)
    await member.user.send_text("c" * 400)
    refused = await member.user.wait_for_message(lambda m: "did not add it" in m.content)
    assert "1500" in refused.content
    assert not [m for m in member.user.messages[before:] if is_screen(m)]
    assert "difficult or draining" in (await member.act("n")).content


async def test_text_on_a_scale_is_not_dropped_silently(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    await make_runner(min_responses=2)
    supervisor, members = await setup_group(sim, 2)
    await open_round(supervisor, members)
    member = members[0]
    old = member.current_screen()
    await member.user.send_text("somewhere between 3 and 4 today")
    again = await member.screen()
    assert "somewhere between 3 and 4 today" in again.content
    assert "not save" in again.content and "not sent to anyone" in again.content
    assert "How is your energy" in again.content
    assert [b.data for b in again.flat_buttons][:5] == [b.data for b in old.flat_buttons][:5]
    await member.user.wait_for_message(lambda m: m.message_id == old.message_id and m.edited and not m.flat_buttons)
    await member.answer(["v3", "text:ok", "k", "k"])
    await member.submit()
    await members[1].answer(["v4", "k", "k", "k"])
    await members[1].submit()
    digest = await close_and_read_digest(sim, supervisor)
    assert "between 3 and 4" not in digest


LONG_FLOW = """\
id: long
default_language: en
title: {en: Long reflection}
intro: {en: Take your time.}
questions:
  - {id: story, type: text, max_length: 9000, text: {en: "Tell the whole story?"}}
  - {id: energy, type: scale, text: {en: "Energy?"}}
"""


async def test_a_flow_can_allow_an_answer_longer_than_one_telegram_message(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "long.yaml").write_text(LONG_FLOW, encoding="utf-8")
    bot = await make_runner(config=write_demo_config(tmp_path, language="en", flow="long", flows_dir=flows))
    supervisor, members = await setup_group(sim, 1)
    await open_round(supervisor, members)
    member = members[0]
    assert "up to 9000 characters" in member.current_screen().content
    parts = [f"part {n} " + "x" * 3490 for n in range(2)]
    for part in parts:
        echo = await member.type(part)
        assert len(echo.content) < 4096
    assert "Energy?" in (await member.act("n")).content
    async with bot.services.store.transaction() as store:
        round_row = await store.open_round(GROUP_ID)
        stored = await store.member_by_telegram_id(member.user.user_id)
        assert round_row is not None and stored is not None
        drafts, _ = await store.drafts(round_row.id, stored.id)
    assert drafts["story"] == "\n".join(parts)


async def test_every_list_has_a_way_back_to_the_review(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    await make_runner(min_responses=2)
    supervisor, members = await setup_group(sim, 1)
    await open_round(supervisor, members)
    member = members[0]
    review = await member.answer(["v4", "text:Good week", "k", "k"])
    for list_code in ("E", "P", "A"):
        shown = await member.act(list_code)
        assert shown.message_id == review.message_id
        assert "Back to review" in [b.text.lstrip("← ") for b in shown.flat_buttons]
        back = await member.act("V")
        codes = [b.data.rsplit(":", 1)[1] for b in back.flat_buttons]
        assert codes == ["S", "E", "P", "A"], "the plain review again, in the same message"
    await member.submit()


async def test_settings_opened_mid_check_in_lead_back_to_it(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    await make_runner(min_responses=2)
    supervisor, members = await setup_group(sim, 1)
    await open_round(supervisor, members)
    member = members[0]
    question = await member.act("v4")
    user = member.user
    await user.send_command("settings")
    settings = await user.wait_for_message(lambda m: "Your settings" in m.content)
    await user.press_data(settings.message_id, "set:lang")
    languages = await user.wait_for_message(lambda m: m.message_id == settings.message_id and m.edited)
    assert "set:main" in [b.data for b in languages.flat_buttons]
    await user.press_data(settings.message_id, "set:main")
    await user.wait_for_message(lambda m: m.message_id == settings.message_id and "Your settings" in m.content)
    await user.press_data(settings.message_id, "set:round")
    again = await member.screen()
    assert again.message_id > settings.message_id
    # The copy at the bottom is the question itself, without the line above it for the answer before.
    assert question.content.endswith(again.content), "the current question again, at the bottom of the chat"
    await member.answer(["text:Back on track", "k", "k"])
    assert "Back on track" in member.current_screen().content


async def test_an_answer_being_written_survives_a_restart(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    bot = await make_runner(min_responses=2)
    supervisor, members = await setup_group(sim, 1)
    await open_round(supervisor, members)
    member = members[0]
    await member.act("v4")
    await member.type("Before the restart")
    await bot.restart()
    echo = await member.type("and after it.")
    assert "Before the restart and after it." in echo.content
    assert "difficult or draining" in (await member.act("n")).content
