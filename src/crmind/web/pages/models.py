"""Models (``/ui/models``): every model run with its status and data window; one run
(``/ui/models/{id}``) with its metrics beside its baselines, its drivers, calibration,
parameters and data window. Aggregates only (``models:read``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from crmind.access.roles import Permission
from crmind.api.deps import run_read
from crmind.errors import NotFoundError
from crmind.services.model_runs import RunQuery, get_run, search_runs
from crmind.web import charts
from crmind.web.auth import PageNotFoundError, WebUser, api_state, page_permission
from crmind.web.i18n import Translator
from crmind.web.model_metrics import run_metrics
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import language_of, render

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("models", f"{UI_PREFIX}/models", "nav.models", Permission.MODELS_READ)
Reader = page_permission(Permission.MODELS_READ)
KINDS = (
    "analysis",
    "churn_model",
    "purchase_model",
    "spend_model",
    "recommendations",
    "feedback_text",
)


def headline(run: dict[str, Any]) -> str | None:
    """One figure that says how good a run is, beside its baseline where it has one."""
    metrics = run["metrics"]
    model, base = metrics.get("model"), metrics.get("logistic_baseline")
    if isinstance(model, dict) and model.get("roc_auc") is not None:
        text = f"ROC-AUC {model['roc_auc']:.3f}"
        if isinstance(base, dict) and base.get("roc_auc") is not None:
            text += f" (baseline {base['roc_auc']:.3f})"
        return text
    models = metrics.get("models")
    if isinstance(models, dict) and metrics.get("stored_model") in models:
        stored = models[metrics["stored_model"]]
        pop = models.get("popularity", {})
        text = f"{metrics['stored_model']} nDCG@10 {stored.get('ndcg@10', 0):.3f}"
        if pop.get("ndcg@10") is not None:
            text += f" (popularity {pop['ndcg@10']:.3f})"
        return text
    if metrics.get("customers") is not None:
        return f"{metrics['customers']:,} customers"
    if metrics.get("analysed") is not None:
        return f"{metrics['analysed']:,} texts"
    return None


@router.get("/models", response_class=HTMLResponse)
async def models_page(
    request: Request, user: Annotated[WebUser, Depends(Reader)], kind: str = ""
) -> HTMLResponse:
    state = api_state(request)
    query = RunQuery(kind=kind if kind in KINDS else None, limit=200)
    runs, count = await run_read(state, search_runs, state.engine, query)
    return render(
        request,
        "models/index.html",
        {
            "runs": [{**run, "headline": headline(run)} for run in runs],
            "count": count,
            "kinds": KINDS,
            "kind": query.kind or "",
        },
        user=user,
        active="models",
    )


@router.get("/models/{run_id}", response_class=HTMLResponse)
async def model_page(
    request: Request, user: Annotated[WebUser, Depends(Reader)], run_id: int
) -> HTMLResponse:
    state = api_state(request)
    try:
        run = await run_read(state, get_run, state.engine, run_id)
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"#{run_id}") from exc
    parts = run_metrics(run["metrics"])
    t = Translator(language_of(request))
    found: dict[str, dict[str, Any]] = {}
    if parts.drivers:
        top = parts.drivers[:12]
        found["drivers"] = charts.bar(
            [t("feature." + f) if t.has("feature." + f) else f for f, _ in top],
            [round(g, 2) for _, g in top],
            horizontal=True,
        )
    if parts.calibration:
        found["calibration"] = charts.line(
            [f"{p:.2f}" for p, _ in parts.calibration],
            {
                t("models.predicted"): [round(p, 3) for p, _ in parts.calibration],
                t("models.observed"): [round(o, 3) for _, o in parts.calibration],
            },
        )
    return render(
        request,
        "models/detail.html",
        {"run": run, "parts": parts, "charts": found},
        user=user,
        active="models",
    )
