"""Forged presses: callback data never issued, another step's, another group's round, a reopen code where none was
offered, a colleague's copied data — each refused in a toast, and the member's answers unchanged."""

from __future__ import annotations

import asyncio

from botsim.server import BotApiSimulator
from tests.bad_input.helpers import (
    NO_LONGER_ACTIVE,
    NOT_VALID,
    OTHER_GROUP_ID,
    OTHER_SUPERVISOR_ID,
    assert_digest,
    complete,
    data_of,
    group_in_round,
    join,
    open_round,
    round_id_of,
    settle,
    start_supervisor,
    toast,
)
from tests.conftest import BotRunner
from tests.test_round_e2e import close_and_read_digest

# --- 5. forged callback data ---------------------------------------------------------------------------------------


async def test_forged_callback_data_is_refused_and_changes_nothing(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    rid = round_id_of(a)
    question = a.current_screen()
    assert data_of(a, "v4") == f"{rid}:q0:v4"
    long_prefix = f"{rid}:q0:v"
    not_valid = [
        f"{rid}:q0:x",  # never-issued codes
        f"{rid}:q0:",
        f"{rid}:q0:V4",
        f"{rid}:q0:v0",
        f"{rid}:q0:v6",
        f"{rid}:q0:v-1",
        f"{rid}:q0:v99999",
        f"{rid}:q0:t0",
        f"{rid}:q0:d",
        f"{rid}:q0:S",
        f"{rid}:q0:E",
        f"{rid}:q0:i0",
        f"{rid}:q0:b",
        "Zz9-Zz9_:q0:v4",  # a round that does not exist
        "garbage",
        "::",
        "a:b:c:d:e",
        "x" * 64,
        "\x00",  # PostgreSQL's text cannot hold a NUL: the lookup must still just find nothing
        f"{rid}\x00:q0:v4",
        long_prefix + "4" * (64 - len(long_prefix)),  # 64 bytes with the right round and step
    ]
    other_step = [f"{rid}:q1:v4", f"{rid}:q0e:v4", f"{rid}:r:S", f"{rid}:s:R", f"{rid}::v4", f"{rid}:Q0:v4"]
    assert len(not_valid[-1].encode()) == 64
    events = a.user.event_count

    for data in not_valid:
        assert await toast(sim, a.user, question.message_id, data) == NOT_VALID, data
    for data in other_step:
        assert await toast(sim, a.user, question.message_id, data) == NO_LONGER_ACTIVE, data
    await settle(sim)
    assert a.user.event_count == events
    assert a.current_screen().message_id == question.message_id

    await asyncio.gather(complete(a, energy=4, mind="alpha on mind"), complete(b, energy=2, mind="beta on mind"))
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha on mind", "beta on mind"])


async def test_forged_reopen_code_on_a_question_is_refused(sim: BotApiSimulator, small_group_bot: BotRunner) -> None:
    """`R` is issued only on the "submitted" screen; forged on a question, with the right step, it must do nothing."""
    supervisor, (a, b) = await group_in_round(sim)
    rid = round_id_of(a)
    await a.answer(["v4", "text:alpha on mind"])
    question = a.current_screen()
    assert "Question 3 ·" in question.content
    events = a.user.event_count

    assert await toast(sim, a.user, question.message_id, f"{rid}:q2:R") == NOT_VALID
    await settle(sim)
    assert a.user.event_count == events
    assert a.current_screen().message_id == question.message_id

    await asyncio.gather(complete(a), complete(b, energy=2, mind="beta on mind"))
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha on mind", "beta on mind"])


async def test_forged_reopen_code_on_the_review_keeps_the_edits(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    """After "Change my answers" and an edit, a forged `R` on the review must not bring the old answers back."""
    supervisor, (a, b) = await group_in_round(sim)
    rid = round_id_of(a)
    await complete(a, energy=4, mind="alpha first thought")
    await a.act("R")
    await a.act("E")
    await a.act("i1")
    review = await a.write("alpha second thought")
    assert "alpha second thought" in review.content
    events = a.user.event_count

    assert await toast(sim, a.user, review.message_id, f"{rid}:r:R") == NOT_VALID
    await settle(sim)
    assert a.user.event_count == events
    await a.submit()

    await complete(b, energy=2, mind="beta on mind")
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[4, 2], minds=["alpha second thought", "beta on mind"])
    assert "alpha first thought" not in digest


async def test_another_groups_round_id_is_refused(sim: BotApiSimulator, two_groups: BotRunner) -> None:
    supervisor = await start_supervisor(sim)
    other_supervisor = await start_supervisor(sim, OTHER_SUPERVISOR_ID)
    a = await join(sim, supervisor, 2001, "Aino")
    c = await join(sim, other_supervisor, 2003, "Ceelia", OTHER_GROUP_ID)
    await open_round(supervisor, [a])
    await open_round(other_supervisor, [c], OTHER_GROUP_ID)
    other_rid = round_id_of(c)
    assert other_rid != round_id_of(a)
    question = a.current_screen()
    a_events, c_events = a.user.event_count, c.user.event_count

    for code in ("v4", "k"):
        assert await toast(sim, a.user, question.message_id, f"{other_rid}:q0:{code}") == NOT_VALID
    await settle(sim)
    assert (a.user.event_count, c.user.event_count) == (a_events, c_events)
    assert "Question 2 ·" in (await a.act("v4")).content
    assert "Question 2 ·" in (await c.act("v3")).content


async def test_member_cannot_answer_for_another_with_copied_data(
    sim: BotApiSimulator, small_group_bot: BotRunner
) -> None:
    supervisor, (a, b) = await group_in_round(sim)
    a_first = data_of(a, "v1")
    await a.act("v5")
    a_question = a.current_screen()
    a_skip = data_of(a, "k")
    b_question = b.current_screen()
    a_events, b_events = a.user.event_count, b.user.event_count

    # B is still on the first question: A's current (second-question) button is not B's to press.
    assert await toast(sim, b.user, b_question.message_id, a_skip) == NO_LONGER_ACTIVE
    await settle(sim)
    assert (a.user.event_count, b.user.event_count) == (a_events, b_events)
    # Data copied from A's first question, pressed by B, can only ever be B's own answer.
    await b.user.press_data(b_question.message_id, a_first)
    assert "Question 2 ·" in (await b.screen()).content
    await settle(sim)
    assert a.user.event_count == a_events
    assert a.current_screen().message_id == a_question.message_id

    await asyncio.gather(complete(a, mind="alpha on mind"), complete(b, mind="beta on mind"))
    digest = await close_and_read_digest(sim, supervisor)
    assert_digest(digest, energies=[5, 1], minds=["alpha on mind", "beta on mind"])
