"""``crmind campaigns ...`` through the CLI, and the runner killed mid-campaign (a real process,
SIGKILL) then started again: no message is sent twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crmind.cli import app
from crmind.services.setup import open_store
from crmind.store.schema_campaigns import CampaignMessage
from tests.campaign_store import CONSENTING, CampaignStore, copy_campaign_store
from tests.campaigns.smtp_server import SmtpServer, free_port

runner = CliRunner()

CAMPAIGN = """
name: win-back
audience:
  stages: [at_risk, lapsed, churned, active, reactivated]
content:
  subject: {en: "{{ first_name }}, come back", zh: "{{ first_name }}，欢迎回来"}
  text: {en: "Code {{ coupon }}", zh: "优惠码 {{ coupon }}"}
  coupon_prefix: WB
experiment: {holdout: 0.0}
"""


@pytest.fixture
def store(campaign_template: CampaignStore, tmp_path: Path) -> CampaignStore:
    return copy_campaign_store(campaign_template, tmp_path / "data")


def _cli(store: CampaignStore, *args: str, smtp_port: int | None = None) -> str:
    env = {"CRMIND_SMTP_PORT": str(smtp_port)} if smtp_port else {}
    result = runner.invoke(app, ["--data-dir", str(store.settings.data_dir), *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_create_preview_run_and_report(store: CampaignStore, tmp_path: Path) -> None:
    spec = tmp_path / "win-back.yaml"
    spec.write_text(CAMPAIGN, encoding="utf-8")
    assert "campaign 1 'win-back' created" in _cli(store, "campaigns", "create", str(spec))
    preview = _cli(store, "campaigns", "preview", "win-back", "--customer", str(store.ids[3]))
    assert f"{len(CONSENTING)}  with marketing consent" in preview
    assert "Customer, come back" in preview
    with SmtpServer() as smtp:
        ran = _cli(store, "campaigns", "run", "--json", smtp_port=smtp.port)
    assert json.loads(ran)["delivery"]["sent"] == len(CONSENTING)
    report = json.loads(_cli(store, "campaigns", "report", "1", "--json"))
    assert report["messages"] == {"sent": len(CONSENTING)}
    assert "win-back" in _cli(store, "campaigns", "list")


def test_a_bad_campaign_file_names_the_field(store: CampaignStore, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(CAMPAIGN.replace("holdout: 0.0", "holdout: 2"), encoding="utf-8")
    result = runner.invoke(
        app, ["--data-dir", str(store.settings.data_dir), "campaigns", "create", str(spec)]
    )
    assert result.exit_code == 1
    assert "bad.yaml: experiment.holdout" in result.output


def _crmind(store: CampaignStore) -> list[str]:
    return [sys.executable, "-m", "crmind", "--data-dir", str(store.settings.data_dir)]


def _run_process(store: CampaignStore, smtp_port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"CRMIND_SMTP_PORT": str(smtp_port)}
    return subprocess.Popen(
        [*_crmind(store), "campaigns", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_runner_killed_mid_campaign_and_started_again_sends_no_duplicates(
    store: CampaignStore, tmp_path: Path
) -> None:
    spec = tmp_path / "win-back.yaml"
    spec.write_text(CAMPAIGN, encoding="utf-8")
    _cli(store, "campaigns", "create", str(spec))
    with SmtpServer() as smtp:
        smtp.handler.delay = 0.1
        first = _run_process(store, smtp.port)
        deadline = time.monotonic() + 60
        while len(smtp.handler.received) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_after = len(smtp.handler.received)
        assert 8 <= killed_after < len(CONSENTING)
        second = _run_process(store, smtp.port)
        assert second.wait(timeout=120) == 0, second.stderr.read() if second.stderr else ""
        time.sleep(0.2)  # a message the killed runner was handing over may still land
        received = Counter(store.number_of_email(a) for a in smtp.handler.recipients())

    assert max(received.values()) == 1  # nobody twice
    engine = open_store(store.settings)
    with engine.connect() as conn:
        rows = conn.execute(select(CampaignMessage.customer_id, CampaignMessage.status)).all()
    engine.dispose()
    number_of = {customer: number for number, customer in store.ids.items()}
    status_of = {number_of[customer]: status for customer, status in rows}
    statuses = Counter(status_of.values())
    # Every message was sent, except at most the one the killed runner had claimed: it stays
    # "sending" (in doubt once its lease ends) and is never sent again.
    assert statuses["sent"] + statuses["sending"] == len(CONSENTING)
    assert statuses["sending"] <= 1
    sent = {number for number, status in status_of.items() if status == "sent"}
    assert sent <= set(received) <= set(status_of)


def test_crmind_serve_runs_due_campaigns_on_its_own(store: CampaignStore, tmp_path: Path) -> None:
    spec = tmp_path / "win-back.yaml"
    spec.write_text(CAMPAIGN, encoding="utf-8")
    _cli(store, "campaigns", "create", str(spec))
    with SmtpServer() as smtp:
        env = os.environ | {
            "CRMIND_SMTP_PORT": str(smtp.port),
            "CRMIND_CAMPAIGN_POLL_SECONDS": "0.5",
        }
        server = subprocess.Popen(
            [*_crmind(store), "serve", "--port", str(free_port())],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while len(smtp.handler.received) < len(CONSENTING) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=30)
        assert sorted(store.number_of_email(a) for a in smtp.handler.recipients()) == sorted(
            CONSENTING
        )


def test_an_uploaded_list_becomes_the_audience(store: CampaignStore, tmp_path: Path) -> None:
    spec = tmp_path / "vip.yaml"
    spec.write_text(CAMPAIGN.replace("name: win-back", "name: vip"), encoding="utf-8")
    listed = tmp_path / "vip.csv"
    listed.write_text("email\nc2@example.com\nc3@example.com\nghost@example.com\n")
    result = runner.invoke(
        app,
        [
            *["--data-dir", str(store.settings.data_dir), "campaigns", "create", str(spec)],
            *["--audience-file", str(listed)],
        ],
    )
    assert result.exit_code == 0, result.output
    assert "row 4: no customer with e-mail 'ghost@example.com'" in result.stderr
    preview = json.loads(_cli(store, "campaigns", "preview", "vip", "--json"))
    assert preview["audience"] == 2
