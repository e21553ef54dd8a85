"""County workbooks out, caseworkers' answers back in: the round trip of outputs.md."""

import datetime as dt
import hashlib
import shutil
from concurrent.futures import ProcessPoolExecutor

import dagster as dg
import duckdb
import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_core.config import load_config
from doudi_core.period import as_of
from doudi_core.places import COUNTIES
from orchestration.definitions import all_assets, resources_for
from orchestration.resources import DoudiResource
from workbooks import export
from workbooks.layout import LEAD_HEADERS, RESULTS, row_lines

FIRST, SECOND = "2026-09", "2026-10"
CONFIG = load_config()
WRITTEN_AT = dt.datetime(2026, 11, 2, 9, 30)


@pytest.fixture(scope="module")
def first_run(tiny_city, tmp_path_factory):
    root = tmp_path_factory.mktemp("wb")
    shutil.copytree(tiny_city, root / "inbox")
    resource = DoudiResource(
        inbox=str(root / "inbox"), out=str(root / "out"), warehouse=str(root / "out" / "w.duckdb")
    )
    assert dg.materialize(
        all_assets, partition_key=FIRST, resources=resources_for(resource)
    ).success
    return root, resource


def _books(root, period):
    return sorted((root / "out" / "exports" / period).glob("*.xlsx"))


def _town_sheets(book):
    """The sheets of leads: every sheet but 汇总 and 说明."""
    return [sheet for sheet in book.worksheets if sheet.title not in ("汇总", "说明")]


def _lead_rows(sheet):
    header = [c.value for c in sheet[1]]
    return header, [r for r in sheet.iter_rows(min_row=2) if r[0].value]


def test_each_county_workbook_holds_only_its_own_leads(first_run):
    root, _ = first_run
    leads = pl.read_parquet(root / "out" / "leads" / f"{FIRST}.parquet")
    books = _books(root, FIRST)
    assert {p.name for p in books} == {
        f"{c}_{COUNTIES[c]}.xlsx" for c in leads["county_code"].unique()
    }
    seen = []
    for path in books:
        county = path.name[:6]
        book = openpyxl.load_workbook(path)
        assert book.sheetnames[:2] == ["汇总", "说明"]
        assert book["汇总"]["B2"].value == county and book["汇总"]["B3"].value == FIRST
        assert book.properties.subject == f"county={county};period={FIRST}"
        for sheet in _town_sheets(book):
            header, rows = _lead_rows(sheet)
            assert header[:12] == [
                "线索编号",
                "预警类型",
                "优先级",
                "状态",
                "姓名",
                "公民身份号码",
                "性别",
                "年龄",
                "村（社区）",
                "触发依据",
                "建议措施",
                "核查截止日期",
            ]
            assert header[12:] == ["核查结果", "核查日期", "核查人", "备注"]
            ids = [r[0].value for r in rows]
            seen += ids
            expected = set(leads.filter(pl.col("county_code") == county)["lead_id"])
            assert set(ids) <= expected
            assert sheet.freeze_panes == "C2"
            lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
            assert len(lists) == 1
            assert lists[0].formula1.strip('"').split(",") == RESULTS
            assert sheet.protection.sheet
            assert (
                sheet.page_setup.orientation == "landscape"
                and str(sheet.page_setup.paperSize) == "9"
            )
    assert sorted(seen) == sorted(leads["lead_id"].to_list())


def test_no_cell_is_a_formula_and_formula_like_names_are_shown_as_delivered(first_run):
    """outputs.md: text that begins with =, +, - or @ "is a string cell, never a formula, and is
    shown exactly as delivered (no added apostrophe)"."""
    root, _ = first_run
    leads = pl.read_parquet(root / "out" / "leads" / f"{FIRST}.parquet")
    formula_like = leads.filter(pl.col("name").str.contains(r"^[=+\-@]"))
    assert formula_like.height, "the generator plants formula-like names"
    shown = {}
    for path in _books(root, FIRST):
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, sheet.title, cell.coordinate)
        for sheet in _town_sheets(book):
            header, rows = _lead_rows(sheet)
            at = {name: header.index(name) for name in ("线索编号", "姓名")}
            shown |= {r[at["线索编号"]].value: r[at["姓名"]].value for r in rows}
    for lead, name in formula_like.select("lead_id", "name").rows():
        assert shown[lead] == name  # no apostrophe, nothing stripped


