"""Digests from storage, without Telegram: statistics kept at close outlive the answers; the outbox gets the parts."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

from checkins.digest.service import DigestOutcome, DigestService
from checkins.i18n import Translator
from checkins.outbox import Outbox
from checkins.storage import Store
from checkins.storage.sqlite import SQLITE_MIGRATIONS
from demo import GROUP_ID, write_demo_config
from tests.conftest import StorageChoice

ANSWERS = [
    {"energy": 2, "went_well": "A calm week", "topic_area": ["wellbeing"], "urgency": "important"},
    {"energy": 4, "went_well": "Good teamwork", "topic_area": ["team", "ethics"], "urgency": "important"},
    {"energy": 3, "went_well": "Nothing special", "topic_area": ["wellbeing"], "urgency": "can_wait"},
]


async def closed_round(store: Store, service: DigestService, answers: list[dict[str, object]]) -> str:
    """A round of the demo group with these submissions, closed and its statistics kept, as RoundService does."""
    async with store.transaction():
        round_row = await store.create_round(GROUP_ID, "pre_session", 1_800_000_000.0)
        assert round_row.secret is not None
        for number, submission in enumerate(answers, start=1):
            member = await store.upsert_member(5000 + number, language="en", first_name=None, last_name=None,
                                               username=None)  # fmt: skip
            await store.add_participant(round_row.id, member.id)
            await store.save_progress(round_row.id, member.id, status="submitted", cursor=0, editing_one=False,
                                      multi_selection=(), prompt_outbox_id=None)  # fmt: skip
            await store.submit_drafts(round_row.id, member.id, submission, frozenset(), frozenset())
        batch = [(q, None, v, None) for _member, q, v, _reply, _kept in await store.submitted_drafts(round_row.id)]
        await store.close_round(round_row.id, 1_800_000_100.0, reply_until=1_800_000_100.0)
        await store.insert_answers(round_row.id, batch)
        await service.record_statistics(round_row, len(answers))
    return round_row.id


async def test_statistics_outlive_deleted_answers(tmp_path: Path, storage: StorageChoice) -> None:
    config = write_demo_config(tmp_path, language="en")
    store = await Store.open(storage.target(tmp_path / "k.sqlite3"))
    outbox = Outbox(store)
    service = DigestService(config, store, Translator.load(), outbox)
    try:
        round_id = await closed_round(store, service, ANSWERS)
        tables = await store.dump_tables()
        kept = {row[1]: row for row in tables["question_stats"]}
        assert set(kept) == {"energy", "went_well", "topic_area", "urgency"}
        assert kept["energy"][3:] == (3, '{"2": 1, "3": 1, "4": 1}', 3.0, 3.0)
        # Retention deletes the answers themselves.
        await store._run("DELETE FROM answers WHERE round_id = ?", (round_id,))

        async with store.transaction():
            result = await service.queue_digest(config.groups[GROUP_ID], None, dedupe="test")
        assert result.outcome is DigestOutcome.QUEUED and result.round_number == 1
        # The files are drawn once the transaction has committed, by a task of their own.
        assert [row[0] for row in (await store.dump_tables())["pending_digest_files"]] == ["test"]
        await service.finish_drawing()
        assert (await store.dump_tables())["pending_digest_files"] == []
        items = await store.due_outbox(float("inf"), 10)
        assert [item.kind for item in items] == ["message"]  # one per chat at a time, in order
        message = items[0].payload["text"]
        assert "How is your energy at work right now? <b>3.0</b>" in message
        assert "Restorative (coping, load): my own wellbeing 2" in message
        assert "2 of 3: important this time" in message
        assert "The answers were deleted after the retention period." in message
        tables = await store.dump_tables()
        kinds = [row[2] for row in sorted(tables["outbox"])]
        assert kinds == ["message", "photo", "document", "document"]  # the PDF, then the HTML report
        document = next(row for row in tables["outbox"] if '.html"' in row[3])
        report = base64.b64decode(json.loads(document[3])["data"]).decode()
        assert "The answers were deleted after the retention period." in report
        assert "A calm week" not in report
    finally:
        await store.close()


async def test_queue_digest_outcomes(tmp_path: Path, storage: StorageChoice) -> None:
    config = write_demo_config(tmp_path, language="en")
    store = await Store.open(storage.target(tmp_path / "k.sqlite3"))
    service = DigestService(config, store, Translator.load(), Outbox(store))
    group = config.groups[GROUP_ID]
    try:
        async with store.transaction():
            assert (await service.queue_digest(group, None, "a")).outcome is DigestOutcome.NO_ROUNDS
        await closed_round(store, service, ANSWERS[:2])
        async with store.transaction():
            await store.create_round(GROUP_ID, "pre_session", 1_800_000_200.0)
            assert (await service.queue_digest(group, 2, "b")).outcome is DigestOutcome.STILL_OPEN
            assert (await service.queue_digest(group, 5, "c")).outcome is DigestOutcome.NOT_FOUND
            assert (await service.queue_digest(group, 1, "d")).outcome is DigestOutcome.QUEUED
        kinds = [row[2] for row in (await store.dump_tables())["outbox"]]
        assert kinds == ["message"]  # two submissions are below the threshold: no chart, no report
        assert (await store.dump_tables())["question_stats"] == []
    finally:
        await store.close()


async def test_rounds_are_numbered_per_flow_and_listed_with_their_flow(tmp_path: Path, storage: StorageChoice) -> None:
    config = write_demo_config(tmp_path, language="en")
    store = await Store.open(storage.target(tmp_path / "k.sqlite3"))
    service = DigestService(config, store, Translator.load(), Outbox(store))
    try:
        async with store.transaction():
            for flow_id in ("pre_session", "post_session", "pre_session"):
                created = await store.create_round(GROUP_ID, flow_id, 1_800_000_000.0)
                await store.close_round(created.id, 1_800_000_100.0, reply_until=1_800_000_100.0)
        rounds = await store.rounds_of_group(GROUP_ID)
        assert [(r.number, r.flow_id, r.flow_number) for r in rounds] == [
            (1, "pre_session", 1), (2, "post_session", 1), (3, "pre_session", 2),
        ]  # fmt: skip
        listing = await service.rounds_overview(config.groups[GROUP_ID], Translator.load().for_language("en"))
        assert "\n3. Check-in before supervision, round 2 · " in listing
        assert "\n2. After the session, round 1 · " in listing
    finally:
        await store.close()


async def test_files_left_undrawn_by_a_crash_are_drawn_at_the_next_start(
    tmp_path: Path, storage: StorageChoice
) -> None:
    config = write_demo_config(tmp_path, language="en")
    store = await Store.open(storage.target(tmp_path / "k.sqlite3"))
    try:
        await closed_round(store, DigestService(config, store, Translator.load(), Outbox(store)), ANSWERS)
        # What a crash between the close's commit and the drawing leaves behind: the note that files are due.
        async with store.transaction():
            await store.add_pending_digest_files("digest:crashed", GROUP_ID, 1, 1_800_000_100.0)
        restarted = DigestService(config, store, Translator.load(), Outbox(store))
        await restarted.send_pending_files()
        tables = await store.dump_tables()
        assert tables["pending_digest_files"] == []
        assert sorted(json.loads(row[3])["filename"] for row in tables["outbox"]) == [
            "demo-pre_session-round-1.html", "demo-pre_session-round-1.pdf", "demo-pre_session-round-1.png",
        ]  # fmt: skip
        await restarted.send_pending_files()  # nothing is due any more: nothing is sent twice
        assert len((await store.dump_tables())["outbox"]) == 3
    finally:
        await store.close()


async def test_migration_numbers_existing_rounds_per_flow(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        for script in sorted(SQLITE_MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            if int(script.name[:4]) < 16:
                old.executescript(script.read_text(encoding="utf-8"))
        old.execute("PRAGMA user_version = 15")
        for number, flow_id in enumerate(("pre_session", "post_session", "pre_session", "pre_session"), 1):
            old.execute(
                "INSERT INTO rounds (id, group_id, number, flow_id, state, opened_at) VALUES (?, ?, ?, ?, 'closed', 0)",
                (f"r{number}", GROUP_ID, number, flow_id),
            )
    store = await Store.open(path)
    try:
        rounds = await store.rounds_of_group(GROUP_ID)
        assert [(r.flow_id, r.flow_number) for r in rounds] == [
            ("pre_session", 1), ("post_session", 1), ("pre_session", 2), ("pre_session", 3),
        ]  # fmt: skip
    finally:
        await store.close()
