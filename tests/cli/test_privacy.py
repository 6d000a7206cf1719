"""``crmind privacy export|erase``, ``crmind consent set|show`` and ``crmind export customers``."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from crmind.cli import app
from crmind.config import Settings
from crmind.services.audit import AuditQuery, search
from crmind.services.setup import init_store
from tests.privacy_store import TARGET, build_store, customer_id_of

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, Engine]:
    """A data directory whose store holds the small analysed store."""
    data = tmp_path / "data"
    engine, _ = init_store(Settings(data_dir=data))
    build_store(engine, tmp_path)
    return data, engine


def _invoke(data: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(data), *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_every_privacy_command_has_help_with_an_example() -> None:
    for group, command in (
        ("privacy", "export"),
        ("privacy", "erase"),
        ("consent", "set"),
        ("consent", "show"),
        ("export", "customers"),
    ):
        result = runner.invoke(app, [group, command, "--help"])
        assert result.exit_code == 0
        assert "Example: crmind" in result.stdout


def test_export_prints_the_persons_data_as_json(store: tuple[Path, Engine], tmp_path: Path) -> None:
    data, engine = store
    person = customer_id_of(engine)
    code, out, _ = _invoke(data, "privacy", "export", str(person))
    assert code == 0
    assert json.loads(out)["customers"][0]["contact"]["email"] == TARGET.email
    target = tmp_path / "subject.json"
    assert _invoke(data, "privacy", "export", str(person), "--out", str(target))[0] == 0
    assert json.loads(target.read_text())["customer_id"] == person


def test_erase_asks_first_and_is_audited_under_the_shell_user(store: tuple[Path, Engine]) -> None:
    data, engine = store
    person = customer_id_of(engine)
    code, _, _ = _invoke(data, "privacy", "erase", str(person), stdin="n\n")
    assert code == 1  # declined: nothing happens
    assert "zelda" in _invoke(data, "privacy", "export", str(person))[1]
    code, out, _ = _invoke(data, "privacy", "erase", str(person), "--yes", "--reason", "req 7")
    assert code == 0
    assert f"customer {person} erased" in out
    assert "zelda" not in _invoke(data, "privacy", "export", str(person))[1].lower()
    entries, _ = search(engine, AuditQuery(action="erase", customer_id=person))
    assert entries[0]["actor"].startswith("cli:")
    code, out, _ = _invoke(data, "privacy", "erase", str(person), "--yes")
    assert (code, "nothing changed" in out) == (0, True)


def test_consent_set_and_show(store: tuple[Path, Engine]) -> None:
    data, engine = store
    person = str(customer_id_of(engine))
    code, out, _ = _invoke(
        data, "consent", "set", person, "profiling", "withdraw", "--source", "call"
    )
    assert code == 0
    assert "rows of profiling data deleted" in out
    code, out, _ = _invoke(data, "consent", "show", person, "--json")
    shown = json.loads(out)
    assert shown["profiling"]["decision"] == "withdraw"
    assert shown["profiling"]["source"] == "call"
    code, _, err = _invoke(data, "consent", "set", person, "profiling", "maybe")
    assert (code, "unknown consent decision 'maybe'" in err) == (1, True)
    code, _, err = _invoke(data, "consent", "set", "999", "profiling", "grant")
    assert (code, "no customer with id 999" in err) == (1, True)


def test_export_customers_pseudonymised_holds_no_contacts(
    store: tuple[Path, Engine], tmp_path: Path
) -> None:
    data, _ = store
    out = tmp_path / "customers.parquet"
    code, printed, _ = _invoke(
        data, "export", "customers", "--pseudonymise", "--format", "parquet", "--out", str(out)
    )
    assert code == 0
    assert "pseudonymised" in printed
    table = pl.read_parquet(out)
    assert table.columns[0] == "pseudonym"
    assert "email" not in table.columns
    code, _, err = _invoke(data, "export", "customers", "--format", "xml", "--out", str(out))
    assert (code, "unknown export format 'xml'" in err) == (1, True)
