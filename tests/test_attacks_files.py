"""Attacks by whoever holds the bot's files (the person running it, a backup, a snapshot taken while it runs).

The attacker reads every file beside the database byte by byte — the database, its WAL and shared memory — and the
tables as SQLite shows them, at the moments PRIVACY.md names: after a round closes, after /forgetme or /leave, after a
backup. Each test asserts that what PRIVACY.md says is gone is gone from every byte.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from bot import command_backup
from botsim.server import BotApiSimulator
from demo import MEMBERS, join_via_invite
from tests.attacks import data_files, forget_me, found_in_files, leave, submitted_round, table
from tests.conftest import BotRunner, RunnerFactory
from tests.test_round_e2e import FULL, close_and_read_digest, open_round, script, setup_group

NO_REPLY_WINDOW = "privacy: {reply_window_hours: 0}\n"


async def test_attack_wal_keeps_the_round_secret_after_close(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    runner = await make_runner(extra=NO_REPLY_WINDOW)
    supervisor, _members = await submitted_round(sim, count=3)
    secret = (await table(runner, "rounds"))[0][7]
    assert isinstance(secret, bytes) and len(secret) == 32
    await close_and_read_digest(sim, supervisor)
    assert found_in_files(runner, secret) == [], "with the secret, every answer's author tag can be recomputed"


async def test_attack_files_keep_an_unsubmitted_draft_after_close(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await submitted_round(sim, count=4, submitting=3)
    await members[3].answer(script(3)[:3])
    assert found_in_files(bot, b"member3: a family thanked us")
    await close_and_read_digest(sim, supervisor)
    assert found_in_files(bot, b"member3") == [], "a draft that was never submitted outlived the close"


async def test_attack_files_keep_names_after_forgetme(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await submitted_round(sim, count=3)
    await close_and_read_digest(sim, supervisor)
    await forget_me(members[0].user)
    await sim.wait_idle()
    _uid, _first, last, username, _ = MEMBERS[0]
    for needle in (last, username):
        assert needle is not None
        assert found_in_files(bot, needle.encode()) == [], f"{needle!r} survived /forgetme"


async def test_attack_outbox_is_a_diary_of_each_member(sim: BotApiSimulator, bot: BotRunner) -> None:
    """Rows per member chat id (and their kinds) tell who skipped which question and who did not submit."""
    supervisor, _members = await submitted_round(sim, count=4, submitting=3)
    await close_and_read_digest(sim, supervisor)
    member_chats = {uid for uid, *_ in MEMBERS}
    rows = await table(bot, "outbox")
    kept = [row for row in rows if row[1] in member_chats and row[5] != "pending"]
    assert kept == [], f"{len(kept)} delivered rows still name a member's chat"


async def test_attack_outbox_traces_each_members_path_during_the_round(sim: BotApiSimulator, bot: BotRunner) -> None:
    """While the round is open: one member answers everything, one skips `bring` (and so is never asked its two
    follow-ups). The number of delivered rows per chat must not tell them apart."""
    supervisor, members = await setup_group(sim, count=2)
    await open_round(supervisor, members)
    await members[0].answer(script(0))
    await members[1].answer([*script(1)[:3], "k"])
    for member in members:
        await member.submit()
    await sim.wait_idle()
    rows = [row for row in await table(bot, "outbox") if row[5] != "pending"]
    per_chat = [sum(1 for row in rows if row[1] == member.user.user_id) for member in members]
    assert per_chat[0] == per_chat[1], f"delivered rows per member: {per_chat}"


async def test_attack_dedupe_keys_name_who_did_not_submit(sim: BotApiSimulator, bot: BotRunner) -> None:
    """Keys such as `closed:{round}:{member}` say who did not submit; `intro:` keys of an open round say who was
    asked. No key may carry a member id, during the round or after it."""
    supervisor, _members = await submitted_round(sim, count=4, submitting=3)
    member_ids = {str(row[0]) for row in await table(bot, "members")}

    async def naming() -> list[str]:
        keys = [str(row[4]) for row in await table(bot, "outbox") if row[4]]
        return [key for key in keys if any(part in member_ids for part in key.split(":"))]

    assert await naming() == [], "dedupe keys of the open round carry member ids"
    await close_and_read_digest(sim, supervisor)
    assert await naming() == [], "dedupe keys carry member ids after the close"


async def test_attack_outbox_keeps_the_chat_of_someone_who_erased_themselves(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    supervisor, members = await submitted_round(sim, count=3)
    await close_and_read_digest(sim, supervisor)
    await forget_me(members[1].user)
    assert [row for row in await table(bot, "outbox") if row[1] == members[1].user.user_id] == []


async def test_attack_physical_order_of_answers_reveals_authors(sim: BotApiSimulator, bot: BotRunner) -> None:
    """With no secret at all: the byte order of text answers in the files follows submission order, so grouping
    neighbours attributes them. The attacker guesses that each run of three texts is one person's."""
    supervisor, members = await setup_group(sim, count=4)
    await open_round(supervisor, members)
    for number, member in enumerate(members):
        await member.answer(script(number))
        await member.submit()
    await close_and_read_digest(sim, supervisor)
    texts = [step[5:].format(n=f"member{n}") for n in range(4) for step in FULL if step.startswith("text:")]
    # Where each text first appears: WAL frames are appended in commit order, then the database file's pages.
    files = b"".join(path.read_bytes() for path in sorted(data_files(bot), key=lambda p: not p.name.endswith("-wal")))
    placed = sorted((files.index(text.encode()), text) for text in texts)
    assert len(placed) == 12
    runs = [placed[i : i + 3] for i in range(0, 12, 3)]
    attributed = sum(len({text.split(":")[0] for _, text in run}) == 1 for run in runs)
    assert attributed < 4, "byte order grouped every member's answers together"


