"""Queries for digests: the per-question statistics kept at close, and a round's free-text answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from checkins.storage.base import Queries


@dataclass(frozen=True)
class QuestionStats:
    """One question's aggregate kept at close (a row of `question_stats`): never a row per person."""

    question_id: str
    kind: str
    responses: int
    # Answer value (a scale point as text, an option id, "yes" or "no") → how many gave it; empty for free text.
    counts: Mapping[str, int]
    mean: float | None = None
    median: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))

    def count(self, value: str | int) -> int:
        return self.counts.get(str(value), 0)


class DigestQueries(Queries):
    # --- per-question statistics -------------------------------------------------------------------------------

    async def save_question_stats(self, round_id: str, rows: Iterable[QuestionStats]) -> None:
        for stats in rows:
            await self._run(
                "INSERT INTO question_stats (round_id, question_id, kind, responses, counts, mean, median) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (round_id, question_id) DO UPDATE SET kind = excluded.kind, "
                "responses = excluded.responses, counts = excluded.counts, mean = excluded.mean, "
                "median = excluded.median",
                (
                    round_id,
                    stats.question_id,
                    stats.kind,
                    stats.responses,
                    json.dumps(dict(stats.counts), sort_keys=True),
                    stats.mean,
                    stats.median,
                ),
            )

    async def group_question_stats(self, group_id: str) -> dict[str, dict[str, QuestionStats]]:
        """Every kept statistic of a group's rounds, by round id and question id."""
        rows = await self._all(
            "SELECT s.round_id, s.question_id, s.kind, s.responses, s.counts, s.mean, s.median "
            "FROM question_stats AS s JOIN rounds AS r ON r.id = s.round_id WHERE r.group_id = ?",
            (group_id,),
        )
        found: dict[str, dict[str, QuestionStats]] = {}
        for round_id, question_id, kind, responses, counts, mean, median in rows:
            found.setdefault(round_id, {})[question_id] = QuestionStats(
                question_id, kind, responses, json.loads(counts), mean, median
            )
        return found

    async def rewrite_texts(
        self, round_id: str, question_ids: Iterable[str], rewrite: Callable[[str, tuple[str, ...]], str]
    ) -> int:
        """Replace each of the round's free-text answers to these questions by `rewrite(text, kept)`, `kept` being
        the words its author put back at review; returns how many changed."""
        wanted = set(question_ids)
        rows = await self._all("SELECT id, question_id, value, kept FROM answers WHERE round_id = ?", (round_id,))
        changed = 0
        for answer_id, question_id, value, kept in rows:
            text = json.loads(value)
            words = tuple(json.loads(kept)) if kept else ()
            if question_id not in wanted or not isinstance(text, str) or (new := rewrite(text, words)) == text:
                continue
            await self._run("UPDATE answers SET value = ? WHERE id = ?", (json.dumps(new), answer_id))
            changed += 1
        # The words members put back have done their work: nothing about an answer's review outlives the close.
        await self._run("UPDATE answers SET kept = NULL WHERE round_id = ?", (round_id,))
        return changed

    async def round_texts(self, round_id: str, question_ids: Iterable[str]) -> dict[str, list[str]]:
        """A round's free-text answers for these questions, by question, in the random order of their random ids."""
        wanted = set(question_ids)
        rows = await self._all("SELECT question_id, value FROM answers WHERE round_id = ? ORDER BY id", (round_id,))
        texts: dict[str, list[str]] = {}
        for question_id, value in rows:
            if question_id in wanted:
                texts.setdefault(question_id, []).append(str(json.loads(value)))
        return texts
