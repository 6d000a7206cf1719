"""Analysis runs (start one in the background, see its status) and model runs (every kind,
with parameters, data window and metrics)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from crmind.access.roles import Permission
from crmind.analytics.lifecycle import LifecycleThresholds
from crmind.api.deps import EngineDep, SettingsDep, require
from crmind.api.problems import ConflictError
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.products import NO_NUL
from crmind.api.schemas.runs import (
    AnalysisRunCreate,
    AnalysisRunStarted,
    ModelRunPublic,
    ModelRunsPublic,
)
from crmind.config import Settings
from crmind.services.analysis import AnalysisOptions
from crmind.services.analysis_jobs import AnalysisBusyError, start_analysis
from crmind.services.model_runs import RunQuery, RunSort, get_run, search_runs

router = APIRouter(tags=["runs"])

Starter = Depends(require(Permission.ANALYSIS_RUN))
Reader = Depends(require(Permission.MODELS_READ))


def _options(settings: Settings, body: AnalysisRunCreate) -> AnalysisOptions:
    """The run's options: the body's, else the settings' (as ``crmind analyze``)."""
    return AnalysisOptions(
        as_of=body.as_of,
        n_segments=body.n_segments,
        segment_method=body.segment_method or settings.segment_method,
        horizon_months=body.horizon_months or settings.clv_horizon_months,
        discount_rate_monthly=(
            settings.clv_discount_rate_monthly
            if body.discount_rate_monthly is None
            else body.discount_rate_monthly
        ),
        clv_draws=body.clv_draws,
        lifecycle=LifecycleThresholds(
            new_days=settings.lifecycle_new_days,
            at_risk_ratio=settings.lifecycle_at_risk_ratio,
            lapsed_ratio=settings.lifecycle_lapsed_ratio,
            churned_ratio=settings.lifecycle_churned_ratio,
            churn_days=settings.lifecycle_churn_days,
        ),
        random_state=settings.random_state if body.random_state is None else body.random_state,
        engine=settings.engine,
        spark_master=settings.spark_master,
        spark_jars=settings.spark_jars,
    )


@router.post("/analysis-runs", status_code=202, dependencies=[Starter])
def post_analysis_run(
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    body: AnalysisRunCreate | None = None,
) -> AnalysisRunStarted:
    """Start an analysis (profiles, RFM, segments, lifecycle, lifetime value) in the
    background; the answer names the run to follow. 409 while another one runs, 422 when the
    store has no orders. Example: `POST /analysis-runs {"n_segments": 5}`"""
    try:
        run_id = start_analysis(engine, _options(settings, body or AnalysisRunCreate()))
    except AnalysisBusyError as exc:
        raise ConflictError(str(exc)) from exc
    location = f"/analysis-runs/{run_id}"
    response.headers["Location"] = location
    return AnalysisRunStarted(run_id=run_id, status="running", location=location)


@router.get("/analysis-runs/{run_id}", dependencies=[Starter])
def get_analysis_run(engine: EngineDep, run_id: RecordId) -> ModelRunPublic:
    """An analysis run: running, completed (with its metrics) or failed (with the error).
    Example: `GET /analysis-runs/4`"""
    return ModelRunPublic(**get_run(engine, run_id, kind="analysis"))


@router.get("/model-runs", dependencies=[Reader])
def list_model_runs(
    engine: EngineDep,
    kind: Annotated[
        str | None,
        Query(max_length=50, pattern=NO_NUL, description="analysis, feedback_text, ..."),
    ] = None,
    status: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    sort: RunSort = "-id",
    limit: Limit = 50,
    offset: Offset = 0,
) -> ModelRunsPublic:
    """Model runs, newest first. Example: `GET /model-runs?kind=analysis`"""
    rows, count = search_runs(
        engine, RunQuery(kind=kind, status=status, sort=sort, limit=limit, offset=offset)
    )
    return ModelRunsPublic(data=[ModelRunPublic(**row) for row in rows], count=count)


@router.get("/model-runs/{run_id}", dependencies=[Reader])
def get_model_run(engine: EngineDep, run_id: RecordId) -> ModelRunPublic:
    """One model run with its parameters, data window and metrics. Example: `GET /model-runs/4`"""
    return ModelRunPublic(**get_run(engine, run_id))
