"""Bad input end to end: the real bot over HTTP against the simulator, fed what it does not expect.

Each test checks two things: the short, friendly reply (or callback toast) the person gets, and that nothing else
changed — no stray messages, the member is still on the same question (the proper button or message afterwards
still works), and the digest at close holds exactly the answers that were really given.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Sequence
from html import escape
from pathlib import Path

import pytest

from botsim.server import BotApiSimulator
from botsim.users import SimGroupChat, SimUser
from checkins.config.app import AppConfig, load_config
from demo import GROUP_ID, INVITE_LINK, SUPERVISOR_ID, MemberDriver, write_demo_config
from tests.conftest import BotRunner, RunnerFactory, StorageChoice
from tests.test_round_e2e import close_and_read_digest

GROUP_NAME = "Kotihoidon tiimi"
OTHER_SUPERVISOR_ID = 1002
OTHER_GROUP_ID = "other"
OTHER_GROUP_NAME = "Toinen tiimi"
BOT_USERNAME = "kierros_bot"
# These tests were written against a seven-question check-in; they keep it, whatever the bundled flows become.
CLASSIC_FLOWS = Path(__file__).resolve().parent / "flows"

ENERGY = "How is your energy at work right now?"
ON_MIND = "What has been on your mind at work since the last session?"
# After energy (scale) and on_mind (text): went_well, difficult, bring (text), topic_area (multi), urgency (choice).
SKIP_REST = ("k", "k", "k", "k", "k")

WRITE_TEXT = "I can only save text answers. Please write your answer as a message."
USE_BUTTONS = "Please answer with the buttons."
NOT_VALID = "This button is not valid."
NO_LONGER_ACTIVE = "This button is no longer active. Please use the latest message."
CLOSED_TOAST = "This check-in has closed; answers can no longer be changed."
ONLY_SUPERVISORS = "This command is only for supervisors."
INVALID_INVITE = (
    "This invite link is not valid: it may have expired or been withdrawn. Ask your supervisor for a new link."
)
UNKNOWN_COMMAND = "I do not know that command. /help lists what I can do."
NOT_SAVED = "I did not save your message “{text}”: this question is answered with the buttons, so here it is again."
ON_REVIEW = "I did not save that message: your answers are in the review above. To add to an answer, press Edit there."


# --- set-up -----------------------------------------------------------------------------------------------------


def write_two_group_config(folder: Path) -> AppConfig:
    """The demo group plus a second supervisor's group, to show that one supervisor never sees the other's."""
    path = folder / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            timezone: Europe/Helsinki
            default_language: en
            storage: {{path: kierros.sqlite3}}
            flows_dir: {CLASSIC_FLOWS}
            # The simulator enforces no flood limits here, so the bot need not pace itself.
            telegram: {{flood_limits: false}}
            supervisors:
              - {{user_id: {SUPERVISOR_ID}, name: Sanna Supervisor, language: en}}
              - {{user_id: {OTHER_SUPERVISOR_ID}, name: Olli Other, language: en}}
            groups:
              - {{id: {GROUP_ID}, name: {GROUP_NAME}, supervisor: {SUPERVISOR_ID}, flow: classic,
                  min_responses: 2}}
              - {{id: {OTHER_GROUP_ID}, name: {OTHER_GROUP_NAME}, supervisor: {OTHER_SUPERVISOR_ID},
                  flow: classic, min_responses: 2}}
            """
        ),
        encoding="utf-8",
    )
    return load_config(path)


@pytest.fixture
async def two_groups(sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice) -> AsyncIterator[BotRunner]:
    runner = BotRunner(sim, write_two_group_config(tmp_path), storage=storage)
    await runner.start()
    yield runner
    await runner.stop()


def classic_config(folder: Path, language: str = "en", min_responses: int = 3) -> AppConfig:
    return write_demo_config(
        folder, language=language, min_responses=min_responses, flow="classic", flows_dir=CLASSIC_FLOWS
    )


@pytest.fixture
async def bot(make_runner: RunnerFactory, tmp_path: Path) -> BotRunner:
    """The demo group on the seven-question classic check-in."""
    return await make_runner(config=classic_config(tmp_path))


@pytest.fixture
async def small_group_bot(make_runner: RunnerFactory, tmp_path: Path) -> BotRunner:
    """The classic check-in with a threshold of two, so a digest of two members shows their answers."""
    return await make_runner(config=classic_config(tmp_path, min_responses=2))


# --- helpers ----------------------------------------------------------------------------------------------------


