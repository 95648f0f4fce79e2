"""The core round end to end: the real bot over HTTP against the simulator — join, answer, restart, close, digest."""

from __future__ import annotations

import html

import pypdfium2

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from botsim.users import SimUser
from demo import GROUP_ID, MEMBERS, SUPERVISOR_ID, MemberDriver, join_via_invite
from handlers.application import SENDER_KEY
from tests.conftest import BotRunner, RunnerFactory

# energy (scale) → went_well → difficult → bring (text) → topic_area (multi) → urgency (choice)
FULL = (
    "v4",
    "text:{n}: a family thanked us",
    "text:{n}: too few substitutes",
    "text:{n}: how to cope with long runs",
    "t1",
    "d",
    "v2",
)


def script(member: int, steps: tuple[str, ...] = FULL) -> list[str]:
    return [step.format(n=f"member{member}") for step in steps]


async def setup_group(sim: BotApiSimulator, count: int = 5) -> tuple[SimUser, list[MemberDriver]]:
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", "Supervisor", language_code="en")
    await supervisor.send_command("start")
    await supervisor.wait_for_message()
    members = []
    for uid, first, last, username, _ in MEMBERS[:count]:
        user = sim.user(uid, first, last, username, language_code="en")
        await join_via_invite(user, supervisor)
        members.append(MemberDriver(user))
    return supervisor, members


async def open_round(supervisor: SimUser, members: list[MemberDriver]) -> None:
    await supervisor.send_command("open", GROUP_ID)
    await supervisor.wait_for_message(lambda m: "Round opened" in m.content)
    for member in members:
        await member.screen()


def file_text(sim: BotApiSimulator, message: SimMessage) -> str:
    """The text of a document the bot sent (the printable report, as HTML or as PDF)."""
    assert message.document is not None
    data = sim.files[message.document["file_id"]].data
    assert data is not None
    if str(message.document.get("file_name", "")).endswith(".pdf"):
        document = pypdfium2.PdfDocument(data)
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    return data.decode("utf-8")


async def latest_report(sim: BotApiSimulator, supervisor: SimUser) -> str:
    """The text of the latest printable report the supervisor received (HTML entities decoded), waiting for it."""
    report = await supervisor.wait_for_message(is_html_report, timeout=30)
    return html.unescape(file_text(sim, report))


def is_html_report(message: SimMessage) -> bool:
    return message.document is not None and message.document["file_name"].endswith(".html")


async def close_and_read_digest(sim: BotApiSimulator, supervisor: SimUser) -> str:
    """Everything the supervisor received after /close: the messages, the chart's caption and the report's text."""
    before = len(supervisor.messages)
    await supervisor.send_command("close", GROUP_ID)
    digest = await supervisor.wait_for_message(lambda m: "answered" in m.content)
    if "Fewer than" not in digest.content:
        # The chart and the reports are drawn after the close has committed; the HTML report comes last.
        await supervisor.wait_for_message(is_html_report, timeout=30)
    await sim.wait_idle(timeout=10)
    received = supervisor.messages[before:]
    return "\n".join(file_text(sim, m) if is_html_report(m) else m.content for m in received)


async def test_five_join_four_submit_with_restart_mid_flow(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim)
    await open_round(supervisor, members)

    await members[0].answer(script(0))
    await members[1].answer(["k", *script(1)[1:]])  # skips the scale question
    await members[2].answer(["v2", "b", *script(2)])  # goes Back and changes the first answer
    await members[3].answer(script(3)[:3])
    await bot.restart()
    # The restarted bot continues member 3 at the question they were on: no re-answering.
    await members[3].answer(script(3)[3:])
    for member in members[:4]:
        await member.submit()

    digest = await close_and_read_digest(sim, supervisor)
    assert "4 of 5 answered" in digest
    report = digest[digest.index("<!DOCTYPE html>") :]
    for number in range(4):
        for answer in ("a family thanked us", "too few substitutes", "how to cope with long runs"):
            assert report.count(f"member{number}: {answer}") == 1
    # Three scale answers (member 1 skipped): member 2's first choice (2) was replaced by 4 after Back.
    assert "How is your energy at work right now?" in digest
    assert "Mean 4.0 (scale 1–5)" in report
    for uid, first, last, username, _ in MEMBERS:
        for identifying in (str(uid), first, last, username):
            if identifying:
                assert identifying not in digest
    # The member who did not submit is told the round closed.
    await members[4].user.wait_for_message(lambda m: "closed" in m.content)


