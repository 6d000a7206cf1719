"""Agreement levels of each comparator on hand-picked pairs."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.identity.compare import comparison_levels
from crmind.identity.fields import MISSING, Comparator, FieldSpec


def levels(comparator: Comparator, pairs: list[tuple[str | None, str | None]]) -> list[int]:
    """Levels of (a, b) pairs of cleaned values: row i is paired with row i + len(pairs)."""
    values = [a for a, _ in pairs] + [b for _, b in pairs]
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    n = len(pairs)
    result = comparison_levels(frame, np.arange(n), np.arange(n) + n, [FieldSpec("v", comparator)])
    assert result.shape == (n, 1)
    assert result.dtype == np.int8
    return [int(x) for x in result[:, 0]]


def test_name_levels_from_jaro_winkler() -> None:
    assert levels(
        Comparator.NAME,
        [
            ("martha", "martha"),  # exact
            ("martha", "marhta"),  # a typo: Jaro-Winkler 0.961 >= 0.92
            ("dwayne", "duane"),  # Jaro-Winkler 0.84: between 0.80 and 0.92
            ("jones", "james"),  # Jaro-Winkler 0.76 < 0.80
            ("martha", "xavier"),
            (None, "martha"),
            ("martha", None),
            (None, None),
        ],
    ) == [3, 2, 1, 0, 0, MISSING, MISSING, MISSING]


def test_text_levels_from_token_set_ratio() -> None:
    assert levels(
        Comparator.TEXT,
        [
            ("12 main street", "12 main street"),  # exact
            ("12 main street", "main street 12"),  # the same words reordered: 100, not equal
            ("flat 3 12 main street", "12 main street"),  # a subset of the words: 100
            ("12 main street", "12 main st"),  # 83
            ("12 main street", "12 high street"),  # 79
            ("12 main street", "99 low road"),  # 24
            ("12 main street", None),
        ],
    ) == [3, 2, 2, 1, 1, 0, MISSING]


def test_code_levels_from_damerau_levenshtein() -> None:
    assert levels(
        Comparator.CODE,
        [
            ("19081209", "19081209"),  # exact
            ("19081209", "19082109"),  # two adjacent digits swapped: one edit
            ("4011", "4012"),  # one substitution
            ("4011", "40111"),  # one insertion
            ("4011", "401"),  # one deletion
            ("4011", "4102"),  # two edits
            ("1234", "4321"),
            (None, "4011"),
        ],
    ) == [2, 1, 1, 1, 1, 0, 0, MISSING]


def test_email_levels() -> None:
    assert levels(
        Comparator.EMAIL,
        [
            ("john.smith@example.com", "john.smith@example.com"),
            ("john.smith@example.com", "jonh.smith@example.com"),  # a typo (0.99)
            ("tom.brown@mail.com", "tbrowne@work.com"),  # 0.67
            ("john@x.com", "mary@y.org"),
            ("john@x.com", None),
        ],
    ) == [2, 1, 0, 0, MISSING]


def test_exact_levels() -> None:
    assert levels(Comparator.EXACT, [("wa", "wa"), ("wa", "qld"), ("wa", "w"), (None, "wa")]) == [
        1,
        0,
        0,
        MISSING,
    ]


def test_several_fields_one_column_each_in_order_of_the_fields() -> None:
    frame = pl.DataFrame(
        {
            "name": ["anna", "anne", "bob", None],
            "dob": ["19900102", "19900102", "19900201", "19900102"],
            "state": ["wa", "nsw", "wa", "wa"],
        }
    )
    fields = [
        FieldSpec("state", Comparator.EXACT),
        FieldSpec("name", Comparator.NAME),
        FieldSpec("dob", Comparator.CODE),
    ]
    left = pl.Series([0, 0, 3, 2], dtype=pl.UInt32).to_numpy()
    right = [1, 2, 0, 0]
    result = comparison_levels(frame, left, right, fields, workers=2)
    np.testing.assert_array_equal(
        result,
        [
            [0, 1, 2],  # anna/anne: Jaro-Winkler 0.88
            [1, 0, 0],  # 0102 vs 0201 is two edits
            [1, MISSING, 2],
            [1, 0, 0],  # the same pair reversed
        ],
    )


def test_no_pairs_give_an_empty_matrix() -> None:
    frame = pl.DataFrame({"v": ["a"]})
    result = comparison_levels(frame, [], [], [FieldSpec("v", Comparator.NAME)])
    assert result.shape == (0, 1)


@pytest.mark.parametrize("comparator", list(Comparator))
def test_identical_values_reach_the_top_level(comparator: Comparator) -> None:
    spec = FieldSpec("v", comparator)
    assert levels(comparator, [("abc1", "abc1")]) == [spec.levels - 1]
