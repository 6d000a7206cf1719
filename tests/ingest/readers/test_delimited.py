"""Tests of crmind.ingest.readers.delimited."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from crmind.columns import ROW
from crmind.errors import ImportFileError
from crmind.ingest.readers.delimited import read_delimited
from crmind.ingest.readers.model import RAW_LIMIT, RawTable, RowReject
from crmind.ingest.readers.source import open_source

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
CDNOW_LINES = (
    "   customer_id  date  number_of_cds  dollar_value\r\n"
    " 00001 19970101  1   11.77\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  5   77.00\r\n"
    " 00003 19970102  2   20.76\r\n"
)


def _read(
    tmp_path: Path, content: str | bytes, name: str = "data.csv", **options: object
) -> RawTable:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return read_delimited(open_source(path), **options)  # type: ignore[arg-type]


def test_reads_a_clean_file_as_strings_with_spreadsheet_rows(tmp_path: Path) -> None:
    table = _read(tmp_path, "id,name,amount\n1,Ann,12.50\n2,Bob,3\n")
    assert table.frame.columns == [ROW, "id", "name", "amount"]
    assert table.frame.schema == pl.Schema(
        {ROW: pl.Int64, "id": pl.String, "name": pl.String, "amount": pl.String}
    )
    assert table.frame.rows() == [(2, "1", "Ann", "12.50"), (3, "2", "Bob", "3")]
    assert (table.format, table.encoding, table.delimiter, table.rejects) == (
        "csv",
        "utf-8",
        ",",
        (),
    )
    assert table.rows_read == 2


def test_header_names_are_stripped_and_made_unique(tmp_path: Path) -> None:
    table = _read(tmp_path, " id , name,id\n1,Ann,7\n")
    assert table.frame.columns == [ROW, "id", "name", "id_2"]


def test_empty_fields_are_null_and_values_keep_their_spaces(tmp_path: Path) -> None:
    table = _read(tmp_path, 'a,b,c\n,"", x \n1,,2\n')
    assert table.frame.rows() == [(2, None, None, " x "), (3, "1", None, "2")]


def test_quoted_multi_line_field_does_not_shift_later_rows(tmp_path: Path) -> None:
    table = _read(tmp_path, 'id,note\n1,"line one\nline two"\n2,plain\n3,"a, ""b"""\n')
    assert table.frame.rows() == [
        (2, "1", "line one\nline two"),
        (3, "2", "plain"),
        (4, "3", 'a, "b"'),
    ]


def test_crlf_line_ends(tmp_path: Path) -> None:
    table = _read(tmp_path, 'id,note\r\n1,"x\r\ny"\r\n2,z\r\n')
    assert table.frame.rows() == [(2, "1", "x\r\ny"), (3, "2", "z")]


def test_old_mac_line_ends(tmp_path: Path) -> None:
    table = _read(tmp_path, "id,name\r1,Ann\r2,Bob\r")
    assert table.frame.rows() == [(2, "1", "Ann"), (3, "2", "Bob")]


def test_blank_lines_are_skipped_but_keep_their_row_number(tmp_path: Path) -> None:
    table = _read(tmp_path, "\nid,name\n1,Ann\n\n,\n2,Bob\n")
    assert table.frame.rows() == [(3, "1", "Ann"), (6, "2", "Bob")]
    assert table.rejects == ()


def test_excel_style_empty_rows_at_the_end_are_skipped(tmp_path: Path) -> None:
    table = _read(tmp_path, "id,name,city\n1,Ann,Oslo\n,,\n,,\n")
    assert table.frame.rows() == [(2, "1", "Ann", "Oslo")]


def test_trailing_delimiters_make_no_column(tmp_path: Path) -> None:
    table = _read(tmp_path, "id,name,\n1,Ann,\n2,Bob,\n")
    assert table.frame.columns == [ROW, "id", "name"]