def test_every_workbook_is_audited(first_run):
    root, resource = first_run
    con = duckdb.connect(resource.warehouse, read_only=True)
    audit = con.sql(
        "SELECT file, rows, sha256 FROM exports.workbook_audit WHERE period = ?", params=[FIRST]
    ).pl()
    con.close()
    for path in _books(root, FIRST):
        row = audit.filter(pl.col("file") == f"exports/{FIRST}/{path.name}")
        assert row.height >= 1
        assert row["sha256"][-1] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not list((root / "out" / "exports" / FIRST).glob(".*tmp"))


def test_workbooks_written_by_two_processes_are_those_written_in_turn(
    first_run, tmp_path, monkeypatch
):
    root, resource = first_run
    leads = pl.read_parquet(root / "out" / "leads" / f"{FIRST}.parquet")
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(resource.warehouse, warehouse)
    pools = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(export, "ProcessPoolExecutor", CountedPool)
    written = {}
    for way, parallel_leads in (("in turn", 10**9), ("two processes", 0)):
        monkeypatch.setattr(export, "PARALLEL_LEADS", parallel_leads)
        con = duckdb.connect(str(warehouse))
        audit = export.export_period(
            con, leads, tmp_path / way, FIRST, as_of(FIRST), resource.config(), WRITTEN_AT
        )
        con.close()
        written[way] = {
            row["file"]: (
                row["sha256"],
                hashlib.sha256((tmp_path / way / row["file"]).read_bytes()).hexdigest(),
            )
            for row in audit.iter_rows(named=True)
        }
    assert len(pools) == 1
    assert len(written["in turn"]) > 1
    assert written["two processes"] == written["in turn"]
    assert all(audited == on_disk for audited, on_disk in written["in turn"].values())


def _fill(path, answers):
    """Answer leads the way a caseworker does: values picked from the sheet's own drop-down."""
    book = openpyxl.load_workbook(path)
    for sheet in _town_sheets(book):
        choices = (
            next(v for v in sheet.data_validations.dataValidation if v.type == "list")
            .formula1.strip('"')
            .split(",")
        )
        header, rows = _lead_rows(sheet)
        col = {
            name: header.index(name)
            for name in ("线索编号", "核查结果", "核查日期", "核查人", "备注")
        }
        for row in rows:
            lead = row[col["线索编号"]].value
            if lead in answers:
                result, day, lead_override = answers[lead]
                assert result in choices or result == "随便写"
                row[col["核查结果"]].value = result
                row[col["核查日期"]].value = day
                row[col["核查人"]].value = "王核查"
                if lead_override:
                    row[col["线索编号"]].value = lead_override
    return book


