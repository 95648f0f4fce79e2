"""What an attacker does, as steps the attack tests share: run a round, leave or erase, re-send a digest, and read
every file of the bot's data directory byte by byte (database, WAL, shared memory) as a copy of them would show."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from botsim.server import BotApiSimulator
from botsim.users import SimUser
from demo import GROUP_ID, MemberDriver
from tests.conftest import BotRunner
from tests.test_round_e2e import file_text, open_round, script, setup_group

# "member2: a family thanked us": the scripts sign every free text with its author, so the attacker's success is easy
# to score (the bot treats "member2" as any other word).
AUTHORED = re.compile(r"member(\d): [a-z ]+[a-z]")


def authored_texts(digest: str) -> set[str]:
    return {match.group(0) for match in AUTHORED.finditer(digest)}


async def allow_replies(member: MemberDriver) -> None:
    """On the review screen: "Allow a reply", then switch it on for every written answer."""
    await redraw(member, "A")
    for code in [b.data.rsplit(":", 1)[1] for b in member.current_screen().flat_buttons if ":a" in b.data]:
        await redraw(member, code)


async def redraw(member: MemberDriver, code: str) -> None:
    """Press a review button that redraws the same screen in place, and wait for the redraw."""
    screen = member.current_screen()
    data = next(b.data for b in screen.flat_buttons if b.data.endswith(f":{code}"))
    await member.user.press(data, message_id=screen.message_id)
    await member.user.wait_for_message(lambda m: m.message_id == screen.message_id and m.edited)


async def submitted_round(
    sim: BotApiSimulator, count: int, submitting: int | None = None, *, replies: bool = False
) -> tuple[SimUser, list[MemberDriver]]:
    """A group of `count`, a round opened, and the first `submitting` (all by default) answering every question
    (`replies`: allowing the supervisor to reply to every written answer)."""
    supervisor, members = await setup_group(sim, count=count)
    await open_round(supervisor, members)
    for number, member in enumerate(members[: count if submitting is None else submitting]):
        await member.answer(script(number))
        if replies:
            await allow_replies(member)
        await member.submit()
    return supervisor, members


async def received_after(sim: BotApiSimulator, supervisor: SimUser, before: int) -> str:
    await sim.wait_idle(timeout=10)
    return "\n".join(file_text(sim, m) if m.document else m.content for m in supervisor.messages[before:])


async def resend(sim: BotApiSimulator, supervisor: SimUser, number: str = "") -> str:
    """`/digest demo [n]` and everything that came back."""
    before = len(supervisor.messages)
    await supervisor.send_command("digest", f"{GROUP_ID} {number}".strip())
    await supervisor.wait_for_message(lambda m: "digest of round" in m.content)
    return await received_after(sim, supervisor, before)


async def forget_me(user: SimUser) -> str:
    await user.send_command("forgetme")
    confirm = await user.wait_for_message(lambda m: m.has_button("fm:yes"))
    await user.press("fm:yes", message_id=confirm.message_id)
    done = await user.wait_for_message(lambda m: m.message_id == confirm.message_id and m.edited)
    return done.content


async def leave(user: SimUser) -> str:
    await user.send_command("leave")
    menu = await user.wait_for_message(lambda m: m.has_button(f"lv:{GROUP_ID}"))
    await user.press(f"lv:{GROUP_ID}", message_id=menu.message_id)
    done = await user.wait_for_message(lambda m: m.message_id == menu.message_id and m.edited)
    return done.content


def data_files(runner: BotRunner) -> list[Path]:
    """Every file of the database: what a backup, a snapshot or a stolen disk holds. SQLite: the database and the
    files beside it. PostgreSQL: the database's folder in the server's data directory (tables, indexes, TOAST, free
    space maps), after a checkpoint has written every changed page there; the server's WAL is PRIVACY.md's limit."""
    if runner.storage.files_dir is not None:
        assert runner.config.storage_url is not None
        with psycopg.connect(runner.config.storage_url, autocommit=True) as connection:
            connection.execute("CHECKPOINT")
        return sorted(path for path in runner.storage.files_dir.iterdir() if path.is_file())
    database = Path(runner.config.storage_path)
    return sorted(path for path in database.parent.iterdir() if path.name.startswith(database.name))


def found_in_files(runner: BotRunner, needle: bytes) -> list[str]:
    """The data files (by name) whose bytes contain `needle` anywhere, deleted pages and WAL frames included."""
    return [path.name for path in data_files(runner) if needle in path.read_bytes()]


async def table(runner: BotRunner, name: str) -> list[tuple[object, ...]]:
    async with runner.services.store.transaction() as store:
        return (await store.dump_tables())[name]
