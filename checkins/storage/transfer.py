"""Moving a deployment between databases (`bot.py migrate-storage`): copy every table, then prove the copy equal.

Both databases are opened as stores, so each is first brought to the current schema version; the target must be
empty. Tables are copied in the order they were created (parents before the rows that refer to them) inside one
transaction on the target, so a failed copy leaves it empty. Afterwards every table is read back from both sides and
compared row by row — values as Python sees them, so 1.5 in SQLite's REAL equals 1.5 in PostgreSQL's DOUBLE
PRECISION — and the target's id counters are moved past the copied ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkins.storage.base import Database

BATCH_ROWS = 1000


class TransferError(Exception):
    """The copy cannot be made (target not empty, schemas differ) or did not come out equal."""


@dataclass(frozen=True)
class TransferReport:
    rows_by_table: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows_by_table.values())


async def copy_database(source: Database, target: Database) -> TransferReport:
    """Copy every row of `source` into the empty `target` and verify that every table reads back equal."""
    tables = await source.table_names()
    if sorted(tables) != sorted(await target.table_names()):
        raise TransferError("the two databases do not have the same tables; upgrade both to this version first")
    for table in tables:
        if await target._one(f'SELECT 1 FROM "{table}" LIMIT 1'):
            raise TransferError(f"the target is not empty: table {table} has rows; use a new, empty database")
    copied: dict[str, int] = {}
    async with target.transaction():
        for table in tables:
            columns = await _columns(source, table)
            if columns != await _columns(target, table):
                raise TransferError(f"table {table} has different columns in the two databases")
            names = ", ".join(f'"{column}"' for column in columns)
            insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
            rows = [tuple(row) for row in await source._all(f'SELECT {names} FROM "{table}"')]
            for start in range(0, len(rows), BATCH_ROWS):
                await target._many(insert, rows[start : start + BATCH_ROWS])
            copied[table] = len(rows)
        await target._engine.after_copy()
    for table in tables:
        if await _sorted_rows(source, table) != await _sorted_rows(target, table):
            raise TransferError(f"table {table} did not read back equal after the copy")
    return TransferReport(copied)


async def _columns(database: Database, table: str) -> list[str]:
    return await database._engine.column_names(table)


async def _sorted_rows(database: Database, table: str) -> list[tuple[Any, ...]]:
    rows = await database._all(f'SELECT * FROM "{table}"')
    return sorted((tuple(row) for row in rows), key=repr)
