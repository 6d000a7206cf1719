from __future__ import annotations

import polars as pl
import pytest

from crmind.errors import CrmindError
from crmind.ingest.cleaning.distinct import spread


def test_spread_repeats_each_answer_for_every_row_in_row_order() -> None:
    keys = pl.DataFrame({"text": ["b", "a", None, "b", "a", None]})
    distinct = keys.unique()
    answers = pl.DataFrame({"upper": distinct.get_column("text").str.to_uppercase()})
    result = spread(keys, distinct, answers)
    assert result.columns == ["upper"]
    assert result.get_column("upper").to_list() == ["B", "A", None, "B", "A", None]


def test_spread_matches_on_several_key_columns_including_nulls() -> None:
    keys = pl.DataFrame({"text": ["1", "1", "1", None], "region": ["GB", "US", None, None]})
    distinct = keys.unique()
    answers = pl.DataFrame(
        {"joined": distinct.select(pl.concat_str("text", "region", ignore_nulls=True)).to_series()}
    )
    result = spread(keys, distinct, answers).get_column("joined")
    assert result.to_list() == ["1GB", "1US", "1", ""]


def test_spread_refuses_answers_of_the_wrong_height() -> None:
    keys = pl.DataFrame({"text": ["a", "b"]})
    with pytest.raises(CrmindError, match="1 answers for 2 distinct values"):
        spread(keys, keys.unique(), pl.DataFrame({"x": [1]}))
