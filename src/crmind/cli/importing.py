"""``crmind import KIND FILE``: one command per kind of import."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmind.cli.app import (
    console,
    current_settings,
    errors_as_messages,
    import_app,
    progress_bar,
)
from crmind.ingest.fields import ImportKind
from crmind.ingest.presets import PRESETS
from crmind.services.audit import AuditRecord, cli_actor, record
from crmind.services.identity import merge_duplicates
from crmind.services.importing import ImportRequest, ImportSummary, import_file
from crmind.services.setup import init_store


def _run_import(request: ImportRequest, as_json: bool, resolve: bool = False) -> ImportSummary:
    settings = current_settings()
    engine, _ = init_store(settings)
    with progress_bar() as progress:
        task = progress.add_task(f"reading {request.path.name}", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, description="writing", completed=done, total=total)

        summary = import_file(
            engine, request, reports_dir=settings.data_dir / "reports", progress=report
        )
        record(
            engine,
            AuditRecord(
                actor=cli_actor(),
                action="import",
                resource="import_runs",
                resource_id=str(summary.run_id),
                detail={"kind": request.kind.value, "file": str(request.path)},
            ),
        )
        progress.update(task, description="done")
    resolved: dict[str, object] = {}
    merged = 0
    if resolve:
        with console.status("looking for duplicate customers"):
            found, result = merge_duplicates(engine, apply=True)
        merges = result.merged if result else []
        merged = sum(len(cluster.merged_ids) for cluster in merges)
        resolved = {
            "clusters": len(found.clusters),
            "merged": [vars(cluster) for cluster in merges],
            "refused": [vars(cluster) for cluster in result.refused] if result else [],
        }
    if as_json:
        payload = summary.as_dict() | ({"resolved": resolved} if resolve else {})
        console.print_json(json.dumps(payload, default=str))
    else:
        print_summary(summary)
        if resolve:
            console.print(
                f"identity resolution: {resolved['clusters']} cluster(s) of duplicates, "
                f"{merged} customer(s) merged (undo with `crmind identity unmerge ID`, "
                "see `crmind identity history`)"
            )
    return summary


def print_summary(summary: ImportSummary) -> None:
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
        resolve: Annotated[
            bool,
            typer.Option(
                "--resolve", help="Then find duplicate customers and merge them (undoable)."
            ),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    ) -> None:
        from crmind.ingest.mapping import parse_map_option

        with errors_as_messages():
            settings = current_settings()
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
            _run_import(request, as_json, resolve)

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