def test_round_trip_closes_answered_leads_and_quarantines_bad_rows(first_run, tmp_path):
    root, resource = first_run
    leads = pl.read_parquet(root / "out" / "leads" / f"{FIRST}.parquet")
    county = "321322"
    stable = pl.col("rule_code").is_in(
        ["DIS_SEVERE_UNCOVERED", "DIS_CARE_SUBSIDY_MISSING"]
    )  # certificates persist
    mine = (
        leads.filter((pl.col("county_code") == county) & stable)
        .sort("lead_id")["lead_id"]
        .to_list()
    )
    other = leads.filter(pl.col("county_code") != county)["lead_id"][0]
    closed, progress, bad_result, future, unknown = mine[:5]
    answers = {
        closed: ("不属实", dt.datetime(2026, 10, 20), None),
        progress: ("属实-待办理", dt.datetime(2026, 10, 21), None),
        bad_result: ("随便写", dt.datetime(2026, 10, 21), None),
        future: ("无法核实", dt.datetime(2026, 12, 1), None),
        unknown: ("不属实", dt.datetime(2026, 10, 2), "MOU-2609-FFFFFFFFFF"),
    }
    path = next(p for p in _books(root, FIRST) if p.name.startswith(county))
    book = _fill(path, answers)
    sheet = _town_sheets(book)[0]
    sheet.append(
        [
            other,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "不属实",
            dt.datetime(2026, 10, 5),
            "王核查",
            None,
        ]
    )  # another county's lead
    folder = root / "inbox" / SECOND / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    book.save(folder / "沭阳回收.xlsx")
    shutil.copy(
        folder / "沭阳回收.xlsx", folder / "沭阳回收(1).xlsx"
    )  # the same workbook returned twice
    stray = openpyxl.Workbook()
    stray.active.append(["姓名", "备注"])
    stray.save(folder / "其他表格.xlsx")

    result = dg.materialize(all_assets, partition_key=SECOND, resources=resources_for(resource))
    assert result.success
    second = pl.read_parquet(root / "out" / "leads" / f"{SECOND}.parquet")
    ids = set(second["lead_id"])
    assert closed not in ids
    assert progress in ids and second.filter(pl.col("lead_id") == progress)["status"][0] == "持续"
    con = duckdb.connect(resource.warehouse, read_only=True)
    rejected = dict(
        con.sql(
            "SELECT reason, count(*) FROM ingested.quarantine WHERE period = ? AND source = 'feedback' "
            "GROUP BY ALL",
            params=[SECOND],
        ).fetchall()
    )
    state = con.sql(
        "SELECT state, closed_result FROM leads.lead_states WHERE period = ? AND lead_id = ?",
        params=[SECOND, closed],
    ).fetchall()
    accounting = con.sql(
        "SELECT sum(rows_read), sum(rows_loaded + rows_quarantined) FROM ingested.file_accounting "
        "WHERE period = ? AND source = 'feedback'",
        params=[SECOND],
    ).fetchall()[0]
    con.close()
    assert state == [("closed_verified", "不属实")]
    # each bad row is rejected in both copies; the copy's two valid answers change nothing
    assert rejected == {
        "RESULT_NOT_IN_LIST": 2,
        "DATE_AFTER_PERIOD": 2,
        "UNKNOWN_LEAD": 2,
        "WRONG_COUNTY": 2,
        "DUPLICATE_ANSWER": 2,
        "NOT_A_DOUDI_WORKBOOK": 1,
    }
    assert accounting[0] == accounting[1]  # a file rejected whole is one quarantined entry (row 0)

    # run the second period again: same answers, same outcome (nothing counted twice)
    assert dg.materialize(
        all_assets, partition_key=SECOND, resources=resources_for(resource)
    ).success
    again = pl.read_parquet(root / "out" / "leads" / f"{SECOND}.parquet")
    assert again.equals(second)


def _lines_by_hand(value, width) -> int:
    """Wrapped lines of one cell: a CJK or full-width character is an em wide, any other
    0.6 em; a column of width w is 7w + 5 pixels (Excel's), less 5 of padding, and an em of
    11-point text is 11 × 96 / 72 pixels. A cell that wraps needs one line more for each run
    of 12 or more ASCII letters and digits (an identity number moves to a new line whole; a
    lead number breaks at its hyphens)."""
    text = "" if value is None else str(value)
    ems = sum(1 if ord(ch) > 0x2E7F else 0.6 for ch in text)
    per_line_ems = int((int(width * 7 + 0.5) + 5 - 5) / (11 * 96 / 72 / 10)) / 10
    lines = max(1, -(-round(ems * 10) // round(per_line_ems * 10)))
    if lines == 1:
        return lines
    runs, run = 0, 0
    for ch in text + "\n":
        if ch.isascii() and ch.isalnum():
            run += 1
        else:
            runs += run >= 12
            run = 0
    return lines + runs


_CELL = st.one_of(
    st.none(),
    st.text(
        st.one_of(
            st.characters(max_codepoint=0x7F),
            st.characters(min_codepoint=0x2E70, max_codepoint=0x2E90),
            st.characters(min_codepoint=0x4E00, max_codepoint=0x4E20),
            st.characters(min_codepoint=0xFF01, max_codepoint=0xFF10),
            st.characters(min_codepoint=0x1F600, max_codepoint=0x1F605),
        ),
        max_size=80,
    ),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*[_CELL for _ in LEAD_HEADERS]), min_size=1, max_size=5))
def test_row_heights_fit_the_tallest_wrapped_cell(rows):
    fields = [field for _, field, _ in LEAD_HEADERS]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(fields, pl.String), orient="row")
    expected = [
        max(_lines_by_hand(v, w) for v, (_, _, w) in zip(row, LEAD_HEADERS, strict=True))
        for row in rows
    ]
    assert row_lines(frame).to_list() == expected


