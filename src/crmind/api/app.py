"""The app factory: ``create_app(settings)``. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from crmind import __version__
from crmind.api.audit import AuditMiddleware
from crmind.api.deps import ApiState
from crmind.api.problems import install_problem_handlers
from crmind.api.routes import ROUTERS
from crmind.config import Settings
from crmind.errors import ConfigurationError
from crmind.privacy.keys import has_explicit_secret
from crmind.services.audit import AuditWriter
from crmind.services.setup import ensure_cipher, open_store, require_current_schema
from crmind.web.mount import install_dashboard

logger = logging.getLogger(__name__)

DESCRIPTION = """\
crmind's REST API. Authenticate with an API key (`crmind keys create`) sent as
`Authorization: Bearer <key>`. Every route names the permission it needs; roles are admin,
agent, marketer, analyst and viewer. Errors are RFC 9457 problem details. Lists take `limit`
and `offset` and answer `{"data": [...], "count": N}`.
"""


def check_secure_defaults(settings: Settings) -> None:
    """Refuse to serve in production without an explicit secret key."""
    if settings.environment == "production" and not has_explicit_secret(settings):
        raise ConfigurationError(
            "refusing to start in production without CRMIND_SECRET_KEY: the development key "
            "in the data directory is not a production secret"
        )


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The API on the store the settings name (or on ``engine``), with every router.

    Raises ConfigurationError when the settings are not safe to serve with, and StoreError
    (at start-up) when the store's schema is not current.
    """
    check_secure_defaults(settings)
    holder: dict[str, ApiState] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        store = ensure_cipher(engine, settings) if engine is not None else open_store(settings)
        require_current_schema(store)
        state = ApiState(settings=settings, engine=store, audit=AuditWriter(store))
        holder["state"] = app.state.crmind = state
        try:
            yield
        finally:
            state.audit.close()
            if own_engine:
                store.dispose()

    app = FastAPI(
        title="crmind",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # crmind runs offline: no OpenTelemetry, and no per-request look-up of its providers
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_problem_handlers(app)
    app.add_middleware(AuditMiddleware, writer_of=lambda: holder["state"].audit)
    for router in ROUTERS:
        app.include_router(router)
    install_dashboard(app)  # the web dashboard under /ui, same users, roles and audit log
    return app
