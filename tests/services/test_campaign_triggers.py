"""Event triggers on a real store: a negative review, and entering a lifecycle stage between two
analysis runs; each event keys its own message, so a second pass adds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from crmind.campaigns.spec import CampaignSpec
from crmind.ingest.fields import ImportKind
from crmind.services.analysis import AnalysisOptions, run_analysis
from crmind.services.campaign_delivery import utcnow
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaign_triggers import due_firings
from crmind.services.campaigns import create_campaign
from crmind.services.feedback_text import TextOptions, analyse_feedback
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import CustomerScore
from tests.api.sample_store import email
from tests.campaign_store import CampaignStore, copy_campaign_store


@pytest.fixture
def store(campaign_template: CampaignStore, tmp_path: Path) -> CampaignStore:
    return copy_campaign_store(campaign_template, tmp_path / "store")


def _campaign(trigger: dict[str, str]) -> CampaignSpec:
    return CampaignSpec.model_validate(
        {
            "name": f"on-{trigger['event']}",
            "trigger": {"kind": "event", **trigger},
            "content": {"subject": {"en": "Sorry"}, "text": {"en": "We hear you"}},
        }
    )


def test_a_negative_review_after_the_campaign_starts_triggers_it(
    store: CampaignStore, tmp_path: Path
) -> None:
    campaign = create_campaign(store.engine, _campaign({"event": "negative_feedback"}))
    reviews = tmp_path / "reviews.csv"
    later = (campaign.created_at + timedelta(seconds=1)).isoformat(sep=" ")
    pl.DataFrame(
        {
            "review_id": ["late-1", "late-2"],
            "email": [email(5), email(6)],
            "review": [
                "Terrible service, the parcel arrived broken and nobody answered my emails.",
                "Lovely mug, fast delivery, very happy.",
            ],
            "date": [later, later],
        }
    ).write_csv(reviews)
    import_file(store.engine, ImportRequest(kind=ImportKind.FEEDBACK, path=reviews, source="web"))
    analyse_feedback(store.engine, TextOptions(topics=2))

    now = utcnow() + timedelta(seconds=2)
    firings = due_firings(store.engine, campaign, now, "UTC")
    assert len(firings) == 1
    targets = firings[0].targets or {}
    assert list(targets) == [store.ids[5]]
    assert targets[store.ids[5]].startswith("feedback:")


def test_a_purchase_triggers_it_and_a_cancelled_order_does_not(
    store: CampaignStore, tmp_path: Path
) -> None:
    campaign = create_campaign(store.engine, _campaign({"event": "purchase"}))
    later = (campaign.created_at + timedelta(seconds=1)).isoformat(sep=" ")
    orders = tmp_path / "orders.csv"
    pl.DataFrame(
        {
            "order": ["N-1", "N-2"],
            "email": [email(7), email(8)],
            "sku": ["MUG", "MUG"],
            "description": ["Mug", "Mug"],
            "qty": [1, 1],
            "price": [9.5, 9.5],
            "date": [later, later],
            "status": ["paid", "cancelled"],
        }
    ).write_csv(orders)
    import_file(store.engine, ImportRequest(kind=ImportKind.ORDERS, path=orders, source="web"))

    firings = due_firings(store.engine, campaign, utcnow() + timedelta(seconds=2), "UTC")
    assert len(firings) == 1
    assert list(firings[0].targets or {}) == [store.ids[7]]


def test_entering_a_stage_between_two_analyses_triggers_once_per_run(
    store: CampaignStore,
) -> None:
    campaign = create_campaign(
        store.engine, _campaign({"event": "stage_entry", "stage": "churned"})
    )
    with store.engine.connect() as conn:
        churned_before = set(
            conn.execute(
                select(CustomerScore.customer_id).where(
                    CustomerScore.kind == "lifecycle", CustomerScore.label == "churned"
                )
            ).scalars()
        )
    later = run_analysis(
        store.engine, AnalysisOptions(as_of=datetime(2025, 6, 1), n_segments=3, clv_draws=20)
    )
    with store.engine.connect() as conn:
        churned_after = set(
            conn.execute(
                select(CustomerScore.customer_id).where(
                    CustomerScore.model_run_id == later.run_id,
                    CustomerScore.kind == "lifecycle",
                    CustomerScore.label == "churned",
                )
            ).scalars()
        )
    entered = churned_after - churned_before
    assert entered  # a year and a half later, more customers have churned

    firings = due_firings(store.engine, campaign, utcnow(), "UTC")
    assert firings[0].trigger_key == f"stage:{later.run_id}"
    assert firings[0].targets == dict.fromkeys(entered, f"stage:{later.run_id}")
    first = run_campaigns(store.engine, store.settings, send=False)
    assert first.planned[0].audience == len(entered)
    assert run_campaigns(store.engine, store.settings, send=False).planned == []
