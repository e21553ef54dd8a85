"""What the inbox holds: which sources a period folder delivers, and which periods are complete.

The file-arrival sensor starts a period's run once every source has arrived, and
again only when a file is added or changed (the fingerprint moves); `doudi run`
refuses a period folder that delivers no source at all.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sources import SOURCES

PERIOD_FOLDER = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def is_hidden(path: Path) -> bool:
    """Hidden files and the lock files an open Excel workbook leaves (`~$…`) are no delivery."""
    return path.name.startswith((".", "~$"))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not is_hidden(p))


def delivered_sources(inbox: Path, period: str) -> list[str]:
    """The sources (feedback is none) with at least one file in the period's folder."""
    return [source for source in SOURCES if _files(inbox / period / source)]


def complete_periods(inbox: Path) -> dict[str, str]:
    """period -> fingerprint (names, sizes, modification times) for every period whose
    required sources' folders all hold at least one file (a source added later, such as
    eldercare, is not waited for: an inbox may never have it)."""
    required = {name for name, source in SOURCES.items() if source.required}
    complete = {}
    if not inbox.is_dir():
        return complete
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and PERIOD_FOLDER.match(p.name)):
        if not required <= set(delivered_sources(inbox, folder.name)):
            continue
        digest = hashlib.sha256()
        for path in _files(folder):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
            )
        complete[folder.name] = digest.hexdigest()
    return complete
