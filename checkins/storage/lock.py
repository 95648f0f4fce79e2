"""One bot process per database: an exclusive lock on a file next to the database, held while the bot runs.

Two processes on one database would both deliver the outbox and double-send every message. The lock is an OS file
lock (`flock`), so the kernel releases it when its holder dies, even by SIGKILL: a crashed bot never blocks its
own restart. Backups and read-only tools do not take it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class DatabaseInUse(Exception):
    """Another bot process holds the database."""


class DatabaseLock:
    def __init__(self, database_path: Path | str) -> None:
        self.path = Path(f"{database_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise DatabaseInUse(
                f"{self.path.with_suffix('')} is in use by another Kierros process (pid {holder}); "
                "stop it first — two bots on one database would send every message twice"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
