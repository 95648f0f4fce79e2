"""Reminders with buttons end to end, with a clock the test moves: Continue brings the current question back at the
bottom of the chat, Not this round (on a reminder or on the intro) stops the reminders and is counted in the digest
only as a number, Remind me later sends one more reminder after the delay — never in quiet hours, never after the
close."""

from __future__ import annotations

from pathlib import Path

from botsim.server import BotApiSimulator
from demo import SUPERVISOR_ID, MemberDriver
from tests.conftest import RunnerFactory
from tests.test_round_e2e import script
from tests.test_schedule_e2e import Clock, at, join, start, texts

REMINDER_CODES = ["c", "x", "l"]


def reminder_codes(message: object) -> list[str]:
    return [b.data.rsplit(":", 1)[1] for b in message.flat_buttons if b.data.startswith("rm:")]  # type: ignore[attr-defined]


async def test_reminder_buttons_and_not_this_round_counted_anonymously(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    clock = Clock(at(3, 1, 12))
    runner = await start(sim, make_runner, tmp_path, clock)
    supervisor = sim.user(SUPERVISOR_ID)
    members = await join(sim, 5)
    clock.set(at(3, 8, 15))
    await runner.services.schedule.run_due()
    for member in members:
        await member.screen()
    late, on_intro, on_reminder = members[2], members[3].user, members[4].user

    # Not this round, straight from the intro: the intro loses its button and says what happens now.
    intro = next(m for m in on_intro.messages if "Check-in before supervision" in m.content)
    assert reminder_codes(intro) == ["x"]
    await on_intro.press("Not this round", intro.message_id)
    reply = await on_intro.wait_for_message(lambda m: "no more reminders" in m.content)
    assert "never who" in reply.content
    await on_intro.wait_for_message(lambda m: m.message_id == intro.message_id and not m.flat_buttons, after=0)

    for member in members[:2]:
        await member.answer(script(0))
        await member.submit()
    question = await late.act("v3")

    # The planned reminder, with its three buttons, to the three who neither submitted nor declined…
    clock.set(at(3, 10, 11, 1))
    await runner.services.schedule.run_due()
    await sim.wait_idle()
    reminders = [texts(m.user, "Reminder") for m in members]
    assert [len(r) for r in reminders] == [0, 0, 1, 0, 1]
    reminder = next(m for m in late.user.messages if "Reminder" in m.content)
    assert reminder_codes(reminder) == REMINDER_CODES

    # …one declines there,
    await on_reminder.press("Not this round")
    await on_reminder.wait_for_message(lambda m: "no more reminders" in m.content)

    # …the other asks to be reminded later, in the evening: 22:00 is quiet, so the reminder waits until 8:00.
    clock.set(at(3, 10, 19))
    await late.user.press("Remind me later", reminder.message_id)
    promised = await late.user.wait_for_message(lambda m: "remind you once more" in m.content)
    assert "Mar 11, 2031 8:00" in promised.content
    clock.set(at(3, 10, 23))
    assert await runner.services.reminders.send_due() == 0
    clock.set(at(3, 11, 8, 1))
    assert await runner.services.reminders.send_due() == 1
    assert await runner.services.reminders.send_due() == 0, "asked for once, sent once"
    await sim.wait_idle()
    assert len(texts(late.user, "Reminder")) == 2
    assert len(texts(on_reminder, "Reminder")) == 1 and len(texts(on_intro, "Reminder")) == 0

    # Remind me later when the round closes first (11:00): refused, saying so; the buttons stay.
    again = late.user.messages[-1]
    assert reminder_codes(again) == REMINDER_CODES
    clock.set(at(3, 11, 9))
    await late.user.press("Remind me later", again.message_id)
    await late.user.wait_for_message(lambda m: "closes before then" in m.content)

    # Continue: the current question again, as a new message at the bottom of the chat.
    await late.user.press("Continue", again.message_id)
    shown = await late.screen()
    # The question itself at the bottom, without the line above it for the answer before.
    assert shown.message_id > again.message_id and question.content.endswith(shown.content)

    await late.answer(script(2)[1:])
    await late.submit()
    clock.set(at(3, 11, 11, 1))
    await runner.services.schedule.run_due()
    digest = (await supervisor.wait_for_message(lambda m: "answered" in m.content)).content
    assert "3 of 5 answered" in digest
    assert "2 members declined this round." in digest
    for user in (on_intro, on_reminder):
        assert user.first_name not in digest


async def test_a_member_who_declines_and_then_answers_is_not_counted_as_declined(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    clock = Clock(at(3, 1, 12))
    runner = await start(sim, make_runner, tmp_path, clock)
    supervisor = sim.user(SUPERVISOR_ID)
    members: list[MemberDriver] = await join(sim, 2)
    clock.set(at(3, 8, 15))
    await runner.services.schedule.run_due()
    for member in members:
        await member.screen()
    first = members[0].user
    await first.press("Not this round")
    await first.wait_for_message(lambda m: "no more reminders" in m.content)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await member.submit()
    clock.set(at(3, 11, 11, 1))
    await runner.services.schedule.run_due()
    digest = (await supervisor.wait_for_message(lambda m: "answered" in m.content)).content
    assert "2 of 2 answered" in digest and "declined" not in digest
