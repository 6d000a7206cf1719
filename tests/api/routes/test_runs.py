"""Analysis runs started over the API (in the background) and model runs with their metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crmind.api import create_app
from crmind.api.routes.runs import _options
from crmind.api.schemas.runs import AnalysisRunCreate
from crmind.config import Settings
from tests.api.sample_store import CUSTOMERS, SampleStore, empty_store, import_sample

DEADLINE_SECONDS = 120.0


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app on a store with the sample imported, not analysed yet."""
    directory = tmp_path_factory.mktemp("runs")
    settings, engine, keys = empty_store(directory / "empty")
    with TestClient(create_app(settings)) as empty:
        refused = empty.post("/analysis-runs", json={}, headers=_as(keys, "admin"))
        assert refused.status_code == 422  # no orders: refused before a run is recorded
        assert "import orders first" in refused.json()["detail"]
    engine.dispose()
    settings, engine, keys = empty_store(directory / "store")
    import_sample(engine, directory / "store")
    with TestClient(create_app(settings)) as test_client:
        yield test_client, keys
    engine.dispose()


def _as(keys: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[role]}"}


def _finished(client: TestClient, keys: dict[str, str], run_id: int) -> dict[str, Any]:
    """Poll the run until it is no longer running (the run goes on in a thread)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        run = dict(client.get(f"/analysis-runs/{run_id}", headers=_as(keys, "marketer")).json())
        if run["status"] != "running" or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


@pytest.fixture(scope="module")
def started(client: tuple[TestClient, dict[str, str]]) -> dict[str, Any]:
    test_client, keys = client
    response = test_client.post(
        "/analysis-runs", json={"n_segments": 3, "clv_draws": 20}, headers=_as(keys, "marketer")
    )
    assert response.status_code == 202, response.text
    body = dict(response.json())
    assert response.headers["location"] == body["location"] == f"/analysis-runs/{body['run_id']}"
    return {"start": body, "run": _finished(test_client, keys, body["run_id"])}


def test_a_started_analysis_completes_in_the_background_with_its_metrics(
    started: dict[str, Any],
) -> None:
    run = started["run"]
    assert (run["id"], run["kind"], run["status"]) == (
        started["start"]["run_id"],
        "analysis",
        "completed",
    )
    assert run["metrics"]["customers"] == CUSTOMERS
    assert run["params"]["n_segments"] == 3
    assert run["data_start"] is not None
    assert run["data_end"] is not None
    assert run["data_start"] < run["data_end"]


def test_the_new_runs_segments_are_served(
    client: tuple[TestClient, dict[str, str]], started: dict[str, Any]
) -> None:
    test_client, keys = client
    segments = test_client.get("/segments", headers=_as(keys, "viewer")).json()
    assert {s["model_run_id"] for s in segments["data"]} == {started["run"]["id"]}


def test_model_runs_are_listed_by_kind_with_parameters_and_metrics(
    client: tuple[TestClient, dict[str, str]], started: dict[str, Any]
) -> None:
    test_client, keys = client
    runs = test_client.get(
        "/model-runs", params={"kind": "analysis"}, headers=_as(keys, "viewer")
    ).json()
    assert runs["count"] == 1
    assert runs["data"][0] == started["run"]
    one = test_client.get(f"/model-runs/{started['run']['id']}", headers=_as(keys, "analyst"))
    assert one.json() == started["run"]
    none = test_client.get("/model-runs", params={"kind": "nothing"}, headers=_as(keys, "viewer"))
    assert none.json() == {"data": [], "count": 0}


def test_a_run_of_another_kind_is_not_an_analysis_run(
    client: tuple[TestClient, dict[str, str]], started: dict[str, Any]
) -> None:
    test_client, keys = client
    missing = test_client.get("/analysis-runs/999999", headers=_as(keys, "admin"))
    assert missing.status_code == 404
    assert test_client.get("/model-runs/999999", headers=_as(keys, "admin")).status_code == 404


def test_bad_options_are_refused(client: tuple[TestClient, dict[str, str]]) -> None:
    test_client, keys = client
    for body in ({"n_segments": 1}, {"segment_method": "dbscan"}, {"clv_draws": 10**9}, {"x": 1}):
        response = test_client.post("/analysis-runs", json=body, headers=_as(keys, "admin"))
        assert response.status_code == 422, body


def test_only_analysis_roles_start_runs_and_model_readers_read_them(
    client: tuple[TestClient, dict[str, str]], started: dict[str, Any]
) -> None:
    test_client, keys = client
    for role in ("agent", "analyst", "viewer"):
        response = test_client.post("/analysis-runs", json={}, headers=_as(keys, role))
        assert response.status_code == 403
    assert test_client.get("/model-runs", headers=_as(keys, "agent")).status_code == 403


def test_runs_of_the_shared_sample_are_listed_newest_first(
    sample: SampleStore, sample_client: TestClient
) -> None:
    runs = sample_client.get("/model-runs", headers=sample.as_role("viewer")).json()
    assert [r["id"] for r in runs["data"]][:2] == [sample.text_run, sample.analysis_run]
    assert runs["data"][0]["kind"] == "feedback_text"


def test_analysis_runs_started_over_the_api_use_the_configured_engine() -> None:
    settings = Settings(engine="spark", spark_master="spark://cluster:7077")
    options = _options(settings, AnalysisRunCreate())
    assert (options.engine, options.spark_master) == ("spark", "spark://cluster:7077")