async def test_too_few_submissions_withhold_every_answer(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=4)
    await open_round(supervisor, members)
    for number, member in enumerate(members[:2]):
        await member.answer(script(number))
        await member.submit()
    digest = await close_and_read_digest(sim, supervisor)
    assert "2 of 4 answered" in digest
    assert "Fewer than 3 responses – no summary shown." in digest
    assert "member0" not in digest and "thanked" not in digest


async def test_answers_can_be_changed_after_submitting_until_close(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await member.submit()
    changer = members[0]
    await changer.act("R")  # "Change my answers" → back to the review
    await changer.act("E")
    await changer.act("i1")  # edit the second question
    await changer.write("member0: changed my mind")
    await changer.submit()
    digest = await close_and_read_digest(sim, supervisor)
    assert "member0: changed my mind" in digest
    assert "member0: a family thanked us" not in digest
    assert "3 of 3 answered" in digest


async def test_finnish_member_sees_finnish(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    await make_runner(language="fi")
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="fi")
    user = sim.user(2001, "Maija", language_code="fi")
    await join_via_invite(user, supervisor)
    assert "Tervetuloa" in user.messages[-1].content
    assert "112" in user.messages[-1].content


async def test_answers_to_questions_hidden_by_a_change_are_not_submitted(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await member.submit()
    # Member 0 takes back what they wanted to bring: its topic and urgency answers must leave the digest too.
    changer = members[0]
    await changer.act("R")
    await changer.act("E")
    await changer.act("i3")  # bring
    review = await changer.act("k")
    assert "What is your topic about?" not in review.content
    await changer.submit()
    digest = await close_and_read_digest(sim, supervisor)
    assert "3 of 3 answered" in digest
    # Two answers left to each of bring, topic_area and urgency: below the threshold of 3, where three would show.
    for question in ("What would you like to bring", "What is your topic about?", "How important is it"):
        block = digest.split(question, 1)[1].split("\n\n", 1)[0]
        assert "Too few answers to show (fewer than 3)." in block, question
    assert "how to cope" not in digest


async def test_a_button_answer_costs_one_request_and_the_chat_still_reads(sim: BotApiSimulator, bot: BotRunner) -> None:
    """Paced, every request counts against Telegram's limits: a button answer turns the question's message into the
    next question (one edit), the answer kept on its first line, instead of a new message plus an edit."""
    supervisor, (member,) = await setup_group(sim, count=1)
    await open_round(supervisor, [member])
    question = member.current_screen()
    await sim.wait_idle()
    requests = {method: sim.stats.per_method[method] for method in ("sendMessage", "editMessageText")}
    following = await member.act("v4")
    await sim.wait_idle()
    assert sim.stats.per_method["sendMessage"] == requests["sendMessage"]
    assert sim.stats.per_method["editMessageText"] == requests["editMessageText"] + 1
    assert following.message_id == question.message_id
    first_line, blank, marker = following.content.split("\n")[:3]
    assert first_line == "✓ How is your energy at work right now? → 4/5" and not blank
    assert marker == "Question 2 · at most 4 to go"
    # Back: the same message, the question before, no line for an answer.
    back = await member.act("b")
    assert back.message_id == question.message_id and back.content.startswith("Question 1 ·")
    assert [b.text for b in back.flat_buttons][:5] == ["1", "2", "3", "·4·", "5"]


async def test_the_next_screen_goes_out_without_a_pass_over_the_queue(sim: BotApiSimulator, bot: BotRunner) -> None:
    """The press commits its next screen already in flight and sends it right after the commit: the outbox sender's
    loop reads nothing for it (reading the queue took a transaction of its own and waited for the loop's turn)."""
    supervisor, (member,) = await setup_group(sim, count=1)
    await open_round(supervisor, [member])
    await sim.wait_idle()
    sender = bot.application.bot_data[SENDER_KEY]
    passes = sender.passes
    await member.act("v4")
    await member.act("b")
    await member.act("v5")
    await sim.wait_idle()
    assert sender.passes == passes
    async with bot.services.store.transaction() as store:
        assert "pending" not in await store.outbox_counts()  # delivered and recorded, nothing left waiting


async def test_a_toggle_changes_only_the_buttons_and_the_answered_line_stays(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    supervisor, (member,) = await setup_group(sim, count=1)
    await open_round(supervisor, [member])
    question = await member.answer(script(0)[:4])  # the multi-choice question, after the last text answer's Next
    assert question.content.startswith("✓ What would you like to bring") and "☑" not in "".join(question.button_texts)
    edits = sim.stats.per_method["editMessageText"]
    toggled = await member.act("t1")
    assert toggled.content == question.content and "☑" in "".join(toggled.button_texts)
    assert sim.stats.per_method["editMessageText"] == edits  # editMessageReplyMarkup: the text is not sent again
