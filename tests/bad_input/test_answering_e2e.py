"""Bad input while answering: media or text where the question wants something else, a stale button, a press after
the close, a text over the question's limit — each refused in a sentence, and nothing saved."""

from __future__ import annotations

import asyncio

from botsim.server import BotApiSimulator
from tests.bad_input.helpers import (
    CLOSED_TOAST,
    NO_LONGER_ACTIVE,
    NOT_SAVED,
    ON_REVIEW,
    SKIP_REST,
    USE_BUTTONS,
    WRITE_TEXT,
    assert_digest,
    complete,
    data_of,
    group_in_round,
    reply_to,
    settle,
    toast,
)
from tests.conftest import BotRunner
from tests.test_round_e2e import close_and_read_digest

# --- 1. media where text is expected ------------------------------------------------------------------------------


async def test_media_instead_of_a_text_answer_is_refused_and_nothing_is_saved(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    await a.act("v4")
    question = a.current_screen()
    assert "Question 2 ·" in question.content
    events = a.user.event_count

    for send in (
        a.user.send_sticker(),
        a.user.send_photo(caption="caption of a photo"),
        a.user.send_voice(),
        a.user.send_document(caption="caption of a file"),
    ):
        assert await reply_to(a.user, send) == WRITE_TEXT
    await settle(sim)
    assert a.user.event_count == events + 4  # the four replies, nothing else
    assert a.current_screen().message_id == question.message_id

    await asyncio.gather(complete(a, mind="alpha wrote this instead"), complete(b, energy=2, mind="beta on mind"))
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha wrote this instead", "beta on mind"])
    assert "caption of a" not in digest


async def test_media_on_a_scale_question_asks_for_the_buttons(sim: BotApiSimulator, bot: BotRunner) -> None:
    _, (a,) = await group_in_round(sim, count=1)
    question = a.current_screen()
    events = a.user.event_count
    assert await reply_to(a.user, a.user.send_sticker()) == USE_BUTTONS
    assert await reply_to(a.user, a.user.send_voice()) == USE_BUTTONS
    await settle(sim)
    assert a.user.event_count == events + 2
    assert "Question 2 ·" in (await a.act("v3")).content
    answered = next(m for m in a.user.messages if m.message_id == question.message_id)
    # The first question became the second, its first line the one answer given.
    assert answered.content.split("\n")[0].endswith("→ 3/5")


# --- 2. text where buttons are expected ----------------------------------------------------------------------------


async def test_text_where_buttons_are_expected_is_refused_and_nothing_is_saved(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    events = a.user.event_count
    # The question comes back at the bottom, saying the words were not saved; the old one loses its buttons.
    again = await reply_to(a.user, a.user.send_text("5 typed on the scale"))
    assert again.startswith(NOT_SAVED.format(text="5 typed on the scale"))
    await settle(sim)
    assert a.user.event_count == events + 2
    assert "Question 1 ·" in a.current_screen().content and a.current_screen().content == again

    await a.answer(["v4", "text:alpha on mind", *SKIP_REST])
    assert "Your answers" in a.current_screen().content
    events = a.user.event_count
    assert await reply_to(a.user, a.user.send_text("typed on the review")) == ON_REVIEW
    await settle(sim)
    assert a.user.event_count == events + 1
    await a.submit()

    await complete(b, energy=2, mind="beta on mind")
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha on mind", "beta on mind"])
    assert "typed on" not in digest


# --- 3. a stale button ---------------------------------------------------------------------------------------------


async def test_press_on_a_stale_button_is_refused_and_changes_nothing(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    first = a.current_screen()
    stale_choice = data_of(a, "v1")
    await a.act("v4")
    second = a.current_screen()
    stale_skip = data_of(a, "k")
    await a.write("alpha on mind")
    third = a.current_screen()
    events = a.user.event_count

    assert await toast(sim, a.user, first.message_id, stale_choice) == NO_LONGER_ACTIVE
    assert await toast(sim, a.user, second.message_id, stale_skip) == NO_LONGER_ACTIVE
    await settle(sim)
    assert a.user.event_count == events
    assert a.current_screen().message_id == third.message_id
    assert "Question 3 ·" in third.content

    await asyncio.gather(complete(a), complete(b, energy=2, mind="beta on mind"))
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha on mind", "beta on mind"])


# --- 4. a press after the round closed -----------------------------------------------------------------------------


async def test_press_after_the_round_closed_says_the_check_in_has_closed(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    await a.act("v4")
    await complete(b, energy=2, mind="beta on mind")
    await close_and_read_digest(sim, supervisor)
    await a.user.wait_for_message(lambda m: "has closed" in m.content)
    supervisor_events, a_events, b_events = supervisor.event_count, a.user.event_count, b.user.event_count

    question = a.current_screen()  # the open question still shows its buttons
    assert await toast(sim, a.user, question.message_id, data_of(a, "k")) == CLOSED_TOAST
    submitted = b.current_screen()  # "Change my answers"
    assert await toast(sim, b.user, submitted.message_id, data_of(b, "R")) == CLOSED_TOAST
    assert "no open check-in" in await reply_to(a.user, a.user.send_text("too late"))
    await settle(sim)
    assert (supervisor.event_count, a.user.event_count, b.user.event_count) == (
        supervisor_events,
        a_events + 1,
        b_events,
    )


# --- 6. a text answer over max_length ------------------------------------------------------------------------------


async def test_text_over_the_limit_is_refused_and_a_shorter_retry_works(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    await a.act("v4")
    question = a.current_screen()
    events = a.user.event_count
    too_long = "too long " * 166 + "!" * 7
    reply = await reply_to(a.user, a.user.send_text(too_long))
    assert reply == (
        "That message would make your answer longer than this question allows (1500 characters), so I did not add "
        "it. What you wrote before is kept; please send a shorter message or press Next."
    )
    await settle(sim)
    assert a.user.event_count == events + 1
    assert a.current_screen().message_id == question.message_id

    just_fits = ("fits the limit " * 100)[:1499] + "!"
    assert len(just_fits) == 1500
    assert "Question 3 ·" in (await a.write(just_fits)).content
    await asyncio.gather(complete(a), complete(b, energy=2, mind="beta on mind"))
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=[just_fits, "beta on mind"])
    assert "too long too long" not in digest


async def test_a_nul_in_a_text_answer_is_dropped_on_either_database(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    """Only a forged update carries a NUL: invisible, and PostgreSQL's text cannot hold it. The answer is kept without
    it, the same on both databases, and the digest the supervisor gets never carries one."""
    supervisor, (a, b) = await group_in_round(sim)
    await complete(a, energy=4, mind="alpha\x00 on mind\x00")
    await complete(b, energy=2, mind="beta on mind")
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha on mind", "beta on mind"])
    assert "\x00" not in digest and "\ufffd" not in digest
