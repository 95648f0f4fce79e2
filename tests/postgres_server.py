"""The throwaway PostgreSQL server for the tests: started once per pytest session, one empty database a test.

The server itself (finding the binaries, running it as an unprivileged user when root, creating databases) is
`benchmarks/postgres.py`, which the benchmarks use too; this module re-exports it for the fixtures in
`tests/conftest.py` and adds what pytest needs. Without server binaries, or with `KIERROS_PG=off`, every test marked
`postgresql` is skipped and the run ends with one line saying how many and how to enable them.
"""

from __future__ import annotations

import pytest

from benchmarks.postgres import (
    ENABLE_HINT,
    Database,
    PostgresServer,
    find_bindir,
    server_account,
    unavailable_reason,
)

__all__ = ["Database", "PostgresServer", "find_bindir", "server_account", "unavailable_reason"]

MARKER = "postgresql"
_SKIPPED = pytest.StashKey[set[str]]()


def skip_without_server(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the server `postgresql`, and skip them all at once when it cannot run here."""
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(MARKER)
    reason = unavailable_reason()
    wanted = [item for item in items if item.get_closest_marker(MARKER)]
    config.stash[_SKIPPED] = {item.nodeid for item in wanted} if reason else set()
    for item in wanted if reason else ():
        item.add_marker(pytest.mark.skip(reason=f"PostgreSQL: {reason}"))


def report_skipped(terminal: pytest.TerminalReporter, config: pytest.Config) -> None:
    """One line at the end of the run: how many PostgreSQL tests were skipped and how to run them."""
    marked = config.stash.get(_SKIPPED, set())
    skipped = sum(1 for report in terminal.stats.get("skipped", []) if getattr(report, "nodeid", "") in marked)
    if not skipped:
        return
    reason = unavailable_reason() or "not available"
    hint = "unset KIERROS_PG to run them" if reason == "KIERROS_PG=off" else f"to run them, {ENABLE_HINT}"
    terminal.write_line(f"{skipped} PostgreSQL tests skipped ({reason}); {hint}.", yellow=True)
