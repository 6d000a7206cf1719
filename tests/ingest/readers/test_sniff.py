"""Tests of crmind.ingest.readers.sniff."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import pytest

from crmind.errors import ImportFileError
from crmind.ingest.readers.sniff import (
    WHITESPACE,
    csv_field_limit,
    decode_text,
    gb2312_share,
    sniff_delimiter,
)
from crmind.ingest.readers.source import Source

CHINESE = "客户编号,姓名,城市,评价\n1,张伟,北京,非常满意，下次再来\n2,李娜,上海,物流太慢了\n"
FRENCH_GERMAN = "Nom;Ville;Note\nCafé;Müller;été\nGröße;Straße;ça va\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def _source(data: bytes, file_format: str = "csv") -> Source:
    extension = {"csv": ".csv", "json": ".json", "jsonl": ".jsonl"}[file_format]
    return Source(Path(f"data{extension}"), file_format, extension, data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Café,ok\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "Café,ok\n".encode(), "utf-8-sig"),
        ("Café,ok\n".encode("utf-16"), "utf-16"),
        ("Café,ok\n".encode("utf-32"), "utf-32"),
        ("Café,ok\n".encode("utf-16-le"), "utf-16-le"),
        ("Café,ok\n".encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_unicode_encodings_are_detected(data: bytes, expected: str) -> None:
    assert decode_text(_source(data)) == ("Café,ok\n", expected)


def test_ascii_is_utf8() -> None:
    assert decode_text(_source(b"id,name\n")) == ("id,name\n", "utf-8")


def test_gbk_chinese_is_read_as_gb18030() -> None:
    text, encoding = decode_text(_source(CHINESE.encode("gbk")))
    assert (text, encoding) == (CHINESE, "gb18030")


def test_latin1_french_and_german_are_read_as_cp1252() -> None:
    text, encoding = decode_text(_source(FRENCH_GERMAN.encode("latin-1")))
    assert (text, encoding) == (FRENCH_GERMAN, "cp1252")


def test_latin1_that_also_decodes_as_gb18030_stays_latin() -> None:
    # every accented letter is followed by an ASCII letter, so GB18030 decodes it too
    data = "Name,City\nMüller,Köln\nJürgen,Zürich\n".encode("latin-1")
    data.decode("gb18030")
    assert decode_text(_source(data))[1] == "cp1252"


def test_cp1252_euro_sign() -> None:
    assert decode_text(_source("item;price\nMug;€5\n".encode("cp1252"))) == (
        "item;price\nMug;€5\n",
        "cp1252",
    )


def test_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    assert decode_text(_source(b"a,b\n\x81x,\xe9\n"))[1] == "latin-1"


def test_gb2312_share_separates_chinese_from_latin() -> None:
    assert gb2312_share(CHINESE.encode("gbk")) == 1.0
    assert gb2312_share(FRENCH_GERMAN.encode("latin-1")) < 0.6
    assert gb2312_share(b"ascii only") == 0.0


def test_utf8_cut_in_the_middle_of_the_last_character_stays_utf8() -> None:
    data = "name\nÉmile\n张".encode()[:-1]
    text, encoding = decode_text(_source(data))
    assert encoding == "utf-8"
    assert text == "name\nÉmile\n\ufffd"


def test_given_encoding_is_used() -> None:
    data = FRENCH_GERMAN.encode("latin-1")
    assert decode_text(_source(data), "latin-1") == (FRENCH_GERMAN, "latin-1")


def test_given_utf8_drops_a_byte_order_mark() -> None:
    assert decode_text(_source(codecs.BOM_UTF8 + b"a,b\n"), "utf-8") == ("a,b\n", "utf-8")


def test_given_encoding_that_does_not_fit_names_the_byte() -> None:
    with pytest.raises(ImportFileError, match=r"not valid utf-8 text: byte 0xe9 at offset 3"):
        decode_text(_source(b"Caf\xe9\n"), "utf-8")


def test_unknown_encoding() -> None:
    with pytest.raises(ImportFileError, match="unknown text encoding 'klingon'"):
        decode_text(_source(b"a\n"), "klingon")


@pytest.mark.parametrize(("file_format", "label"), [("csv", "CSV"), ("json", "JSON")])
def test_png_bytes_are_binary(file_format: str, label: str) -> None:
    with pytest.raises(ImportFileError, match=f"looks like binary data, not {label} text"):
        decode_text(_source(PNG, file_format))


def test_control_bytes_are_binary_even_without_nul() -> None:
    with pytest.raises(ImportFileError, match="binary"):
        decode_text(_source(bytes(range(1, 9)) * 100))


def test_nul_in_text_decoded_with_a_given_encoding_is_binary() -> None:
    with pytest.raises(ImportFileError, match="binary"):
        decode_text(_source(PNG), "latin-1")


def test_only_a_byte_order_mark_is_empty() -> None:
    with pytest.raises(ImportFileError, match="is empty"):
        decode_text(_source(codecs.BOM_UTF8 + b"\n"))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_candidate_delimiter_is_found(delimiter: str) -> None:
    text = "\n".join(delimiter.join(row) for row in [["id", "name", "city"], ["1", "Ann", "Oslo"]])
    assert sniff_delimiter(text + "\n") == delimiter


def test_delimiters_inside_quotes_do_not_count() -> None:
    text = 'name;note\n"Smith, John";"a, b, c"\n"Doe, Jane";"x, y"\n'
    assert sniff_delimiter(text) == ";"


def test_decimal_commas_do_not_make_the_comma_the_delimiter() -> None:
    lines = ["product;price"] + [f"p{i};{i},50" for i in range(60)]
    assert sniff_delimiter("\n".join(lines)) == ";"


def test_a_ragged_line_among_fifty_does_not_change_the_verdict() -> None:
    lines = ["a,b,c"] + ["1,2,3"] * 30 + ["1,2"] + ["4,5,6"] * 30
    assert sniff_delimiter("\n".join(lines)) == ","


def test_cdnow_lines_are_split_on_whitespace() -> None:
    text = (
        "   customer_id  date  number_of_cds  dollar_value\r\n"
        " 00001 19970101  1   11.77\r\n"
        " 00002 19970112  1   12.00\r\n"
        " 00002 19970112  5   77.00\r\n"
    )
    assert sniff_delimiter(text) == WHITESPACE


def test_single_column_uses_comma() -> None:
    assert sniff_delimiter("email\nann@example.com\nbob@example.com\n") == ","


def test_single_column_of_two_word_values_is_not_whitespace_separated() -> None:
    assert sniff_delimiter("name\nAnn Lee\nBob Ray\n") == ","


def test_field_limit_is_raised_then_restored() -> None:
    before = csv.field_size_limit()
    with csv_field_limit(before * 10):
        assert csv.field_size_limit() == before * 10
    assert csv.field_size_limit() == before
