"""Delivery through the webhook and export channels, on a real store and a real HTTP receiver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmind.campaigns.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from crmind.campaigns.spec import CampaignSpec
from crmind.services.campaign_delivery import webhook_secret
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaigns import create_campaign
from tests.campaign_store import CONSENTING, CampaignStore, copy_campaign_store
from tests.campaigns.http_receiver import WebhookReceiver

CONTENT = {
    "subject": {"en": "Hi {{ first_name }}"},
    "text": {"en": "{% for p in products %}{{ p.name }}{% endfor %}"},
    "coupon_prefix": "HOOK",
}


@pytest.fixture
def store(campaign_template: CampaignStore, tmp_path: Path) -> CampaignStore:
    return copy_campaign_store(campaign_template, tmp_path / "store", campaign_retry_seconds=0.05)


def test_webhooks_are_signed_retried_and_delivered_once_each(store: CampaignStore) -> None:
    with WebhookReceiver() as receiver:
        receiver.receiver.statuses = [503, 503, 429]
        spec = CampaignSpec.model_validate(
            {
                "name": "hook",
                "channel": {"kind": "webhook", "url": receiver.url},
                "content": CONTENT,
                "experiment": {"holdout": 0.0},
            }
        )
        create_campaign(store.engine, spec)
        report = run_campaigns(store.engine, store.settings, until_done=True)
    requests = receiver.receiver.requests
    assert report.delivery.retried == 3
    assert len(requests) == len(CONSENTING) + 3
    secret = webhook_secret(store.settings)
    delivered: dict[str, int] = {}
    for request in requests:
        headers = {key.lower(): value for key, value in request.headers.items()}
        timestamp = headers[TIMESTAMP_HEADER.lower()]
        assert verify(secret, timestamp, request.body, headers[SIGNATURE_HEADER.lower()])
        key = headers["idempotency-key"]
        delivered[key] = delivered.get(key, 0) + 1
    assert len(delivered) == len(CONSENTING)  # retries repeat a key; nothing else does
    body = json.loads(requests[-1].body)
    assert body["coupon"].startswith("HOOK")
    assert body["campaign"] == "hook"


def test_an_export_campaign_writes_one_line_per_message(store: CampaignStore) -> None:
    spec = CampaignSpec.model_validate(
        {
            "name": "export",
            "channel": {"kind": "export"},
            "content": CONTENT,
            "experiment": {"holdout": 0.0},
        }
    )
    campaign = create_campaign(store.engine, spec)
    run_campaigns(store.engine, store.settings)
    path = store.settings.data_dir / "campaign_exports" / f"campaign-{campaign.id}.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(store.number_of_email(line["email"]) for line in lines) == sorted(CONSENTING)
    assert all(line["subject"].startswith("Hi ") for line in lines)
