"""``crmind serve``: the REST API (and, as it lands, the dashboard) with uvicorn, and the campaign
scheduler (every ``campaign_poll_seconds``, in the serving process; 0 turns it off)."""

import os
from typing import Annotated

import typer

from crmind.cli.app import app, current_settings, errors, errors_as_messages
from crmind.config import Settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address (default: CRMIND_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: CRMIND_API_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the REST API (the OpenAPI description is at /docs) and run due campaigns.

    Example: crmind serve --port 8000   (then: crmind keys create me --role admin)
    """
    from crmind.api import create_app
    from crmind.services.campaign_runner import CampaignScheduler
    from crmind.services.setup import init_store

    settings = current_settings()
    with errors_as_messages():
        create_app(settings)  # refuses insecure settings before anything listens
        engine, _ = init_store(settings)
    bind_host = host or settings.api_host
    bind_port = port or settings.api_port
    errors.print(f"crmind API on http://{bind_host}:{bind_port} (docs at /docs)")
    scheduler = CampaignScheduler(engine, settings)
    scheduler.start()
    try:
        _run(settings, bind_host, bind_port, workers)
    finally:
        scheduler.stop()


def _run(settings: Settings, bind_host: str, bind_port: int, workers: int) -> None:
    import uvicorn

    from crmind.api import create_app

    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=bind_host,
            port=bind_port,
            log_level="warning",
            access_log=False,  # the audit log records who read and changed what
        )
        return
    # Workers build their app from the environment: hand them the store this command names.
    os.environ["CRMIND_DATABASE_URL"] = settings.resolved_database_url
    os.environ["CRMIND_DATA_DIR"] = str(settings.data_dir)
    uvicorn.run(
        "crmind.api.factory:app_from_environment",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