def test_row_heights_count_dates_and_numbers_as_written():
    lead = {field: None for _, field, _ in LEAD_HEADERS}
    frame = pl.DataFrame([{**lead, "age": 7, "due_date": dt.date(2026, 11, 20)}])
    assert row_lines(frame).to_list() == [1]  # "2026-11-20", 6 em, fits 13.5 (6.6 em a line)
    wide = pl.DataFrame([{**lead, "due_date": dt.date(2026, 11, 20), "evidence": "医" * 30}])
    assert row_lines(wide).to_list() == [3]  # 30 em in 12.2 a line


def test_the_summary_counts_each_towns_leads_by_rule_and_status(first_run):
    """outputs.md: "a 汇总 sheet: counts by town × rule, new vs continuing, overdue" — checked
    against counts made here from the leads file."""
    root, _ = first_run
    leads = pl.read_parquet(root / "out" / "leads" / f"{FIRST}.parquet")
    names = {code: CONFIG.rule(code)["name"] for code in CONFIG.rule_codes}
    checked = 0
    for path in _books(root, FIRST):
        county = leads.filter(pl.col("county_code") == path.name[:6])
        sheet = openpyxl.load_workbook(path)["汇总"]
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        at = next(i for i, r in enumerate(rows) if r[0] == "乡镇（街道）")
        header, body = rows[at], rows[at + 1 :]
        total = next(r for r in body if r[0] == "合计")
        # issue 22: a column for every rule, always, in the rule catalogue's order
        assert header[1 : 1 + len(names)] == list(names.values())
        assert total[header.index("高优先级")] == county.filter(pl.col("priority") == "高").height
        for code, name in names.items():
            expected = county.filter(pl.col("rule_code") == code).height
            if name in header:
                assert total[header.index(name)] == expected, (path.name, name)
            else:
                assert expected == 0, (path.name, name)
        assert total[header.index("新增")] == county.filter(pl.col("status") == "新增").height
        assert total[header.index("持续")] == county.filter(pl.col("status") == "持续").height
        overdue = county.filter(pl.col("due_date") < as_of(FIRST)).height
        assert total[header.index("已逾期")] == overdue
        assert sum(r[header.index("合计")] for r in body if r[0] != "合计") == county.height
        checked += 1
    assert checked > 1


