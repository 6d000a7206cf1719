"""Use case: start an analysis run in the background (``POST /analysis-runs``).

``start_analysis`` returns the run's id as soon as the run is recorded; the run goes on in a
thread and its status (running, completed, failed) is read from ``model_runs``. One analysis
at a time per store and process: a second start while one runs is refused with
AnalysisBusyError. An error before the run is recorded (e.g. a store without orders) is raised
to the caller. A run cut short by the process ending stays ``running`` in the store.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from crmind.errors import CrmindError
from crmind.services.analysis import AnalysisOptions, run_analysis

logger = logging.getLogger(__name__)

_busy: set[str] = set()
_guard = threading.Lock()


class AnalysisBusyError(CrmindError):
    """An analysis of this store is running already in this process."""


def _store_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def analysis_running(engine: Engine) -> bool:
    """Whether this process is analysing the store on ``engine`` now."""
    with _guard:
        return _store_key(engine) in _busy


def start_analysis(engine: Engine, options: AnalysisOptions) -> int:
    """Start an analysis in a background thread and return its run id once it is recorded."""
    key = _store_key(engine)
    with _guard:
        if key in _busy:
            raise AnalysisBusyError(
                "an analysis of this store is running; wait for it to finish (GET /model-runs)"
            )
        _busy.add(key)
    recorded = threading.Event()
    outcome: dict[str, object] = {}

    def on_start(run_id: int) -> None:
        outcome["run_id"] = run_id
        recorded.set()

    def work() -> None:
        try:
            run_analysis(engine, options, on_start=on_start)
        except BaseException as exc:
            if "run_id" in outcome:  # recorded as failed by run_analysis; the caller has gone
                logger.exception("analysis run %s failed", outcome["run_id"])
            outcome["error"] = exc
        finally:
            with _guard:
                _busy.discard(key)
            recorded.set()

    threading.Thread(target=work, name="crmind-analysis", daemon=True).start()
    recorded.wait()
    run_id = outcome.get("run_id")
    if isinstance(run_id, int):
        return run_id
    error = outcome.get("error")
    assert isinstance(error, BaseException)
    raise error
