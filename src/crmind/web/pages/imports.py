"""Data (``/ui/data``): upload a file of customers, orders, products, events or feedback, watch
its import, see the history of import runs, and each run's rejected rows with their reasons
(``/ui/data/runs/{id}``, downloadable as CSV).

The upload is saved and imported in the background (:mod:`crmind.services.dashboard_imports`);
the page polls ``/ui/data/progress`` with htmx every half second until the run is done, reading
the rows written from the store. Uploading needs ``imports:write``; the rest ``imports:read``.
A download of rejected rows (raw records, which may hold personal data) is audited.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from anyio.to_thread import run_sync
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crmind.access.roles import Permission
from crmind.api.deps import audit_read, run_read
from crmind.errors import NotFoundError
from crmind.ingest.fields import ImportKind
from crmind.ingest.presets import PRESETS
from crmind.services.dashboard_imports import (
    Progress,
    find_import_job,
    job_progress,
    rejects_csv,
    start_import_job,
)
from crmind.services.import_history import (
    ImportQuery,
    get_import_run,
    import_rejects,
    search_import_runs,
)
from crmind.services.import_uploads import UploadError, UploadOptions, save_upload
from crmind.web.auth import (
    FormUser,
    PageError,
    PageNotFoundError,
    WebUser,
    api_state,
    page_permission,
)
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import render

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("data", f"{UI_PREFIX}/data", "nav.data", Permission.IMPORTS_READ)
Reader = page_permission(Permission.IMPORTS_READ)
Writer = page_permission(Permission.IMPORTS_WRITE)
RUNS_PAGE = 20
REJECTS_PAGE = 50
KINDS = tuple(kind.value for kind in ImportKind)


def upload_name(file_name: str) -> str:
    """A file's name as its sender gave it: without the random prefix an upload is saved with
    (``3fa4c0d2e1b2a3c4-people.csv`` -> ``people.csv``)."""
    return re.sub(r"^[0-9a-f]{16}-", "", file_name)


def _progress(request: Request, token: str) -> Progress:
    engine = api_state(request).engine
    job = find_import_job(engine, token) if token else None
    if job is None:
        return Progress(phase="unknown")
    return job_progress(engine, job)


@router.get("/data", response_class=HTMLResponse)
async def data_page(
    request: Request,
    user: Annotated[WebUser, Depends(Reader)],
    job: str = "",
    page: int = 1,
) -> HTMLResponse:
    state = api_state(request)
    page = max(1, min(page, 10_000))
    # The job's progress is read before the history: a run that is done by then is in it. (Read
    # the other way round, a run finishing in between showed "done" without polling, so the
    # history never reloaded to show it.)
    progress = await run_read(state, _progress, request, job[:40]) if job else None
    runs, count = await run_read(
        state,
        search_import_runs,
        state.engine,
        ImportQuery(limit=RUNS_PAGE, offset=(page - 1) * RUNS_PAGE),
    )
    return render(
        request,
        "imports/index.html",
        {
            "runs": runs,
            "count": count,
            "page": page,
            "pages": max(1, -(-count // RUNS_PAGE)),
            "job": job[:40],
            "progress": progress,
            "kinds": KINDS,
            "presets": sorted(PRESETS.values(), key=lambda p: p.name),
            "can_upload": user.can(Permission.IMPORTS_WRITE),
            "upload_name": upload_name,
        },
        user=user,
        active="data",
    )


@router.get("/data/progress", response_class=HTMLResponse)
async def data_progress(
    request: Request, user: Annotated[WebUser, Depends(Reader)], job: str = ""
) -> HTMLResponse:
    """The progress panel of an import job (polled by the data page while it runs)."""
    state = api_state(request)
    progress = await run_read(state, _progress, request, job[:40])
    response = render(
        request, "imports/progress.html", {"job": job[:40], "progress": progress}, user=user
    )
    if progress.phase in ("done", "failed"):
        response.headers["HX-Trigger"] = "import-finished"  # the history reloads itself
    return response


@router.post("/data/upload")
async def upload(
    request: Request,
    user: Annotated[WebUser, Depends(Writer)],
    form_user: FormUser,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=20)],
    source: Annotated[str, Form(max_length=100)] = "",
    preset: Annotated[str, Form(max_length=100)] = "",
    mapping: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Save the upload, start its import, and send the browser to watch it."""
    if kind not in KINDS:
        raise PageError(f"unknown import kind {kind!r}", "data.bad_kind", kind=kind)
    state = api_state(request)
    try:
        path = await run_sync(save_upload, state.settings, file.filename, file.file)
    except UploadError as exc:
        raise PageError(str(exc), "data.bad_upload", reason=str(exc)) from exc
    options = UploadOptions(
        source=source.strip() or None,
        preset=preset.strip() or None,
        mapping=[line.strip() for line in mapping.splitlines() if line.strip()],
    )
    job = await run_sync(
        start_import_job,
        state.engine,
        state.settings,
        ImportKind(kind),
        path,
        options,
        file.filename or path.name,
    )
    request.scope["crmind.audit_detail"] = {"kind": kind, "file": file.filename, "job": job.token}
    return RedirectResponse(f"{UI_PREFIX}/data?job={job.token}", status_code=303)


def _run_and_rejects(engine: Any, run_id: int, offset: int) -> dict[str, Any]:
    rejects, count = import_rejects(engine, run_id, REJECTS_PAGE, offset)
    return {"run": get_import_run(engine, run_id), "rejects": rejects, "count": count}


@router.get("/data/runs/{run_id}", response_class=HTMLResponse)
async def run_page(
    request: Request,
    user: Annotated[WebUser, Depends(Reader)],
    run_id: int,
    page: int = 1,
) -> HTMLResponse:
    state = api_state(request)
    page = max(1, min(page, 100_000))
    try:
        found = await run_read(
            state, _run_and_rejects, state.engine, run_id, (page - 1) * REJECTS_PAGE
        )
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"import run #{run_id}") from exc
    count = found["count"]
    return render(
        request,
        "imports/run.html",
        {
            **found,
            "page": page,
            "pages": max(1, -(-count // REJECTS_PAGE)),
            "first": (page - 1) * REJECTS_PAGE + 1 if count else 0,
            "last": (page - 1) * REJECTS_PAGE + len(found["rejects"]),
            "upload_name": upload_name,
        },
        user=user,
        active="data",
    )


@router.get("/data/runs/{run_id}/rejects.csv")
async def rejects_download(
    request: Request, user: Annotated[WebUser, Depends(Reader)], run_id: int
) -> Response:
    """Every rejected row of the run with its reason, as a CSV download (audited)."""
    state = api_state(request)
    try:
        body = await run_sync(rejects_csv, state.engine, run_id)
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"import run #{run_id}") from exc
    audit_read(request, "import_rejects", run_id, None)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="import-{run_id}-rejects.csv"',
            "Cache-Control": "no-store",
        },
    )
