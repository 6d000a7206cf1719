"""Churn and spend training on the store: graded on held-out time, scores stored with reasons."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crmind.data import ONLINE_RETAIL
from crmind.errors import ModelDataError
from crmind.ingest.fields import ImportKind
from crmind.predict.models import PropensityModel
from crmind.predict.spend import SpendModel
from crmind.privacy.binding import attach_cipher
from crmind.services.importing import ImportRequest, import_file
from crmind.services.prediction import PredictionOptions, train_and_score
from crmind.store.schema import CustomerScore, ModelRun
from tests.store_cipher import TEST_CIPHER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from crmind.store.db import make_engine
    from crmind.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("retail")
    engine = attach_cipher(make_engine(f"sqlite:///{folder / 'store.db'}"), TEST_CIPHER)
    upgrade(engine)
    import_file(
        engine,
        ImportRequest(kind=ImportKind.ORDERS, path=ONLINE_RETAIL, preset="online-retail"),
        reports_dir=folder,
    )
    return engine


def test_churn_model_beats_the_recency_rule_and_scores_with_reasons(
    retail: Engine, tmp_path: Path
) -> None:
    result = train_and_score(retail, PredictionOptions(), tmp_path)
    metrics = result.metrics
    assert result.passed, result.gate_message
    assert metrics["model"]["roc_auc"] > metrics["recency_rule"]["roc_auc"]
    assert metrics["model"]["top_decile_lift"] > metrics["recency_rule"]["top_decile_lift"]
    assert result.scored > 4000
    assert result.model_path is not None
    assert PropensityModel.load(result.model_path).predict_proba is not None
    with retail.connect() as conn:
        run = conn.execute(select(ModelRun).where(ModelRun.id == result.run_id)).one()
        score = conn.execute(
            select(CustomerScore).where(CustomerScore.model_run_id == result.run_id).limit(1)
        ).one()
    assert run.status == "completed"
    assert run.metrics["gate"]["passed"] is True
    calibration = run.metrics["calibration"]
    assert sum(row["count"] for row in calibration) == metrics["test_examples"]
    assert all(0 <= row["observed_rate"] <= 1 for row in calibration)
    assert score.kind == "churn"
    assert 0.0 <= score.value <= 1.0
    reasons = (
        score.explanation if isinstance(score.explanation, dict) else json.loads(score.explanation)
    )
    assert len(reasons["drivers"]) == 3
    assert ": " in reasons["reasons"]


def test_blended_churn_model_beats_the_recency_rule_and_explains_its_scores(
    retail: Engine, tmp_path: Path
) -> None:
    result = train_and_score(retail, PredictionOptions(model="blend"), tmp_path)
    metrics = result.metrics
    assert result.passed, result.gate_message
    assert metrics["learner"] == "blend"
    assert metrics["model"]["roc_auc"] > metrics["recency_rule"]["roc_auc"]
    assert metrics["model"]["top_decile_lift"] > metrics["recency_rule"]["top_decile_lift"]
    assert result.model_path is not None
    model = PropensityModel.load(result.model_path)
    assert model.booster_ is not None
    assert model.pipeline_ is not None
    with retail.connect() as conn:
        run = conn.execute(select(ModelRun).where(ModelRun.id == result.run_id)).one()
    assert run.params["model"] == "blend"
    assert len(result.top) == 10
    assert all(text.count(": ") == 3 for text in result.top.get_column("text"))


def test_a_window_longer_than_the_history_is_a_clear_error(retail: Engine, tmp_path: Path) -> None:
    with pytest.raises(ModelDataError):
        train_and_score(retail, PredictionOptions(window_days=400), tmp_path)


def test_customer_view_shows_the_churn_score_and_its_reasons(
    retail: Engine, tmp_path: Path
) -> None:
    from crmind.services.customers import customer_view

    result = train_and_score(retail, PredictionOptions(), tmp_path)
    riskiest = int(result.top["customer_id"][0])
    churn = customer_view(retail, riskiest).scores["churn"]
    assert churn["value"] == pytest.approx(result.top["value"][0])
    assert churn["explanation"]["reasons"] == result.top["text"][0]


def test_spend_model_beats_the_past_rate_and_stores_expected_spend(
    retail: Engine, tmp_path: Path
) -> None:
    from crmind.services.customers import customer_view

    result = train_and_score(retail, PredictionOptions(target="spend"), tmp_path)
    metrics = result.metrics
    assert result.passed, result.gate_message
    assert metrics["model"]["rmse"] < metrics["spend_rate_rule"]["rmse"]
    assert metrics["model"]["spearman"] > metrics["spend_rate_rule"]["spearman"]
    assert metrics["model"]["rmse"] < metrics["mean_baseline"]["rmse"]
    assert result.model_path is not None
    assert isinstance(SpendModel.load(result.model_path), SpendModel)
    biggest = int(result.top["customer_id"][0])
    spend = customer_view(retail, biggest).scores["next_window_spend"]
    assert spend["value"] == pytest.approx(result.top["value"][0])
    assert spend["label"] == "high"
    with retail.connect() as conn:
        labels = Counter(
            conn.execute(
                select(CustomerScore.label).where(CustomerScore.model_run_id == result.run_id)
            ).scalars()
        )
    assert labels["high"] == pytest.approx(result.scored * 0.1, abs=2)
    assert labels["medium"] == pytest.approx(result.scored * 0.2, abs=2)
