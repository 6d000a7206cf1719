"""The prediction service on an engine: the same model, grades and stored scores as its own
local code, and spend refused on engines that score per row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from crmind.engines import LocalEngine
from crmind.errors import ConfigurationError
from crmind.services.prediction import PredictionOptions, train_and_score
from crmind.store.frames import read_sql

OPTIONS = PredictionOptions(window_days=21, n_cutoffs=2)  # passes its gate on this sample


def stored_scores(engine: Engine, run_id: int) -> object:
    return read_sql(
        engine,
        "SELECT customer_id, kind, value, label, explanation FROM customer_scores "
        f"WHERE model_run_id = {run_id} ORDER BY customer_id",
    )


def test_the_engine_path_grades_and_stores_what_the_local_code_does(
    retail_store: Engine, tmp_path: Path
) -> None:
    direct = train_and_score(retail_store, OPTIONS, tmp_path)
    through = train_and_score(retail_store, OPTIONS, tmp_path, compute=LocalEngine())
    assert through.metrics["model"] == direct.metrics["model"]
    assert through.passed == direct.passed
    assert through.scored == direct.scored
    assert direct.passed, direct.gate_message  # so there are scores to compare
    assert stored_scores(retail_store, through.run_id).equals(  # type: ignore[attr-defined]
        stored_scores(retail_store, direct.run_id)
    )
    assert through.top.equals(direct.top)


def test_spend_models_stay_on_the_local_engine(retail_store: Engine, tmp_path: Path) -> None:
    options = PredictionOptions(target="spend", engine="spark")
    with pytest.raises(ConfigurationError, match="spend models run locally"):
        train_and_score(retail_store, options, tmp_path)
