"""The two heaviest rules as an analyst would write them in plain DuckDB SQL (dbt alone),
over the same normalised tables: the yardstick for the polars rules."""

from __future__ import annotations

import duckdb

from doudi_core.config import Config
from doudi_core.period import as_of
from doudi_core.warehouse import table_exists


def deceased(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of the people *deceased* at as_of (rules.md: hukou 死亡 dated up to as_of, or a
    funeral record, latest copy, whose 死亡日期 is up to as_of); no rule but the death
    rules raises a lead on them. Reads $p and $day."""
    register = (
        "SELECT person_key FROM ingested.hukou WHERE period = (SELECT max(period) FROM "
        "ingested.hukou WHERE period <= $p) AND status = '死亡' AND status_date <= $day"
    )
    if not table_exists(con, "ingested", "funeral"):
        return register
    return (
        f"{register} UNION SELECT person_key FROM (SELECT person_key, death_date FROM "
        "ingested.funeral WHERE delivery_period <= $p QUALIFY row_number() OVER (PARTITION BY "
        "case_no ORDER BY delivery_period DESC) = 1) WHERE death_date <= $day"
    )


def med_oop_uncovered(con: duckdb.DuckDBPyConnection, period: str, config: Config) -> set[int]:
    spec = config.rule("MED_OOP_UNCOVERED")
    day = as_of(period)
    rows = con.sql(
        f"""
        WITH settlements AS (
            SELECT * FROM ingested.medical WHERE delivery_period <= $p
            QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY delivery_period DESC) = 1
        ),
        dated AS (
            SELECT s.person_key, s.oop_fen, coalesce(o.settlement_date, s.settlement_date) AS effective_date
            FROM settlements s LEFT JOIN settlements o ON o.settlement_id = s.reverses_id
        ),
        spend AS (
            SELECT person_key, sum(oop_fen) AS oop FROM dated
            WHERE effective_date > DATE '{day}' - INTERVAL {spec["window_days"]} DAY AND effective_date <= DATE '{day}'
            GROUP BY person_key
        ),
        covered AS (
            SELECT DISTINCT person_key FROM ingested.lowincome
            WHERE period = (SELECT max(period) FROM ingested.lowincome WHERE period <= $p) AND status = '在保'
        )
        SELECT person_key FROM spend WHERE oop >= {int(spec["threshold_yuan"] * 100)}
        AND person_key NOT IN (SELECT person_key FROM covered)
        AND person_key NOT IN ({deceased(con)})
        """,
        params={"p": period, "day": day},
    ).fetchall()
    return {r[0] for r in rows}


def child_unsupported(con: duckdb.DuckDBPyConnection, period: str, config: Config) -> set[int]:
    spec = config.rule("CHILD_UNSUPPORTED")
    day = as_of(period)
    rows = con.sql(
        f"""
        WITH hukou AS (
            SELECT * FROM ingested.hukou WHERE period = (SELECT max(period) FROM ingested.hukou WHERE period <= $p)
        ),
        certs AS (
            SELECT * FROM ingested.disability
            WHERE period = (SELECT max(period) FROM ingested.disability WHERE period <= $p) AND certificate_state = '有效'
        ),
        settlements AS (
            SELECT * FROM ingested.medical WHERE delivery_period <= $p
            QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY delivery_period DESC) = 1
        ),
        spend AS (
            SELECT s.person_key, sum(s.oop_fen) AS oop
            FROM settlements s LEFT JOIN settlements o ON o.settlement_id = s.reverses_id
            WHERE coalesce(o.settlement_date, s.settlement_date) > DATE '{day}' - INTERVAL {spec["window_days"]} DAY
              AND coalesce(o.settlement_date, s.settlement_date) <= DATE '{day}'
            GROUP BY s.person_key
        ),
        protected AS (
            SELECT person_key FROM ingested.lowincome
            WHERE period = (SELECT max(period) FROM ingested.lowincome WHERE period <= $p)
              AND status = '在保' AND category IN ('孤儿', '事实无人抚养儿童')
        ),
        heads AS (
            SELECT household_no,
                   first(person_key) FILTER (WHERE id_sex = '男') AS hf,
                   first(person_key) FILTER (WHERE id_sex = '女') AS hm
            FROM hukou WHERE relation IN ('户主', '配偶') GROUP BY household_no
        ),
        children AS (
            SELECT c.person_key,
                   coalesce(c.father_key, CASE WHEN c.relation IN ('子', '女') THEN h.hf END) AS father,
                   coalesce(c.mother_key, CASE WHEN c.relation IN ('子', '女') THEN h.hm END) AS mother
            FROM hukou c LEFT JOIN heads h USING (household_no)
            WHERE c.status = '正常' AND date_diff('year', c.id_birth_date, DATE '{day}')
                  - CASE WHEN strftime(c.id_birth_date, '%m%d') > '{day:%m%d}' THEN 1 ELSE 0 END < {spec["adult_age"]}
              AND c.person_key NOT IN (SELECT person_key FROM protected)
              AND c.person_key NOT IN ({deceased(con)})
        ),
        facts AS (
            SELECT p.person_key,
                   p.status IN ('服刑在押', '失踪')
                     OR EXISTS (SELECT 1 FROM certs c WHERE c.person_key = p.person_key
                                AND (c.grade IN ('一级', '二级') OR (c.grade IN ('三级', '四级') AND c.category IN ('智力', '精神'))))
                     OR coalesce((SELECT oop FROM spend s WHERE s.person_key = p.person_key), 0)
                        >= {int(spec["serious_illness_oop_yuan"] * 100)} AS unable,
                   p.status IN ('死亡', '失踪') AS gone,
                   p.status = '死亡' AS dead
            FROM (SELECT person_key, status FROM hukou
                  UNION SELECT person_key, NULL FROM certs WHERE person_key NOT IN (SELECT person_key FROM hukou)
                  UNION SELECT person_key, NULL FROM spend WHERE person_key NOT IN (SELECT person_key FROM hukou)) p
        )
        SELECT c.person_key FROM children c
        JOIN facts f ON f.person_key = c.father JOIN facts m ON m.person_key = c.mother
        WHERE (coalesce(f.unable, false) AND coalesce(m.unable, false))
           OR (coalesce(f.gone, false) AND coalesce(m.unable, false))
           OR (coalesce(m.gone, false) AND coalesce(f.unable, false))
           OR (coalesce(f.dead, false) AND coalesce(m.dead, false))
        """,
        params={"p": period, "day": day},
    ).fetchall()
    return {r[0] for r in rows}
