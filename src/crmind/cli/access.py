"""Commands of access and audit: users, API keys, the audit log."""

import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages
from crmind.services.access import add_user, create_key, list_keys, list_users, revoke_key
from crmind.services.audit import AuditQuery, AuditRecord, cli_actor, record, search
from crmind.services.setup import open_store, require_current_schema
from crmind.store.schema_access import ROLES

users_app = typer.Typer(help="Manage the people who use crmind.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")

ROLE_HELP = f"One of: {', '.join(ROLES)}."


def _store() -> Engine:
    engine = open_store(current_settings())
    require_current_schema(engine)
    return engine


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the dashboard.")] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (for the dashboard).")
    ] = False,
) -> None:
    """Add a user. Example: crmind users add ana --role agent --password"""
    secret = (
        typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    )
    with errors_as_messages():
        engine = _store()
        user = add_user(engine, username, role, display_name, secret)
        record(
            engine,
            AuditRecord(actor=cli_actor(), action="create", resource="users", resource_id=username),
        )
    console.print(f"user {user.username} ({user.role}) added, id {user.id}")


@users_app.command("list")
def users_list(as_json: AsJson = False) -> None:
    """List users. Example: crmind users list"""
    with errors_as_messages():
        users = list_users(_store())
    if as_json:
        console.print_json(json.dumps([asdict(u) for u in users], default=str))
        return
    table = Table("id", "username", "role", "name", "created", "disabled")
    for u in users:
        table.add_row(
            str(u.id),
            u.username,
            u.role,
            u.display_name or "",
            f"{u.created_at:%Y-%m-%d}",
            "yes" if u.disabled else "",
        )
    console.print(table)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'web shop events'.")],
    user: Annotated[str | None, typer.Option(help="The user the key acts for.")] = None,
    role: Annotated[str | None, typer.Option(help=f"{ROLE_HELP} Default: the user's role.")] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(help="Requests per minute (default: CRMIND_API_RATE_LIMIT_PER_MINUTE)."),
    ] = None,
    expires_in_days: Annotated[int | None, typer.Option(help="Days until the key expires.")] = None,
) -> None:
    """Create an API key and print it once; only its hash is stored.

    Example: crmind keys create "support desk" --user ana
    """
    with errors_as_messages():
        engine = _store()
        created = create_key(engine, name, role, user, rate_limit, expires_in_days)
        record(
            engine,
            AuditRecord(
                actor=cli_actor(),
                action="create",
                resource="api_keys",
                resource_id=created.info.prefix,
            ),
        )
    console.print(f"key {created.info.prefix} ({created.info.role}) for {name}:")
    typer.echo(created.secret)
    console.print("[yellow]store it now: it is not shown again[/yellow]")


@keys_app.command("list")
def keys_list(as_json: AsJson = False) -> None:
    """List API keys by prefix (never their secrets). Example: crmind keys list"""
    with errors_as_messages():
        keys = list_keys(_store())
    if as_json:
        console.print_json(json.dumps([asdict(k) for k in keys], default=str))
        return
    table = Table("prefix", "name", "role", "user", "limit/min", "created", "last used", "state")
    for k in keys:
        table.add_row(
            k.prefix,
            k.name,
            k.role,
            k.username or "",
            str(k.rate_limit_per_minute or ""),
            f"{k.created_at:%Y-%m-%d}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "",
            "revoked" if k.revoked else "active",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix.")]) -> None:
    """Revoke a key. Example: crmind keys revoke 1a2b3c4d"""
    with errors_as_messages():
        engine = _store()
        key = revoke_key(engine, prefix)
        record(
            engine,
            AuditRecord(
                actor=cli_actor(), action="revoke", resource="api_keys", resource_id=prefix
            ),
        )
    console.print(f"key {key.prefix} ({key.name}) revoked")


@app.command("audit")
def audit(
    actor: Annotated[str | None, typer.Option(help="e.g. user:ana, key:1a2b3c4d")] = None,
    action: Annotated[str | None, typer.Option(help="read, post, patch, erase, ...")] = None,
    resource: Annotated[str | None, typer.Option(help="e.g. customers")] = None,
    customer: Annotated[int | None, typer.Option(help="Entries about this customer.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this UTC time.")] = None,
    until: Annotated[datetime | None, typer.Option(help="Before this UTC time.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Entries to show.")] = 50,
    as_json: AsJson = False,
) -> None:
    """Who read or changed what, newest first.

    Example: crmind audit --customer 17 --since 2026-01-01
    """
    with errors_as_messages():
        rows, count = search(
            _store(),
            AuditQuery(
                actor=actor,
                action=action,
                resource=resource,
                customer_id=customer,
                since=since,
                until=until,
                limit=limit,
            ),
        )
    if as_json:
        console.print_json(json.dumps({"data": rows, "count": count}, default=str))
        return
    table = Table(
        "when (UTC)", "actor", "role", "action", "resource", "id", "customer", "status", "from"
    )
    for r in rows:
        table.add_row(
            f"{r['occurred_at']:%m-%d %H:%M:%S}",
            r["actor"],
            r["role"] or "",
            r["action"],
            r["resource"],
            r["resource_id"] or "",
            str(r["customer_id"] or ""),
            str(r["status_code"] or ""),
        )
    console.print(table)
    console.print(f"{len(rows)} of {count:,} entries")
