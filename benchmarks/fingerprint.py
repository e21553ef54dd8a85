"""Fingerprint a run's outputs: a refactoring must leave them byte for byte as they were.

`python -m benchmarks.fingerprint OUT` prints, as JSON, the SHA-256 of every leads file and
county workbook under OUT and of every mart's rows (sorted, as CSV); compare two with diff.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import duckdb


def fingerprint(out: Path, warehouse: str = "warehouse.duckdb") -> dict[str, str]:
    prints = {
        str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
        for pattern in ("leads/*.parquet", "exports/*/*.xlsx")
        for path in sorted(out.glob(pattern))
    }
    con = duckdb.connect(str(out / warehouse), read_only=True)
    try:
        marts = [
            name
            for (name,) in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                "ORDER BY table_name"
            ).fetchall()
        ]
        for mart in marts:
            rows = con.sql(f"SELECT * FROM marts.{mart}").pl()
            text = rows.sort(rows.columns).write_csv()
            prints[f"marts.{mart}"] = hashlib.sha256(text.encode()).hexdigest()
    finally:
        con.close()
    return prints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    print(json.dumps(fingerprint(parser.parse_args().out), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
