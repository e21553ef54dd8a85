"""The register side of identity repair, queried where it lies: a city's 5.8 M people are
searched for the candidates of a month's few thousand records (or a routine month's few
dozen) inside DuckDB, and only the candidates come out.

Four temporary views describe the register of the period: `r_people` (hukou facts and
whether the person is living: not hukou 死亡, no funeral record up to the period), `r_ids`
(numbers), `r_names` (names as the register has them) and `r_sounds` (each name's pinyin).
Blocking by pronunciation needs every register name's pinyin: it is computed once per
distinct name and kept in `vault.name_sounds`, so a routine month computes only new names.
"""

from __future__ import annotations

import duckdb
import polars as pl

from doudi_core.warehouse import append_rows, table_exists
from repair.names import name_forms

SOUNDS = "vault.name_sounds"
COLUMNS = "p.person_key, i.id_number, n.name, p.sex, p.household_no, p.town_code, " + (
    "p.county_code, p.village, p.living"
)


class Register:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection, period: str) -> Register:
        found = con.sql(
            "SELECT max(period) FROM ingested.hukou WHERE period <= ?", params=[period]
        ).fetchall()[0][0]
        hukou = str(found).replace("'", "")  # a period key (YYYY-MM) read from the warehouse
        cremated = (
            "SELECT DISTINCT person_key FROM ingested.funeral "
            f"WHERE delivery_period <= '{period.replace(chr(39), '')}'"
            if table_exists(con, "ingested", "funeral")
            else "SELECT NULL::BIGINT AS person_key WHERE false"
        )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW r_people AS
            SELECT h.person_key, h.sex, h.household_no, h.town_code, h.county_code, h.village,
                   h.id_birth_date, h.status <> '死亡' AND c.person_key IS NULL AS living
            FROM ingested.hukou h LEFT JOIN ({cremated}) c USING (person_key)
            WHERE h.period = '{hukou}'
            """
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW r_ids AS SELECT person_key, id_number FROM vault.identities"
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW r_names AS SELECT person_key, name FROM vault.people "
            f"WHERE source = 'hukou' AND period = '{hukou}'"
        )
        _add_new_sounds(con)
        con.execute(f"CREATE OR REPLACE TEMP VIEW r_sounds AS SELECT * FROM {SOUNDS}")
        return cls(con)

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> Register:
        """A register given as rows (tests): the same views, over tables made here."""
        con = duckdb.connect()
        people = frame.with_columns(  # noqa: F841 (read by DuckDB by name)
            id_birth_date=pl.col("id_number").str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
        )
        sounds = name_forms(frame.select("name").unique(), full=False)  # noqa: F841
        con.execute(
            "CREATE TEMP TABLE r_people AS SELECT person_key, sex, household_no, town_code, "
            "county_code, village, id_birth_date, living FROM people"
        )
        con.execute("CREATE TEMP TABLE r_ids AS SELECT person_key, id_number FROM people")
        con.execute("CREATE TEMP TABLE r_names AS SELECT person_key, name FROM people")
        con.execute("CREATE TEMP TABLE r_sounds AS SELECT name, name_sound FROM sounds")
        return cls(con)

    def living_count(self) -> int:
        return self.con.sql("SELECT count(*) FROM r_people WHERE living").fetchall()[0][0]

    def candidate_keys(self, probe: pl.DataFrame) -> pl.Series:
        """The living people any blocking rule (repair.model.BLOCKING) pairs with a record of
        `probe` (id17, birth8, birth8_swapped, name_sound, county_code, household_no)."""
        keys = self.con.sql(
            """
            WITH living AS MATERIALIZED (
                SELECT person_key, county_code, id_birth_date, household_no
                FROM r_people WHERE living
            ),
            p AS (
                SELECT *, try_strptime(birth8, '%Y%m%d')::DATE AS born,
                       try_strptime(birth8_swapped, '%Y%m%d')::DATE AS born_swapped
                FROM probe
            )
            SELECT i.person_key FROM r_ids i
                JOIN p ON substr(i.id_number, 1, 17) = p.id17
                SEMI JOIN living l ON l.person_key = i.person_key
            UNION SELECT l.person_key FROM living l
                JOIN p ON l.county_code = p.county_code AND l.id_birth_date = p.born
            UNION SELECT l.person_key FROM living l
                JOIN p ON l.county_code = p.county_code AND l.id_birth_date = p.born_swapped
            UNION SELECT l.person_key FROM r_names n
                JOIN r_sounds s USING (name)
                JOIN p ON s.name_sound = p.name_sound
                JOIN living l ON l.person_key = n.person_key AND l.county_code = p.county_code
            UNION SELECT l.person_key FROM living l JOIN p USING (household_no)
            """
        ).pl()
        return keys["person_key"]

    def rows(self, keys: pl.Series) -> pl.DataFrame:
        """The register's rows of these people (their number and name included)."""
        wanted = pl.DataFrame({"person_key": keys.cast(pl.Int64)})  # noqa: F841
        return self.con.sql(
            f"""
            SELECT {COLUMNS} FROM wanted w
            JOIN r_people p USING (person_key)
            JOIN r_ids i USING (person_key)
            LEFT JOIN r_names n USING (person_key)
            ORDER BY p.person_key
            """
        ).pl()

    def living_keys(self, keys: pl.Series) -> pl.Series:
        wanted = pl.DataFrame({"person_key": keys.cast(pl.Int64)})  # noqa: F841
        return self.con.sql(
            "SELECT person_key FROM wanted JOIN r_people USING (person_key) WHERE living"
        ).pl()["person_key"]

    def households(self, keys: pl.Series) -> pl.DataFrame:
        """person_key -> 户号 of these people (the low-income households' members)."""
        wanted = pl.DataFrame({"person_key": keys.cast(pl.Int64)})  # noqa: F841
        return self.con.sql(
            "SELECT person_key, household_no FROM wanted JOIN r_people USING (person_key)"
        ).pl()

    def sample(self, rows: int, seed: int) -> pl.DataFrame:
        """`rows` living people drawn by a keyed hash: the same register, the same draw."""
        drawn = self.con.sql(
            f"SELECT person_key FROM r_people WHERE living "
            f"ORDER BY hash(person_key + {int(seed)}), person_key LIMIT {int(rows)}"
        ).pl()
        return self.rows(drawn["person_key"])

    def living_names(self) -> pl.DataFrame:
        """Every living person's name and number (the evaluation's naive baseline)."""
        return self.con.sql(
            "SELECT n.name, i.id_number FROM r_people p JOIN r_ids i USING (person_key) "
            "JOIN r_names n USING (person_key) WHERE p.living AND n.name IS NOT NULL"
        ).pl()


def _add_new_sounds(con: duckdb.DuckDBPyConnection) -> None:
    """Pinyin for the register names `vault.name_sounds` does not know yet."""
    known = table_exists(con, "vault", "name_sounds")
    new = con.sql(
        "SELECT DISTINCT name FROM r_names WHERE name IS NOT NULL"
        + (f" AND name NOT IN (SELECT name FROM {SOUNDS})" if known else "")
    ).pl()
    if new.height or not known:
        append_rows(con, SOUNDS, name_forms(new, full=False).select("name", "name_sound"))