def test_each_audit_row_names_its_county_its_lead_count_and_when_it_was_written(
    first_run, tmp_path
):
    """outputs.md: "Every workbook and roster written is recorded in an audit table: period,
    county or department, row count, SHA-256 of the file, time written"."""
    root, resource = first_run
    leads = pl.read_parquet(root / "out" / "leads" / f"{FIRST}.parquet")
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(resource.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        export.export_period(
            con, leads, tmp_path, FIRST, as_of(FIRST), resource.config(), WRITTEN_AT
        )
        audit = con.sql(
            "SELECT * FROM exports.workbook_audit WHERE written_at = ?", params=[WRITTEN_AT]
        ).pl()
    finally:
        con.close()
    per_county = dict(leads.group_by("county_code").len().rows())
    assert sorted(audit["county_code"]) == sorted(per_county)
    for row in audit.iter_rows(named=True):
        assert row["period"] == FIRST
        assert (
            row["file"]
            == f"exports/{FIRST}/{row['county_code']}_{COUNTIES[row['county_code']]}.xlsx"
        )
        assert row["rows"] == per_county[row["county_code"]]
        assert row["sha256"] == hashlib.sha256((tmp_path / row["file"]).read_bytes()).hexdigest()


def test_town_sheets_list_high_priority_then_overdue_then_by_village_then_rule(first_run):
    """Issue 22: "Rows on each town sheet are ordered by priority (高 first), then overdue
    first, then village, then rule — not by the 线索编号's letters"."""
    root, _ = first_run
    catalogue = [CONFIG.rule(code)["name"] for code in CONFIG.rule_codes]
    due = as_of(FIRST)
    checked = 0
    for path in _books(root, FIRST):
        for sheet in _town_sheets(openpyxl.load_workbook(path)):
            header, rows = _lead_rows(sheet)
            at = {h: header.index(h) for h in ("优先级", "核查截止日期", "村（社区）", "预警类型")}
            keys = [
                (
                    {"高": 0, "中": 1, "低": 2}[r[at["优先级"]].value],
                    r[at["核查截止日期"]].value.date() >= due,
                    r[at["村（社区）"]].value is None,
                    r[at["村（社区）"]].value or "",
                    catalogue.index(r[at["预警类型"]].value),
                )
                for r in rows
            ]
            assert keys == sorted(keys), (path.name, sheet.title)
            checked += len(keys) > 1 and len(set(k[0] for k in keys)) > 1
    assert checked > 0  # some sheet mixes priorities


def test_overdue_and_soon_due_leads_are_marked_and_the_verification_date_is_bounded(tmp_path):
    """Issue 22: "Overdue leads are marked (a 逾期 marker or a red due date), and so are leads
    due within 5 working days"; "核查日期 accepts dates from the lead's period start up to the
    period's as_of plus the return window (configured)". 2026-09-30's five working days run
    to 2026-10-13 (National Day)."""
    from workbooks.writer import WorkbookJob, write_county_workbook

    def lead(lead_id, due, priority="中"):
        return {
            "lead_id": lead_id,
            "rule_name": "重度残疾人未纳入保障",
            "priority": priority,
            "status": "持续",
            "name": "张三",
            "id_number": "321302199001011234",
            "sex": "男",
            "age": 36,
            "village": None,
            "evidence": "e",
            "suggested_action": "a",
            "due_date": due,
            "county_code": "321302",
            "town_code": "321302001",
        }

    leads = pl.DataFrame(
        [
            lead("A-overdue", dt.date(2026, 9, 29)),
            lead("B-soon", dt.date(2026, 10, 13), priority="高"),
            lead("C-later", dt.date(2026, 10, 14)),
        ]
    )
    path = tmp_path / "book.xlsx"
    job = WorkbookJob(
        path,
        leads,
        FIRST,
        "321302",
        "宿城区",
        {},
        as_of(FIRST),
        tuple(CONFIG.rule(code)["name"] for code in CONFIG.rule_codes),
        dt.date(2026, 10, 13),
        dt.date(2026, 10, 31),
        tuple(CONFIG.rule(code)["check"] for code in CONFIG.rule_codes),
        "宿城区民政局",
    )
    write_county_workbook(job)
    (sheet,) = _town_sheets(openpyxl.load_workbook(path))
    header, rows = _lead_rows(sheet)
    due = header.index("核查截止日期")
    colour = {}
    for r in rows:
        rgb = r[due].font.color.rgb if r[due].font.color is not None else None
        colour[r[0].value] = rgb if isinstance(rgb, str) else None  # a theme colour: default
    assert colour["A-overdue"].endswith("C00000") and colour["B-soon"].endswith("C65911")
    assert colour["C-later"] in (None, "FF000000")
    (dates,) = [v for v in sheet.data_validations.dataValidation if v.type == "date"]
    assert dates.operator in (None, "between")  # between is the file format's default
    assert (dates.formula1, dates.formula2) == ("46266", "46326")  # 2026-09-01, 2026-10-31


def test_the_guide_sheet_explains_every_result_and_every_rule(first_run):
    """Issue 22: a 说明 sheet in Chinese: what each 核查结果 means and does, how to fill 核查日期,
    who to return the workbook to and by when, one line per rule on what to check."""
    root, _ = first_run
    path = _books(root, FIRST)[0]
    guide = openpyxl.load_workbook(path)["说明"]
    rows = {r[0]: r[1] for r in guide.iter_rows(values_only=True)}
    for result in RESULTS:
        assert rows[result], result
    assert "保持开放" in rows["属实-待办理"] and "线索关闭" in rows["不属实"]
    for code in CONFIG.rule_codes:
        assert rows[CONFIG.rule(code)["name"]] == CONFIG.rule(code)["check"]
    assert "2026-09-01" in rows["核查日期"] and "2026-10-31" in rows["核查日期"]
    assert CONFIG.raw["workbooks"]["return_to"] in rows["交回"]


def _column_pixels(sheet) -> list[int]:
    """Each set column's width in pixels as Excel computes it from the stored width (which
    includes the cell padding): trunc((256 w + trunc(128 / 7)) / 256 × 7), 7 the default
    font's digit width. openpyxl keeps a run of equal widths as one range (min..max)."""
    pixels = []
    for dimension in sheet.column_dimensions.values():
        one = int((256 * dimension.width + 128 // 7) / 256 * 7)
        pixels += [one] * (dimension.max - dimension.min + 1)
    return pixels


def test_every_sheet_prints_its_text_at_9_points_or_more_on_a4_landscape(first_run):
    """Issue 22: "set an explicit print scale ... so that font size × scale is at least 9 pt,
    and assert that arithmetic for every sheet"; and the columns fit the page's width at
    that scale (A4 landscape, 297 mm, less two 0.25-inch margins, 96 pixels an inch)."""
    root, _ = first_run
    printable_px = (297 / 25.4 - 2 * 0.25) * 96
    for path in _books(root, FIRST):
        for sheet in openpyxl.load_workbook(path).worksheets:
            setup = sheet.page_setup
            assert setup.orientation == "landscape" and int(setup.paperSize) == 9, sheet.title
            assert not sheet.sheet_properties.pageSetUpPr or not (
                sheet.sheet_properties.pageSetUpPr.fitToPage
            ), f"{sheet.title}: fitted by the renderer, not printed at a decided scale"
            scale = int(setup.scale or 100)  # 100 % is not written
            sizes = {
                cell.font.sz
                for row in sheet.iter_rows()
                for cell in row
                if isinstance(cell.value, str | int) and cell.font.sz
            }
            assert min(sizes) * scale / 100 >= 9, (path.name, sheet.title, min(sizes), scale)
            columns = _column_pixels(sheet)
            assert len(columns) >= sheet.max_column, (path.name, sheet.title)
            width = sum(columns) * scale / 100
            assert width <= printable_px, (path.name, sheet.title, width)


def test_every_printed_page_names_its_county_town_and_period(first_run):
    """Issue 22: "Every printed page shows the county, town, period and page number"."""
    root, _ = first_run
    for path in _books(root, FIRST):
        county = path.stem.split("_", 1)[1]
        for sheet in openpyxl.load_workbook(path).worksheets:
            header, footer = sheet.oddHeader, sheet.oddFooter
            assert county in header.left.text and sheet.title in header.left.text
            assert FIRST in header.right.text
            assert "&P" in footer.center.text and "&N" in footer.center.text


def test_villages_come_from_the_household_else_the_hukou_address(first_run):
    """Issue 22: "村(社区) ... fill it from the low-income database, else the hukou address's
    village where it can be parsed, else leave blank"."""
    root, _ = first_run
    blank, filled_from_hukou = [], 0
    for path in _books(root, FIRST):
        for sheet in _town_sheets(openpyxl.load_workbook(path)):
            header, rows = _lead_rows(sheet)
            village, rule = header.index("村（社区）"), header.index("预警类型")
            for row in rows:
                if row[rule].value == CONFIG.rule("IDENTITY_MISMATCH")["name"]:
                    continue  # a number the hukou may not know
                if not row[village].value:
                    blank.append(row[0].value)
                elif row[rule].value == CONFIG.rule("MED_OOP_UNCOVERED")["name"]:
                    filled_from_hukou += 1  # not covered: no low-income household
    assert blank == []
    assert filled_from_hukou > 0


def test_no_age_or_sex_is_read_from_a_number_whose_birth_digits_are_no_date_of_birth():
    """An IDENTITY_MISMATCH lead shows the number as delivered (rules.md); digits typed wrong
    (a birth year 2998) must not print an age of -972 on the caseworker's sheet."""
    from workbooks.export import workbook_rows

    leads = pl.DataFrame(
        {
            "lead_id": ["A", "B"],
            "rule_code": ["IDENTITY_MISMATCH", "IDENTITY_MISMATCH"],
            "id_number": ["32130229980323902X", "32130219980323902X"],
        }
    )
    villages = pl.DataFrame(
        {"lead_id": ["A", "B"], "village": [None, None]}, schema_overrides={"village": pl.String}
    )
    rows = workbook_rows(leads, villages, load_config(), dt.date(2026, 10, 31))
    assert rows["age"].to_list() == [None, 28] and rows["sex"].to_list() == [None, "女"]
