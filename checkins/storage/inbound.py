"""Queries for updates in transit between instances: a standby that receives a webhook call stores the update here
(committed before it answers Telegram), and the active instance reads, handles and deletes it. A row holds the
update's JSON as Telegram sent it (answer text, names) and lives only until it is handled."""

from __future__ import annotations

from checkins.storage.base import Queries


class InboundQueries(Queries):
    # --- updates received by a standby ---------------------------------------------------------------------------

    async def store_inbound(self, update_id: int, payload: str, now: float) -> None:
        """Keep an update for the active instance; one Telegram sends again (to any instance) is kept once."""
        await self._run(
            "INSERT INTO inbound_updates (update_id, payload, received_at) VALUES (?, ?, ?) "
            "ON CONFLICT (update_id) DO NOTHING",
            (update_id, payload, now),
        )

    async def inbound_updates(self, limit: int) -> list[tuple[int, str]]:
        """The oldest waiting updates (id and JSON), in Telegram's order."""
        rows = await self._all("SELECT update_id, payload FROM inbound_updates ORDER BY update_id LIMIT ?", (limit,))
        return [(int(row[0]), str(row[1])) for row in rows]

    async def forget_inbound(self, update_id: int) -> None:
        await self._run("DELETE FROM inbound_updates WHERE update_id = ?", (update_id,))

    async def inbound_count(self) -> int:
        row = await self._one("SELECT COUNT(*) FROM inbound_updates")
        return int(row[0]) if row else 0
