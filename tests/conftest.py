"""Shared fixtures: a test pseudonym key, and generated cities with known truth."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from doudi_core.config import DEFAULT_CONFIG
from doudi_core.pseudonym import KEY_ENV, PseudonymKey

TEST_KEY_HEX = "5e" * 32
os.environ.setdefault(KEY_ENV, TEST_KEY_HEX)


@pytest.fixture(scope="session")
def key() -> PseudonymKey:
    return PseudonymKey(bytes.fromhex(TEST_KEY_HEX), "tests")


@pytest.fixture(scope="session")
def tiny_city(tmp_path_factory) -> Path:
    """Three consecutive periods (2026-08 to 2026-10) of a tiny city: returns the inbox."""
    from synth.generate import generate

    root = tmp_path_factory.mktemp("tiny")
    generate("2026-10", "tiny", 7, root / "inbox", months=3, say=lambda _: None)
    return root / "inbox"


@pytest.fixture
def add_2027_holidays(tmp_path, monkeypatch):
    """Call it to do what the bureau will: the shipped configuration plus a [calendar.2027]
    (the year the pinned chinese-calendar does not know), through DOUDI_CONFIG."""

    def add() -> None:
        config = tmp_path / "doudi-2027.toml"
        config.write_text(
            DEFAULT_CONFIG.read_text(encoding="utf-8")
            + '\n[calendar.2027]\nholidays = ["2027-01-01"]\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("DOUDI_CONFIG", str(config))

    return add


def truth_dir(inbox: Path, period: str) -> Path:
    return inbox.parent / "truth" / period
