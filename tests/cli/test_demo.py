from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_console_script_builds_the_store_then_adds_nothing(tmp_path: Path) -> None:
    script = shutil.which("crmind", path=str(Path(sys.executable).parent))
    assert script is not None, "the crmind console script is not installed"
    env = {**os.environ, "CRMIND_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    first = subprocess.run([script, "demo"], capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    assert "read 541,909 = stored" in first.stdout
    assert "customers (with orders)" in first.stdout
    tables = (
        "learned segments",
        "RFM segments",
        "top customers by lifetime value",
        "highest churn scores",
    )
    for table in tables:
        assert table in first.stdout
    assert "feedback: 3,000 review sentences (UCI, bundled) read, 0 rejected" in first.stdout
    assert "topics of all feedback" in first.stdout
    assert "the service assistant (demo knowledge base: 90 articles" in first.stdout
    assert "ticket #1" in first.stdout
    second = subprocess.run([script, "demo"], capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0, second.stderr
    assert "already imported" in second.stdout
    status = subprocess.run(
        [script, "--db", str(tmp_path / "demo.db"), "status", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    counts = json.loads(status.stdout)["counts"]
    assert counts["order_lines"] + counts["import_rejects"] == 541_909
    assert counts["feedback"] == 3_000
    assert counts["feedback_analyses"] == 3_000  # the second demo found nothing new to read
    assert counts["import_runs"] == 2
    assert counts["knowledge_articles"] == 90  # imported again: updated in place, no copies
