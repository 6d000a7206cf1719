"""Blocking: candidate pairs as the union of rules, with prefixes, big keys and sources."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from crmind.errors import ConfigurationError
from crmind.identity.blocking import BlockingRule, candidate_pairs, default_rules
from crmind.identity.fields import Comparator, FieldSpec

# row:            0        1        2        3        4        5
FRAME = pl.DataFrame(
    {
        "first": ["anna", "anna", "bob", None, None, "carl"],
        "last": ["smith", "smyth", "smith", "jones", "brown", "jonas"],
        "src": ["a", "b", "a", "b", "a", "b"],
    }
)
FIRST = BlockingRule(("first",))
LAST = BlockingRule(("last",))


def pairs(frame: pl.DataFrame, *rules: BlockingRule, **options: object) -> list[tuple[int, int]]:
    result = candidate_pairs(frame, rules, **options)  # type: ignore[arg-type]
    assert result.schema == pl.Schema({"left": pl.UInt32, "right": pl.UInt32})
    listed = [(int(a), int(b)) for a, b in result.iter_rows()]
    assert listed == sorted(set(listed)), "pairs are distinct and sorted"
    assert all(a < b for a, b in listed)
    return listed


def test_each_rule_pairs_records_sharing_its_key_and_nulls_never_pair() -> None:
    assert pairs(FRAME, FIRST) == [(0, 1)]  # rows 3 and 4 both lack a first name
    assert pairs(FRAME, LAST) == [(0, 2)]


def test_the_union_of_rules_without_duplicates() -> None:
    both = BlockingRule(("first", "last"), prefix=2)  # "an|sm" for rows 0 and 1 again
    assert pairs(FRAME, FIRST, LAST, FIRST, both) == [(0, 1), (0, 2)]


def test_rules_may_be_a_generator() -> None:
    rules = (rule for rule in (FIRST, LAST))
    assert [tuple(row) for row in candidate_pairs(FRAME, rules).iter_rows()] == [(0, 1), (0, 2)]


def test_prefix_keys_compare_only_the_first_characters() -> None:
    assert pairs(FRAME, BlockingRule(("last",), prefix=3)) == [(0, 2), (3, 5)]
    assert pairs(FRAME, BlockingRule(("first", "last"), prefix=1)) == [(0, 1)]


def test_a_key_with_a_null_part_never_pairs() -> None:
    frame = pl.DataFrame({"a": ["x", "x", "x"], "b": [None, None, "y"]})
    assert pairs(frame, BlockingRule(("a", "b"))) == []
    assert pairs(frame, BlockingRule(("a",))) == [(0, 1), (0, 2), (1, 2)]


def test_keys_shared_by_more_than_max_block_records_are_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rule = BlockingRule(("last",), prefix=2)  # "sm" x3, "jo" x2, "br" x1
    assert pairs(FRAME, rule, max_block=3) == [(0, 1), (0, 2), (1, 2), (3, 5)]
    with caplog.at_level(logging.INFO, logger="crmind.identity.blocking"):
        assert pairs(FRAME, rule, max_block=2) == [(3, 5)]
    assert "last[:2]: skipped 1 key(s) shared by more than 2 records" in caplog.text


def test_with_a_source_only_pairs_across_sources_are_kept() -> None:
    rule = BlockingRule(("last",), prefix=2)
    # within "sm": (0,1) a-b, (0,2) a-a, (1,2) b-a; within "jo": (3,5) b-b
    assert pairs(FRAME, rule, source="src") == [(0, 1), (1, 2)]


def test_no_rules_give_an_empty_frame_of_pairs() -> None:
    assert pairs(FRAME) == []


@pytest.mark.parametrize(
    ("rules", "source", "missing"),
    [
        ((BlockingRule(("nickname",)),), None, "nickname"),
        ((FIRST,), "origin", "origin"),
        ((BlockingRule(("zip", "city")),), None, "city, zip"),
    ],
)
def test_a_missing_column_is_a_configuration_error_naming_it(
    rules: tuple[BlockingRule, ...], source: str | None, missing: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"blocking needs column\\(s\\) {missing}"):
        candidate_pairs(FRAME, rules, source=source)


@pytest.mark.parametrize("max_block", [1, 0, -5])
def test_max_block_below_two_is_a_configuration_error(max_block: int) -> None:
    with pytest.raises(ConfigurationError, match="max_block must be at least 2"):
        candidate_pairs(FRAME, [FIRST], max_block=max_block)


def test_default_rules_block_on_each_field_and_on_name_prefixes() -> None:
    fields = [
        FieldSpec("first", Comparator.NAME),
        FieldSpec("last", Comparator.NAME),
        FieldSpec("email", Comparator.EMAIL),
        FieldSpec("state", Comparator.EXACT),
        FieldSpec("city", Comparator.NAME),
    ]
    rules = default_rules(fields)
    assert [str(rule) for rule in rules] == [
        "first",
        "last",
        "email",
        "city",
        "first[:3] & last[:3]",
        "first[:3] & city[:3]",
        "last[:3] & city[:3]",
    ]
    assert rules[4] == BlockingRule(("first", "last"), prefix=3)
