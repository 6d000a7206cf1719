from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crmind.cli import app

runner = CliRunner()


def _invoke(tmp_path: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_a_key_is_printed_once_and_lists_show_only_its_prefix(tmp_path: Path) -> None:
    assert _invoke(tmp_path, "init")[0] == 0
    code, out, _ = _invoke(tmp_path, "users", "add", "ana", "--role", "agent")
    assert (code, "user ana (agent) added" in out) == (0, True)
    code, out, _ = _invoke(tmp_path, "keys", "create", "desk", "--user", "ana")
    assert code == 0
    secret = next(line for line in out.splitlines() if line.startswith("crm_"))
    prefix = secret.split("_")[1]
    code, listing, _ = _invoke(tmp_path, "keys", "list", "--json")
    keys = json.loads(listing)
    assert [(k["prefix"], k["role"], k["username"]) for k in keys] == [(prefix, "agent", "ana")]
    assert secret not in listing
    assert _invoke(tmp_path, "keys", "revoke", prefix)[0] == 0
    assert json.loads(_invoke(tmp_path, "keys", "list", "--json")[1])[0]["revoked"] is True


def test_a_bad_role_or_a_taken_name_is_one_clear_line(tmp_path: Path) -> None:
    _invoke(tmp_path, "init")
    code, _, err = _invoke(tmp_path, "users", "add", "bob", "--role", "root")
    assert code == 1
    assert "unknown role 'root'" in err
    _invoke(tmp_path, "users", "add", "bob", "--role", "viewer")
    code, _, err = _invoke(tmp_path, "users", "add", "bob", "--role", "viewer")
    assert (code, "exists already" in err) == (1, True)


def test_a_password_is_asked_twice_and_not_stored_in_clear(tmp_path: Path) -> None:
    _invoke(tmp_path, "init")
    code, _, _ = _invoke(
        tmp_path,
        "users",
        "add",
        "cy",
        "--role",
        "admin",
        "--password",
        stdin="s3cret-pw\ns3cret-pw\n",
    )
    assert code == 0
    raw = (tmp_path / "data" / "crmind.db").read_bytes()
    wal = tmp_path / "data" / "crmind.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert b"s3cret-pw" not in raw


def test_the_audit_log_lists_what_the_commands_changed(tmp_path: Path) -> None:
    _invoke(tmp_path, "init")
    _invoke(tmp_path, "users", "add", "ana", "--role", "agent")
    _invoke(tmp_path, "keys", "create", "shop", "--role", "admin")
    code, out, _ = _invoke(tmp_path, "audit", "--json")
    assert code == 0
    entries = json.loads(out)["data"]
    assert [(e["action"], e["resource"]) for e in entries] == [
        ("create", "api_keys"),
        ("create", "users"),
    ]
    assert all(e["actor"].startswith("cli:") for e in entries)


def test_an_import_and_a_customer_view_from_the_shell_are_audited(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,email\nK1,Ann Lee,ann@example.com\n", encoding="utf-8")
    assert _invoke(tmp_path, "import", "customers", str(people), "--source", "shop")[0] == 0
    code, out, _ = _invoke(tmp_path, "customer", "1")
    assert code == 0
    assert "Ann Lee" in out
    entries = json.loads(_invoke(tmp_path, "audit", "--json")[1])["data"]
    assert [(e["action"], e["resource"], e["customer_id"]) for e in entries] == [
        ("read", "customers", 1),
        ("import", "import_runs", None),
    ]
