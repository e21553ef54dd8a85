"""The generator's own GB 11643 implementation (independent of ingest.identity)."""

from __future__ import annotations

import numpy as np

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))


def with_check(body17: np.ndarray) -> np.ndarray:
    """Append the check character to an array of 17-digit strings."""
    digits = np.frombuffer("".join(body17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    checks = _CHECK[(digits.astype(np.int64) @ _WEIGHTS) % 11]
    return np.char.add(body17.astype("U17"), checks)


def check_char(body17: str) -> str:
    return str(_CHECK[sum(int(d) * int(w) for d, w in zip(body17, _WEIGHTS, strict=True)) % 11])