async def start_supervisor(sim: BotApiSimulator, user_id: int = SUPERVISOR_ID, language: str = "en") -> SimUser:
    supervisor = sim.user(user_id, "Sanna", "Supervisor", language_code=language)
    await supervisor.send_command("start")
    await supervisor.wait_for_message()
    return supervisor


async def reply_to(user: SimUser, action: Awaitable[object]) -> str:
    """Do something as `user` and return the text of the bot's next message to them."""
    await action
    return (await user.wait_for_message()).content


async def command_reply(user: SimUser, command: str, args: str = "") -> str:
    return await reply_to(user, user.send_command(command, args))


async def invite_token(supervisor: SimUser, group_id: str = GROUP_ID) -> str:
    reply = await command_reply(supervisor, "invite", group_id)
    match = INVITE_LINK.search(reply)
    assert match, f"no invite link in {reply!r}"
    return match.group(1)


async def join_with(
    sim: BotApiSimulator, token: str, user_id: int, first_name: str, language: str = "en"
) -> MemberDriver:
    user = sim.user(user_id, first_name, language_code=language)
    await user.send_command("start", token)
    await user.wait_for_message(lambda m: "112" in m.content)
    return MemberDriver(user)


async def join(
    sim: BotApiSimulator, supervisor: SimUser, user_id: int, first_name: str, group_id: str = GROUP_ID
) -> MemberDriver:
    return await join_with(sim, await invite_token(supervisor, group_id), user_id, first_name)


async def open_round(supervisor: SimUser, members: Sequence[MemberDriver], group_id: str = GROUP_ID) -> None:
    await supervisor.send_command("open", group_id)
    await supervisor.wait_for_message()
    for member in members:
        await member.screen()


async def group_in_round(
    sim: BotApiSimulator, count: int = 2, language: str = "en"
) -> tuple[SimUser, list[MemberDriver]]:
    """A supervisor and `count` members (ids 2001…) of the demo group, each on the first question of a new round."""
    supervisor = await start_supervisor(sim, language=language)
    token = await invite_token(supervisor)
    names = ("Aino", "Bertta", "Ceelia")
    members = await asyncio.gather(*(join_with(sim, token, 2001 + n, names[n], language) for n in range(count)))
    await open_round(supervisor, members)
    return supervisor, list(members)


def data_of(member: MemberDriver, code: str) -> str:
    """The callback data of the button with this action code on the member's current screen."""
    return next(b.data for b in member.current_screen().flat_buttons if b.data.endswith(f":{code}"))


def round_id_of(member: MemberDriver) -> str:
    return data_of(member, "k").split(":")[0]


async def toast(sim: BotApiSimulator, user: SimUser, message_id: int, data: str) -> str:
    """Press (possibly forged) callback data and return the text of the answerCallbackQuery toast."""
    before = len(user.callback_answers)
    await user.press_data(message_id, data)
    async with asyncio.timeout(5):
        await sim.changes.wait_until(lambda: True if len(user.callback_answers) > before else None)
    return user.callback_answers[before].text or ""


async def settle(sim: BotApiSimulator) -> None:
    await sim.wait_idle(timeout=5, quiet=0.2)


async def complete(member: MemberDriver, *, energy: int | None = None, mind: str | None = None) -> None:
    """From the current question on: answer energy and on_mind (when given), skip the rest, submit."""
    steps = [f"v{energy}"] if energy is not None else []
    steps += [f"text:{mind}"] if mind is not None else []
    await member.answer([*steps, *SKIP_REST])
    await member.submit()


def scale_counts(report: str) -> Counter[int]:
    """The energy question's table in the report as {scale point: count}, points with no answers left out."""
    table = re.search(r'<table class="spread">(.*?)</table>', report)
    assert table is not None, report
    points, counts = [re.findall(r"<td>(\d+)</td>", row) for row in table.group(1).split("</tr>")[1:3]]
    return Counter({int(point): int(count) for point, count in zip(points, counts, strict=True) if int(count)})


def assert_digest(digest: str, *, energies: Sequence[int], minds: Sequence[str], invited: int = 2) -> None:
    """Two (or more) submissions: exactly these energy values and exactly these on_mind answers, nothing more.

    `digest` is everything the supervisor received, the printable report's HTML included."""
    assert f"{len(minds)} of {invited} answered" in digest, digest
    assert scale_counts(digest) == Counter(energies), digest
    assert f'{ENERGY} <span class="meta">({len(energies)} answers)</span>' in digest, digest
    assert f'{ON_MIND} <span class="meta">({len(minds)} answers)</span>' in digest, digest
    for mind in minds:
        assert digest.count(f"<li>{escape(mind)}</li>") == 1, (mind, digest)


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
