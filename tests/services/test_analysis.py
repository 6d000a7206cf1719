"""The analysis pipeline on real data (the first 80,000 lines of UCI Online Retail)."""

from __future__ import annotations

import lzma
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from crmind.data import ONLINE_RETAIL
from crmind.errors import ModelDataError, NotFoundError
from crmind.ingest.fields import ImportKind
from crmind.services.analysis import AnalysisOptions, run_analysis
from crmind.services.analysis_store import latest_run
from crmind.services.customers import customer_view
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import (
    CustomerProfile,
    CustomerScore,
    ModelRun,
    Segment,
    SegmentMember,
)
from tests.store_probe import count

SEGMENT_KINDS = {"rfm", "learned", "value_tier", "lifecycle"}


def _retail_sample(tmp_path: Path, lines: int = 80_000) -> Path:
    path = tmp_path / "retail_sample.csv"
    with lzma.open(ONLINE_RETAIL, "rt", encoding="utf-8") as source, path.open("w") as target:
        for index, line in enumerate(source):
            if index > lines:
                break
            target.write(line)
    return path


@pytest.fixture
def retail(engine: Engine, tmp_path: Path) -> Engine:
    request = ImportRequest(
        kind=ImportKind.ORDERS, path=_retail_sample(tmp_path), preset="online-retail"
    )
    import_file(engine, request)
    return engine


OPTIONS = AnalysisOptions(n_segments=4, clv_draws=50)


def test_analysis_stores_every_result_under_its_run(retail: Engine) -> None:
    result = run_analysis(retail, OPTIONS)
    assert result.customers > 500
    with retail.connect() as conn:
        run = conn.execute(select(ModelRun)).one()
        kinds = dict(
            conn.execute(select(Segment.kind, func.sum(Segment.size)).group_by(Segment.kind)).all()
        )
        score_kinds = set(conn.execute(select(CustomerScore.kind).distinct()).scalars())
        runs_named = {
            conn.execute(select(func.count()).where(model.model_run_id != run.id)).scalar()
            for model in (CustomerProfile, CustomerScore, Segment)
        }
    assert run.status == "completed"
    assert run.data_end == result.as_of
    assert run.metrics["customers"] == result.customers
    assert count(retail, CustomerProfile) == result.customers
    # every customer is in exactly one segment of each kind
    assert set(kinds) == SEGMENT_KINDS
    assert all(size == result.customers for size in kinds.values())
    assert count(retail, SegmentMember) == 4 * result.customers
    assert {"clv", "p_alive", "expected_purchases", "expected_spend", "rfm", "lifecycle"} <= (
        score_kinds
    )
    assert runs_named == {0}


def test_results_are_reproducible_and_the_latest_run_is_shown(retail: Engine) -> None:
    first = run_analysis(retail, OPTIONS)
    second = run_analysis(retail, OPTIONS)
    assert second.run_id > first.run_id
    assert first.segments.equals(second.segments)
    assert first.top_clv.equals(second.top_clv)
    latest = latest_run(retail)
    assert latest is not None
    assert latest.id == second.run_id


def test_as_of_leaves_later_orders_out(retail: Engine) -> None:
    cutoff = datetime(2010, 12, 31, 23, 59)
    result = run_analysis(retail, AnalysisOptions(as_of=cutoff, n_segments=3, clv_draws=20))
    assert result.as_of == cutoff
    with retail.connect() as conn:
        last = conn.execute(select(func.max(CustomerProfile.last_order_at))).scalar()
    assert last is not None
    assert last <= cutoff


def test_an_empty_store_is_a_clear_error(sqlite_engine: Engine) -> None:
    with pytest.raises(ModelDataError, match="import orders first"):
        run_analysis(sqlite_engine, OPTIONS)


def test_customer_view_joins_orders_profile_segments_and_scores(retail: Engine) -> None:
    result = run_analysis(retail, OPTIONS)
    best = int(result.top_clv["customer_id"][0])
    view = customer_view(retail, best)
    assert view.analysis_run == result.run_id
    assert view.order_count > 1
    assert view.identities[0][0] == "source_key"
    assert set(view.segments) == SEGMENT_KINDS
    assert view.profile is not None
    assert view.profile["order_count"] >= 1
    clv = view.scores["clv"]
    assert clv["low"] <= clv["value"] <= clv["high"]


def test_customer_view_of_an_unknown_id_is_not_found(sqlite_engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="no customer with id 999"):
        customer_view(sqlite_engine, 999)
