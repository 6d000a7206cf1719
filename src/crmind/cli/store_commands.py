"""Commands about the store itself: version, init, db upgrade / current, status."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmind import __version__
from crmind.cli.app import (
    app,
    console,
    current_settings,
    db_app,
    errors_as_messages,
)
from crmind.services.setup import init_store, open_store, require_current_schema
from crmind.services.status import store_status
from crmind.store.migrate import current_revision, head_revision


@app.command()
def version() -> None:
    """Print crmind's version. Example: crmind version"""
    console.print(__version__)


@app.command()
def init() -> None:
    """Create the data directory and the store, and migrate it to the newest schema.

    Example: crmind init
    """
    with errors_as_messages():
        engine, revision = init_store(current_settings())
        console.print(
            f"store ready at {engine.url.render_as_string(hide_password=True)} (schema {revision})"
        )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Migrate the store's schema (to the newest by default).

    Example: crmind db upgrade
    """
    from crmind.store.migrate import upgrade

    with errors_as_messages():
        engine = open_store(current_settings())
        console.print(f"schema at {upgrade(engine, revision)}")


@db_app.command("current")
def db_current() -> None:
    """Show the store's schema revision and the newest one this crmind knows.

    Example: crmind db current
    """
    with errors_as_messages():
        engine = open_store(current_settings())
        console.print(f"store: {current_revision(engine) or 'none'}, newest: {head_revision()}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show row counts of the store and the latest imports.

    Example: crmind status
    """
    with errors_as_messages():
        engine = open_store(current_settings())
        require_current_schema(engine)
        result = store_status(engine)
    if as_json:
        console.print_json(json.dumps(asdict(result), default=str))
        return
    console.print(f"store {result.database} (schema {result.revision})")
    counts = Table(title="rows")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, count in result.counts.items():
        counts.add_row(name, f"{count:,}")
    console.print(counts)
    runs = Table(title="latest imports")
    for col in ("run", "kind", "source", "file", "status", "read", "new", "rejected", "started"):
        runs.add_column(col)
    for r in result.recent_imports:
        runs.add_row(
            str(r.id),
            r.kind,
            r.source,
            Path(r.file_name).name,
            r.status,
            f"{r.rows_read:,}",
            f"{r.rows_new:,}",
            f"{r.rows_rejected:,}",
            f"{r.started_at:%Y-%m-%d %H:%M}",
        )
    console.print(runs)