def test_wrong_field_counts_become_rejects_and_good_rows_stay(tmp_path: Path) -> None:
    table = _read(tmp_path, "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    assert table.frame.rows() == [(2, "1", "2", "3"), (5, "10", "11", "12")]
    assert table.rejects == (
        RowReject(3, "wrong number of fields: expected 3, found 2", "4,5"),
        RowReject(4, "wrong number of fields: expected 3, found 4", "6,7,8,9"),
    )
    assert table.rows_read == 4


def test_short_records_are_rejects_not_rows_padded_with_nulls(tmp_path: Path) -> None:
    table = _read(tmp_path, "a,b,c\n1,2,3\n4,5\n")
    assert table.frame[ROW].to_list() == [2]
    assert [reject.row for reject in table.rejects] == [3]


def test_unterminated_quote_rejects_its_line_and_reads_on(tmp_path: Path) -> None:
    table = _read(tmp_path, 'a,b,c\n1,"x,3\n4,5,6\n7,8,9\n')
    assert table.frame.rows() == [(3, "4", "5", "6"), (4, "7", "8", "9")]
    (reject,) = table.rejects
    assert (reject.row, reject.raw) == (2, '1,"x,3')
    assert reject.reason.startswith("unterminated quoted field")


def test_stray_quote_closed_by_a_later_quote_rejects_only_its_line(tmp_path: Path) -> None:
    table = _read(tmp_path, 'a,b,c\n1,"x,3\n4,5,6\n7,"8",9\n')
    assert table.frame.rows() == [(3, "4", "5", "6"), (4, "7", "8", "9")]
    (reject,) = table.rejects
    assert (reject.row, reject.raw) == (2, '1,"x,3')
    assert reject.reason.startswith("unbalanced quote")


def test_well_quoted_multi_line_record_with_wrong_count_is_one_reject(tmp_path: Path) -> None:
    table = _read(tmp_path, 'a,b\n1,"x\ny",extra\n2,z\n')
    assert table.frame.rows() == [(3, "2", "z")]
    assert table.rejects == (
        RowReject(2, "wrong number of fields: expected 2, found 3", '1,"x\ny",extra'),
    )


def test_truncated_last_record_is_a_reject(tmp_path: Path) -> None:
    table = _read(tmp_path, "a,b,c\n1,2,3\n4,5")
    assert table.frame.rows() == [(2, "1", "2", "3")]
    assert table.rejects == (RowReject(3, "wrong number of fields: expected 3, found 2", "4,5"),)


def test_last_record_cut_inside_a_quote_is_a_reject(tmp_path: Path) -> None:
    table = _read(tmp_path, 'a,b,c\n1,2,3\n4,5,"hel')
    assert table.frame.rows() == [(2, "1", "2", "3")]
    assert [(r.row, r.raw) for r in table.rejects] == [(3, '4,5,"hel')]
    assert table.rejects[0].reason.startswith("unterminated quoted field")


def test_huge_field_is_a_reject_naming_the_field_and_the_rest_reads(tmp_path: Path) -> None:
    huge = "x" * 2_000_000
    table = _read(tmp_path, f"id,note\n1,short\n2,{huge}\n3,also short\n")
    assert table.frame.rows() == [(2, "1", "short"), (4, "3", "also short")]
    (reject,) = table.rejects
    assert (reject.row, reject.field) == (3, "note")
    assert reject.reason == "field 'note' is too long: 2000000 characters (limit 1000000)"
    assert len(reject.raw) == RAW_LIMIT


def test_field_limit_is_in_characters_not_bytes(tmp_path: Path) -> None:
    table = _read(tmp_path, "id,note\n1,éééé\n2,ééééé\n", max_field_chars=4)
    assert table.frame.rows() == [(2, "1", "éééé")]
    assert [reject.field for reject in table.rejects] == ["note"]


def test_fast_and_record_by_record_reading_agree(tmp_path: Path) -> None:
    good = 'id,name,note\n1,Ann,"a, b"\n2,,"multi\nline"\n3,Cy,""\n'
    fast = _read(tmp_path, good, "fast.csv").frame
    slow = _read(tmp_path, good + "4,too,many,fields\n", "slow.csv").frame
    assert slow.equals(fast)


def test_header_only_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="has a header but no data rows"):
        _read(tmp_path, "id,name\n\n")


def test_header_with_only_empty_rows_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="has a header but no data rows"):
        _read(tmp_path, "id,name\n,\n , \n")


def test_png_named_csv_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    with pytest.raises(ImportFileError) as caught:
        _read(tmp_path, PNG, "photo.csv")
    assert str(caught.value) == f"{path}: looks like binary data, not CSV text"


