"""The Typer app, its global options, and what every command shares (errors, progress)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from crmind.config import Settings, get_settings
from crmind.errors import CrmindError

app = typer.Typer(
    help="crmind: an open-source, self-hosted AI customer-relationship platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the store's schema.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import a file (CSV, TSV, XLSX, JSON, JSON Lines, Parquet; .gz/.xz/.zip too).",
    no_args_is_help=True,
)
evaluate_app = typer.Typer(help="Measure model quality on your data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(evaluate_app, name="evaluate")

console = Console()
errors = Console(stderr=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
"""The ``--json`` option of the commands that can print JSON instead of tables."""


class _State:
    settings: Settings | None = None


state = _State()


def current_settings() -> Settings:
    """The settings in force: the global options over the environment."""
    return state.settings or get_settings()


@app.callback()
def _main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite file path (default: CRMIND_DATABASE_URL, else "
            "crmind.db in the data directory).",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default: CRMIND_DATA_DIR or ~/.crmind).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """crmind: unify, understand and act on customer data.

    Example: crmind demo
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if db is not None:
        overrides["database_url"] = db if "://" in db else f"sqlite:///{Path(db).resolve()}"
    state.settings = Settings(**overrides) if overrides else None  # type: ignore[arg-type]


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Turn library errors into one line on stderr and an exit code."""
    try:
        yield
    except CrmindError as exc:
        typer.echo(typer.style(f"error: {exc}", fg="red", bold=True), err=True)
        raise typer.Exit(1) from exc
    except KeyboardInterrupt as exc:
        message = (
            "interrupted: every batch committed so far is stored; "
            "run the same command again to finish"
        )
        typer.echo(typer.style(message, fg="yellow"), err=True)
        raise typer.Exit(130) from exc


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="cyan")


def progress_bar() -> Progress:
    """A Rich progress bar on stderr with a rows/s column."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )
