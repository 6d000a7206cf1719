"""The ``crmind`` command line: each command is a thin wrapper over a call into services/.

Library errors (:class:`crmind.errors.CrmindError`) become one red line on stderr and exit code 1.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
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
from rich.table import Table
from rich.text import Text

from crmind import __version__
from crmind.config import Settings, get_settings
from crmind.errors import CrmindError
from crmind.ingest.fields import ImportKind
from crmind.ingest.presets import PRESETS
from crmind.services.demo import StoreReport, import_demo_data, store_report
from crmind.services.importing import ImportRequest, ImportSummary, import_file
from crmind.services.setup import init_store, open_store, require_current_schema
from crmind.services.status import store_status
from crmind.store.migrate import current_revision, head_revision

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
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")

console = Console()
errors = Console(stderr=True)


class _State:
    settings: Settings | None = None


state = _State()


def _settings() -> Settings:
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
def _errors_as_messages() -> Iterator[None]:
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


@app.command()
def version() -> None:
    """Print crmind's version. Example: crmind version"""
    console.print(__version__)


@app.command()
def init() -> None:
    """Create the data directory and the store, and migrate it to the newest schema.

    Example: crmind init
    """
    with _errors_as_messages():
        engine, revision = init_store(_settings())
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

    with _errors_as_messages():
        engine = open_store(_settings())
        console.print(f"schema at {upgrade(engine, revision)}")


@db_app.command("current")
def db_current() -> None:
    """Show the store's schema revision and the newest one this crmind knows.

    Example: crmind db current
    """
    with _errors_as_messages():
        engine = open_store(_settings())
        console.print(f"store: {current_revision(engine) or 'none'}, newest: {head_revision()}")


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="cyan")


def _progress() -> Progress:
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


def _run_import(request: ImportRequest, as_json: bool) -> ImportSummary:
    settings = _settings()
    engine, _ = init_store(settings)
    with _progress() as progress:
        task = progress.add_task(f"reading {request.path.name}", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, description="writing", completed=done, total=total)

        summary = import_file(
            engine, request, reports_dir=settings.data_dir / "reports", progress=report
        )
        progress.update(task, description="done")
    if as_json:
        console.print_json(json.dumps(summary.as_dict(), default=str))
    else:
        _print_summary(summary)
    return summary


def _print_summary(summary: ImportSummary) -> None:
    table = Table(
        title=f"import run {summary.run_id}: {summary.kind} from {Path(summary.path).name}"
    )
    table.add_column("rows", style="bold")
    table.add_column("count", justify="right")
    table.add_row("read", f"{summary.rows_read:,}")
    table.add_row("stored", f"{summary.rows_stored:,}")
    table.add_row("  new", f"{summary.rows_new:,}")
    table.add_row("  already in the store", f"{summary.rows_existing:,}")
    table.add_row("rejected", f"{summary.rows_rejected:,}")
    for reason, count in summary.reject_reasons[:8]:
        table.add_row(f"  {reason}", f"{count:,}")
    console.print(table)
    check = "=" if summary.rows_read == summary.rows_stored + summary.rows_rejected else "!="
    console.print(
        f"{summary.status}{' (resumed)' if summary.resumed else ''}: read {summary.rows_read:,} "
        f"{check} stored {summary.rows_stored:,} + rejected {summary.rows_rejected:,} "
        f"in {summary.seconds:.1f} s ({summary.rows_read / max(summary.seconds, 1e-9):,.0f} rows/s)"
    )
    if summary.report_path:
        console.print(f"rejected rows with their reasons: {summary.report_path}")
    for note in summary.notes:
        console.print(f"[dim]read {note}[/dim]")


