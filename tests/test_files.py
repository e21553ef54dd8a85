"""Reading files as departments send them: encodings, title rows, totals, bad files."""

import datetime as dt

import polars as pl
import pytest
import xlsxwriter

from ingest import files
from ingest.files import FileRejected, read_file
from sources import SOURCES

DISABILITY = SOURCES["disability"]

HEADER = list(DISABILITY.columns)
ROW = [
    "32130219900101123400",
    "321302199001011234",
    "张三",
    "肢体",
    "一级",
    "2020-01-01",
    "有效",
    "是",
    "是",
    "321302001",
]


def _csv(path, rows, encoding="utf-8", header=HEADER):
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    raw = read_file(_csv(tmp_path / "a.csv", [ROW], encoding), DISABILITY)
    assert raw.rows["name"].to_list() == ["张三"]
    assert raw.rows["_row"].to_list() == [2]
    assert raw.encoding == {"gbk": "gb18030"}.get(encoding, encoding)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
def test_a_gb18030_file_recoded_in_pieces_reads_whole_characters(tmp_path, monkeypatch, chunk):
    """Two- and four-byte characters (张, 𠀀) cut across every piece boundary."""
    monkeypatch.setattr(files, "RECODE_BYTES", chunk)
    names = ["张三", "李𠀀四", "𠀀", "王五"]
    rows = [[ROW[0], ROW[1], name, *ROW[3:]] for name in names]
    raw = read_file(_csv(tmp_path / "a.csv", rows, "gb18030"), DISABILITY)
    assert raw.encoding == "gb18030"
    assert raw.rows["name"].to_list() == names


def test_undecodable_csv_is_rejected_naming_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n\x81\x20\xff\xfe,\x80\n")
    with pytest.raises(FileRejected, match=r"bad.csv.*cannot be decoded"):
        read_file(path, DISABILITY)


def test_missing_required_column_names_the_column(tmp_path):
    header = [h for h in HEADER if h != "残疾等级"]
    path = _csv(tmp_path / "x.csv", [ROW[:4] + ROW[5:]], header=header)
    with pytest.raises(FileRejected, match=r"x.csv.*残疾等级"):
        read_file(path, DISABILITY)


def test_header_spaces_and_fullwidth_brackets_and_extra_columns(tmp_path):
    header = [" 残疾人证号 ", *HEADER[1:], "备注（内部）"]
    raw = read_file(_csv(tmp_path / "x.csv", [[*ROW, "内部"]], header=header), DISABILITY)
    assert raw.rows["certificate_no"].to_list() == [ROW[0]]
    assert raw.extra_columns == ["备注（内部）"]
    assert "备注" not in raw.rows.columns


def test_blank_trailing_rows_are_counted_not_read(tmp_path):
    path = _csv(tmp_path / "x.csv", [ROW, [""] * len(ROW), [""] * len(ROW)])
    raw = read_file(path, DISABILITY)
    assert raw.rows.height == 1
    assert raw.blank_rows == 2


def test_xlsx_title_rows_totals_and_excel_dates(tmp_path):
    path = tmp_path / "x.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write(0, 0, "宿迁市残疾人联合会残疾人证信息（2026年10月）")
    sheet.write(1, 0, "制表日期：2026年10月")
    sheet.write_row(3, 0, HEADER)
    sheet.write_row(4, 0, ROW)
    sheet.write_datetime(
        4, 5, dt.datetime(2020, 1, 1), book.add_format({"num_format": "yyyy-mm-dd"})
    )
    sheet.write_row(5, 0, ROW)
    sheet.write_number(5, 5, 43831)  # 2020-01-01 as an Excel serial
    sheet.write(7, 0, "合计")
    sheet.write(7, 1, "2人")
    book.close()
    raw = read_file(path, DISABILITY)
    assert raw.header_row == 4
    assert raw.rows["_row"].to_list() == [5, 6]
    assert raw.rows["issue_date"].to_list() == ["2020-01-01", "43831"]
    assert raw.totals_rows == 1
    assert raw.blank_rows == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty file"),
        ("binary.csv", b"\x00\x01\x02PK\x00", "binary"),
        ("fake.xlsx", b"PK\x03\x04 not really a zip", "not a readable xlsx"),
        ("notes.txt", b"hello", "unsupported file type"),
        ("header_only.csv", ",".join(HEADER).encode(), None),
    ],
)
def test_broken_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    if message is None:
        assert read_file(path, DISABILITY).rows.height == 0
        return
    with pytest.raises(FileRejected, match=message):
        read_file(path, DISABILITY)


def test_rows_keep_their_line_numbers_after_a_blank_line(tmp_path):
    path = _csv(tmp_path / "x.csv", [ROW, [""] * len(ROW), [*ROW[:2], "李四", *ROW[3:]]])
    raw = read_file(path, DISABILITY)
    assert raw.rows.select("_row", "name").rows() == [(2, "张三"), (4, "李四")]
    assert isinstance(raw.rows, pl.DataFrame)


def test_blank_and_totals_rows_are_told_by_every_cell_not_the_first_alone(tmp_path):
    """White space before data is not a blank row; 合计 after blank cells is a totals row;
    合计 in a later cell of a data row is data."""
    empty = [""] * len(ROW)
    rows = [
        ROW,
        ["  ", *ROW[1:]],  # first cell blank, the rest data: read
        [" ", "合计", *empty[2:]],  # first non-blank cell 合计: totals
        ["\t", *empty[1:]],  # white space only: blank
        [*ROW[:2], "合计", *ROW[3:]],  # 合计 as a name in a data row: read
    ]
    raw = read_file(_csv(tmp_path / "x.csv", rows), DISABILITY)
    assert raw.rows["_row"].to_list() == [2, 3, 6]
    assert (raw.blank_rows, raw.totals_rows) == (1, 1)