@pytest.mark.parametrize(("delimiter", "name"), [(";", "a.csv"), ("\t", "a.tsv"), ("|", "a.txt")])
def test_detected_delimiters(tmp_path: Path, delimiter: str, name: str) -> None:
    content = delimiter.join(["id", "name"]) + "\n" + delimiter.join(["1", "Ann, Lee"]) + "\n"
    table = _read(tmp_path, content, name)
    assert table.delimiter == delimiter
    assert table.frame.rows() == [(2, "1", "Ann, Lee")]


def test_tsv_is_tab_separated_without_sniffing(tmp_path: Path) -> None:
    table = _read(tmp_path, "a,b\tc\n1,2\t3\n", "data.tsv")
    assert table.delimiter == "\t"
    assert table.frame.columns == [ROW, "a,b", "c"]


def test_given_delimiter_wins(tmp_path: Path) -> None:
    table = _read(tmp_path, "a;b,c\n1;2,3\n", delimiter=";")
    assert table.frame.rows() == [(2, "1", "2,3")]


def test_non_ascii_delimiter(tmp_path: Path) -> None:
    table = _read(tmp_path, "a¦b\n1¦2\n", delimiter="¦")
    assert table.frame.rows() == [(2, "1", "2")]


@pytest.mark.parametrize("delimiter", ["", ";;", '"', "\n"])
def test_unusable_delimiter_is_an_error(tmp_path: Path, delimiter: str) -> None:
    with pytest.raises(ImportFileError, match="is not usable"):
        _read(tmp_path, "a,b\n1,2\n", delimiter=delimiter)


def test_single_column_file(tmp_path: Path) -> None:
    table = _read(tmp_path, "email\nann@example.com\nbob@example.com\n")
    assert (table.delimiter, table.frame.columns) == (",", [ROW, "email"])
    assert table.frame.height == 2


def test_whitespace_separated_cdnow_lines(tmp_path: Path) -> None:
    table = _read(tmp_path, CDNOW_LINES, "CDNOW_master.txt")
    assert table.delimiter == "whitespace"
    assert table.frame.columns == [ROW, "customer_id", "date", "number_of_cds", "dollar_value"]
    assert table.frame.row(0) == (2, "00001", "19970101", "1", "11.77")
    assert table.frame[ROW].to_list() == [2, 3, 4, 5]


def test_whitespace_separated_ragged_line_is_a_reject(tmp_path: Path) -> None:
    table = _read(tmp_path, CDNOW_LINES + " 00004 19970101 2\r\n", "cdnow.txt")
    assert table.frame.height == 4
    assert table.rejects == (
        RowReject(6, "wrong number of fields: expected 4, found 3", " 00004 19970101 2"),
    )


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("utf-16", "utf-16")],
)
def test_chinese_text_in_each_encoding(tmp_path: Path, encoding: str, expected: str) -> None:
    text = "客户,城市,评价\n张伟,北京,非常满意，下次再来\n李娜,上海,物流太慢了\n"
    table = _read(tmp_path, text.encode(encoding))
    assert table.encoding == expected
    assert table.frame.columns == [ROW, "客户", "城市", "评价"]
    assert table.frame.row(1) == (3, "李娜", "上海", "物流太慢了")


def test_latin1_french_and_german(tmp_path: Path) -> None:
    text = "nom;ville;mot\nCafé;Müller;été\nGröße;Zürich;ça\n"
    table = _read(tmp_path, text.encode("latin-1"))
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.frame.rows() == [(2, "Café", "Müller", "été"), (3, "Größe", "Zürich", "ça")]


def test_given_encoding_is_reported(tmp_path: Path) -> None:
    table = _read(tmp_path, "a\nCafé\n".encode("latin-1"), encoding="latin-1")
    assert (table.encoding, table.frame["a"].to_list()) == ("latin-1", ["Café"])


def test_quote_inside_an_unquoted_field_is_text(tmp_path: Path) -> None:
    table = _read(tmp_path, 'item,size\nmonitor,24" wide\ndisk,3.5"\n')
    assert table.frame.rows() == [(2, "monitor", '24" wide'), (3, "disk", '3.5"')]
    assert table.rejects == ()
