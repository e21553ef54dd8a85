"""Shared fixtures: a test pseudonym key, and generated cities with known truth."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def truth_dir(inbox: Path, period: str) -> Path:
    return inbox.parent / "truth" / period
