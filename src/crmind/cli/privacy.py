"""Commands of privacy: subject requests (``crmind privacy export|erase``), consent
(``crmind consent set|show``) and the customer analytics export (``crmind export customers``).

Every command is audited under the shell's actor (``cli:<login>``); the CLI is trusted, so a
non-pseudonymised export needs no role here (the API allows it to admins only).
"""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages
from crmind.privacy.consent import DECISIONS, PURPOSES
from crmind.services.audit import cli_actor
from crmind.services.consents import current_consents, record_consent
from crmind.services.exports import FORMATS, export_customers
from crmind.services.privacy import erase_customer
from crmind.services.setup import open_store, require_current_schema
from crmind.services.subject_export import export_customer, export_json

privacy_app = typer.Typer(
    help="A person's requests: see all their data, or have it erased.", no_args_is_help=True
)
consent_app = typer.Typer(help="Consent per purpose, with its history.", no_args_is_help=True)
export_app = typer.Typer(help="Export data for analysis.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
app.add_typer(consent_app, name="consent")
app.add_typer(export_app, name="export")

Customer = Annotated[int, typer.Argument(help="The customer's id.", min=1)]


def _store() -> Engine:
    engine = open_store(current_settings())
    require_current_schema(engine)
    return engine


@privacy_app.command("export")
def privacy_export(
    customer: Customer,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here instead of stdout.")
    ] = None,
) -> None:
    """Everything held about a person (and the customers merged into them), as JSON.

    Example: crmind privacy export 17 --out subject-17.json
    """
    with errors_as_messages():
        document = export_customer(_store(), customer, actor=cli_actor())
    payload = export_json(document)
    if out is None:
        typer.echo(payload)
        return
    out.write_text(payload + "\n", encoding="utf-8")
    console.print(f"customer {document['customer_id']}: export written to {out}")


@privacy_app.command("erase")
def privacy_erase(
    customer: Customer,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    reason: Annotated[
        str | None,
        typer.Option(help="Why (e.g. a request number); kept in the erasure record. No names."),
    ] = None,
) -> None:
    """Erase a person's personal data from every table; orders stay under an empty record.

    Example: crmind privacy erase 17 --reason "request 2024-031" --yes
    """
    if not yes:
        typer.confirm(
            f"Erase the personal data of customer {customer} and of the customers merged into "
            "them? This cannot be undone",
            abort=True,
        )
    with errors_as_messages(), console.status(f"erasing customer {customer}"):
        result = erase_customer(_store(), customer, actor=cli_actor(), reason=reason)
    table = Table("table", "rows", title=f"erasure {result.erasure_id}")
    for name, rows in sorted(result.rows.items()):
        if rows:
            table.add_row(name, f"{rows:,}")
    console.print(table)
    merged = [c for c in result.customers if c != result.customer_id]
    note = f" (and merged customers {', '.join(map(str, merged))})" if merged else ""
    console.print(
        f"customer {result.customer_id}{note} erased: {result.total:,} rows changed"
        if result.total
        else f"customer {result.customer_id} held no personal data any more: nothing changed"
    )
    if result.wal_checkpointed is False:
        console.print(
            "[yellow]another process is reading the store: the write-ahead log still holds old "
            "pages until it is checkpointed (close other crmind processes and run this again)"
        )


@consent_app.command("set")
def consent_set(
    customer: Customer,
    purpose: Annotated[str, typer.Argument(help=f"One of: {', '.join(PURPOSES)}.")],
    decision: Annotated[str, typer.Argument(help=f"One of: {', '.join(DECISIONS)}.")],
    source: Annotated[
        str, typer.Option(help="Where the decision came from (web form, letter, call, ...).")
    ] = "cli",
) -> None:
    """Record that a customer grants or withdraws consent for a purpose. Withdrawing
    ``profiling`` deletes their profiles, segments, scores and recommendations at once.

    Example: crmind consent set 17 profiling withdraw --source "phone call"
    """
    with errors_as_messages():
        change = record_consent(
            _store(), customer, purpose, decision, source=source, actor=cli_actor()
        )
    console.print(
        f"customer {change.customer_id}: {purpose} {change.consent.decision} recorded "
        f"(source {source})"
    )
    deleted = sum(change.deleted.values())
    if deleted:
        console.print(f"{deleted:,} rows of profiling data deleted")


@consent_app.command("show")
def consent_show(customer: Customer, as_json: AsJson = False) -> None:
    """The consent in force per purpose. Example: crmind consent show 17"""
    with errors_as_messages():
        current = current_consents(_store(), customer)
    if as_json:
        payload = {
            purpose: {
                "decision": record.decision,
                "source": record.source,
                "recorded_by": record.recorded_by,
                "recorded_at": record.recorded_at.isoformat(),
            }
            for purpose, record in current.items()
        }
        console.print_json(json.dumps(payload))
        return
    table = Table("purpose", "decision", "source", "recorded by", "recorded at")
    for purpose in PURPOSES:
        record = current.get(purpose)
        if record is None:
            table.add_row(purpose, "not recorded", "", "", "")
            continue
        table.add_row(
            purpose,
            record.decision,
            record.source,
            record.recorded_by or "",
            f"{record.recorded_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@export_app.command("customers")
def export_customers_command(
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise", help="Keyed pseudonyms instead of ids, and no contact fields."
        ),
    ] = False,
    file_format: Annotated[
        str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")
    ] = "csv",
) -> None:
    """One row per analysed customer: profile, segments and scores.

    Example: crmind export customers --pseudonymise --format parquet --out customers.parquet
    """
    settings = current_settings()
    with errors_as_messages(), console.status("exporting customers"):
        result = export_customers(
            _store(),
            settings,
            out,
            file_format=file_format,
            pseudonymised=pseudonymise,
            actor=cli_actor(),
        )
    kind = "pseudonymised" if result.pseudonymised else "with ids and contacts"
    console.print(
        f"{result.rows:,} customers ({kind}, analysis run {result.analysis_run}) written to {out}"
    )