def _make_import_command(kind: ImportKind) -> None:
    presets = ", ".join(p.name for p in PRESETS.values() if p.kind is kind) or "none"

    def command(
        file: Annotated[Path, typer.Argument(help="The file to import.")],
        preset: Annotated[
            str | None, typer.Option(help=f"Layout of a known data set ({presets}).")
        ] = None,
        map_: Annotated[
            list[str] | None,
            typer.Option("--map", help="Column mapping source_col=field; repeatable."),
        ] = None,
        source: Annotated[
            str | None,
            typer.Option(help="Name of the system the data comes from (keys are per source)."),
        ] = None,
        encoding: Annotated[
            str | None, typer.Option(help="Text encoding (default: detected).")
        ] = None,
        delimiter: Annotated[
            str | None, typer.Option(help="Field delimiter (default: detected).")
        ] = None,
        sheet: Annotated[str | None, typer.Option(help="Worksheet of an XLSX file.")] = None,
        timezone: Annotated[
            str | None, typer.Option(help="Zone of timestamps without offset (IANA name).")
        ] = None,
        date_format: Annotated[
            list[str] | None, typer.Option(help="strftime format of dates; repeatable.")
        ] = None,
        dayfirst: Annotated[
            bool | None, typer.Option("--dayfirst/--monthfirst", help="Read 01/02 as 1 Feb.")
        ] = None,
        batch_rows: Annotated[
            int | None, typer.Option(help="Rows written per transaction.", min=1)
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    ) -> None:
        from crmind.ingest.mapping import parse_map_option

        with _errors_as_messages():
            settings = _settings()
            request = ImportRequest(
                kind=kind,
                path=file,
                source=source,
                preset=preset,
                mapping=parse_map_option(map_ or []),
                encoding=encoding,
                delimiter=delimiter,
                sheet=sheet,
                timezone=timezone or settings.default_timezone,
                date_formats=tuple(date_format or ()),
                dayfirst=dayfirst,
                phone_region=settings.default_phone_region,
                default_currency=settings.default_currency,
                batch_rows=batch_rows or settings.import_batch_rows,
            )
            _run_import(request, as_json)

    command.__doc__ = (
        f"Import {kind} from FILE; bad rows are kept with their reasons.\n\n"
        f"Example: crmind import {kind} {_EXAMPLES[kind]}"
    )
    import_app.command(str(kind))(command)


_EXAMPLES = {
    ImportKind.ORDERS: "online_retail.csv.xz --preset online-retail",
    ImportKind.CUSTOMERS: "customers.csv --map 'E-mail=email' --source shop",
    ImportKind.PRODUCTS: "products.xlsx --sheet Catalogue",
    ImportKind.EVENTS: "events.jsonl --timezone Europe/London",
    ImportKind.FEEDBACK: "reviews.csv --map review_text=text",
}

for _kind in ImportKind:
    _make_import_command(_kind)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show row counts of the store and the latest imports.

    Example: crmind status
    """
    with _errors_as_messages():
        engine = open_store(_settings())
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


@app.command()
def demo() -> None:
    """Build the demo store from the bundled UCI Online Retail data and print a report.

    The demo store is demo.db in the data directory unless --db names another.
    Example: crmind demo
    """
    with _errors_as_messages():
        settings = _settings()
        if settings.database_url is None:
            settings = settings.model_copy(
                update={"database_url": f"sqlite:///{settings.data_dir / 'demo.db'}"}
            )
        engine, _ = init_store(settings)
        console.print(f"demo store: {engine.url.render_as_string(hide_password=True)}")
        with _progress() as progress:
            task = progress.add_task("importing UCI Online Retail", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = import_demo_data(
                engine, reports_dir=settings.data_dir / "reports", progress=report
            )
        _print_summary(summary)
        _print_report(store_report(engine))
        url = engine.url.render_as_string(hide_password=True)
        console.print(f"explore it: crmind --db {url} status")


def _print_report(report: StoreReport) -> None:
    table = Table(title="the store at a glance")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("customers (with orders)", f"{report.customers:,}")
    table.add_row("orders / returns", f"{report.orders:,} / {report.returns:,}")
    table.add_row("guest orders (no customer)", f"{report.guest_orders:,}")
    table.add_row("order lines / products", f"{report.order_lines:,} / {report.products:,}")
    table.add_row(
        "revenue gross / net of returns", f"{report.gross_revenue:,.2f} / {report.net_revenue:,.2f}"
    )
    if report.first_order and report.last_order:
        table.add_row("period", f"{report.first_order:%Y-%m-%d} .. {report.last_order:%Y-%m-%d}")
    table.add_row("customers who ordered again", f"{report.repeat_customer_share:.1%}")
    for country, revenue in report.top_countries:
        table.add_row(f"  revenue {country}", f"{revenue:,.2f}")
    for product, revenue in report.top_products:
        table.add_row(f"  top product {product}", f"{revenue:,.2f}")
    console.print(table)


def main() -> None:
    """Entry point of the ``crmind`` console script."""
    app()
