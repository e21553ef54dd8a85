"""One `doudi run` at a time per output folder: the warehouse has a single writer."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


class RunInProgress(RuntimeError):
    """Another doudi run holds the output folder."""


@contextmanager
def run_lock(out: Path):
    """Hold OUT/.doudi-run.lock for the run; a second run stops at once with a clear message.

    The operating system releases the lock when the process ends, even when killed,
    so a crashed run never blocks the next one.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / ".doudi-run.lock"
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunInProgress(
                f"another doudi run (pid {holder}) is using {out}; wait for it to finish, or stop it"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