async def test_attack_handled_updates_keep_fine_timestamps(sim: BotApiSimulator, bot: BotRunner) -> None:
    await submitted_round(sim, count=3)
    stamps = [row[1] for row in await table(bot, "handled_updates")]
    assert stamps
    assert all(stamp % 86_400 == 0 for stamp in stamps), "each update's time of handling is kept to the microsecond"


async def test_attack_secret_outlives_the_close_by_the_reply_window(sim: BotApiSimulator, bot: BotRunner) -> None:
    """Nobody allowed a reply: at close nothing may link an answer to its author, not a day later."""
    supervisor, _members = await submitted_round(sim, count=3)
    await close_and_read_digest(sim, supervisor)
    rounds = await table(bot, "rounds")
    assert rounds[0][7] is None, "the round secret survives the close"
    assert all(row[3] is None for row in await table(bot, "answers")), "author tags survive the close"


@pytest.mark.sqlite_only
async def test_attack_files_are_readable_by_everyone(sim: BotApiSimulator, bot: BotRunner, tmp_path: Path) -> None:
    await submitted_round(sim, count=2)
    files = data_files(bot)
    assert {path.name.rsplit("-", 1)[-1] for path in files} >= {"wal", "shm"}
    target = tmp_path / "copy" / "backup.sqlite3"
    assert command_backup(bot.config.source, target) == 0
    for path in [*files, target]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"


async def test_attack_member_ids_are_reused(sim: BotApiSimulator, bot: BotRunner) -> None:
    """An id that pointed to a person who erased themselves must never point to someone else."""
    supervisor, members = await setup_group(sim, count=2)
    gone = {row[0] for row in await table(bot, "members") if row[1] == members[1].user.user_id}
    await forget_me(members[1].user)
    newcomer = sim.user(3001, "Uusi", "Jäsen", None, language_code="en")
    await join_via_invite(newcomer, supervisor)
    new_id = {row[0] for row in await table(bot, "members") if row[1] == 3001}
    assert new_id and not new_id & gone, "the newcomer got the erased member's id"


async def test_attack_member_kept_after_leaving_their_last_group(sim: BotApiSimulator, bot: BotRunner) -> None:
    _supervisor, members = await setup_group(sim, count=2)
    await leave(members[0].user)
    assert [row for row in await table(bot, "members") if row[1] == members[0].user.user_id] == []
    await sim.wait_idle()
    assert found_in_files(bot, MEMBERS[0][2].encode()) == []


@pytest.mark.sqlite_only
async def test_attack_wal_holds_erased_rows_while_the_bot_runs(sim: BotApiSimulator, bot: BotRunner) -> None:
    """A snapshot taken right after /leave (the bot still running): no page of the WAL may hold the old rows."""
    _supervisor, members = await setup_group(sim, count=3)
    await leave(members[2].user)
    wal = next(path for path in data_files(bot) if path.name.endswith("-wal"))
    assert re.search(rb"Lindqvist|annal", wal.read_bytes()) is None
