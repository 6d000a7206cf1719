from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from crmind.cli import app
from crmind.store.migrate import head_revision

runner = CliRunner()


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


def _invoke(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), *args])
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help_with_an_example() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert {"init", "status", "demo", "db upgrade", "import orders", "import feedback"} <= {
        name for name, _ in commands
    }
    for name, command in commands:
        assert "Example: crmind" in (command.help or ""), name
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, name


def test_init_then_status_shows_an_empty_store(tmp_path: Path) -> None:
    code, out, _ = _invoke(tmp_path, "init")
    assert code == 0
    assert "store ready" in out
    code, out, _ = _invoke(tmp_path, "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert status["counts"]["orders"] == 0
    assert status["revision"] == head_revision()


def test_status_before_init_says_what_to_run(tmp_path: Path) -> None:
    code, _, err = _invoke(tmp_path, "status")
    assert code == 1
    assert "crmind db upgrade" in err


def test_import_prints_a_balanced_summary_and_report_path(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order,amount,date\n1,5,2024-01-01\n2,x,2024-01-02\n", encoding="utf-8")
    code, out, _ = _invoke(tmp_path, "import", "orders", str(path), "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert (summary["rows_read"], summary["rows_stored"], summary["rows_rejected"]) == (2, 1, 1)
    assert summary["report_path"].endswith("orders.csv.rejects.csv")


def test_unreadable_file_gives_one_line_and_exit_code_one(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(b"\x00\x01\x02binary\x00" * 100)
    code, _out, err = _invoke(tmp_path, "import", "orders", str(path))
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert str(path) in err.replace("\n", "")
    assert "binary" in err


def test_bad_map_option_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = _invoke(tmp_path, "import", "orders", str(path), "--map", "nonsense")
    assert code == 1
    assert "source_column=field" in err


def test_db_option_accepts_a_plain_path(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere.db"
    result = runner.invoke(app, ["--db", str(database), "init"])
    assert result.exit_code == 0
    assert database.exists()


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crmind", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "import" in result.stdout
    assert "demo" in result.stdout
