"""The member's review of redaction, end to end: what was removed is shown before Submit, a guessed name can be put
back, a missed word removed by writing it, and the supervisor's digest is exactly what the member confirmed."""

from __future__ import annotations

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from demo import MemberDriver
from tests.conftest import BotRunner
from tests.test_round_e2e import close_and_read_digest, open_round, script, setup_group

WENT_WELL = "member0: Asiakas Matti Nieminen (s. 12.3.1950) kiitti, ja Rekku-koira ilahdutti."
DIFFICULT = "member0: kerttu on väsynyt"


async def press_in_place(member: MemberDriver, code: str) -> SimMessage:
    """Press a button whose screen is redrawn in the same message (the review's lists)."""
    current = member.current_screen()
    data = next(b.data for b in current.flat_buttons if b.data.endswith(f":{code}"))
    before = current.content
    await member.user.press(data, message_id=current.message_id)
    return await member.user.wait_for_message(
        lambda m: m.message_id == current.message_id and m.edited and m.content != before
    )


async def test_review_shows_what_was_removed_and_the_digest_is_what_the_member_confirmed(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    supervisor, members = await setup_group(sim, count=4)
    await open_round(supervisor, members)
    writer = members[0]
    steps = script(0)
    steps[1], steps[2] = f"text:{WENT_WELL}", f"text:{DIFFICULT}"
    review = await writer.answer(steps)
    assert "Removed a name: Matti Nieminen → [name]" in review.content
    assert "Removed: 12.3.1950 → [date of birth]" in review.content
    assert "Removed a name: Rekku-koira → [name]" in review.content

    removed = await press_in_place(writer, "F")
    buttons = [b.text for b in removed.flat_buttons]
    assert "↩ Matti Nieminen" in buttons and "↩ Rekku-koira" in buttons
    assert not any("12.3.1950" in text for text in buttons), "a birth date cannot be put back"
    dog = next(b.data for b in removed.flat_buttons if b.text == "↩ Rekku-koira")
    after = await press_in_place(writer, dog.rsplit(":", 1)[1])
    assert "↩ Rekku-koira" not in [b.text for b in after.flat_buttons]
    back = await press_in_place(writer, "V")
    assert "Rekku-koira ilahdutti" in back.content and "Matti Nieminen" not in back.content.split("→ [name]")[-1]

    # The scrubber kept "kerttu" (also the word for a bird); the member removes it by writing it.
    await writer.user.send_text("kerttu")
    reply = await writer.user.wait_for_message(lambda m: "kerttu" in m.content and not m.flat_buttons)
    assert reply.content == "Removed “kerttu” from your answers."
    await writer.user.wait_for_message(lambda m: m.message_id == back.message_id and "kerttu" not in m.content)
    await writer.submit()
    reopened = await writer.act("R")  # "Change my answers": what the member decided is still decided
    assert "Rekku-koira ilahdutti" in reopened.content and "Removed a name: Rekku-koira" not in reopened.content
    assert "Removed a name: Matti Nieminen → [name]" in reopened.content
    await writer.submit()
    for number, member in enumerate(members[1:], start=1):
        await member.answer(script(number))
        await member.submit()

    digest = await close_and_read_digest(sim, supervisor)
    assert "Rekku-koira ilahdutti" in digest  # put back by the member
    for gone in ("Matti", "Nieminen", "12.3.1950", "kerttu"):
        assert gone not in digest
    assert "[name] on väsynyt" in digest
