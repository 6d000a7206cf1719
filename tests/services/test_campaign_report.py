"""The campaign report on a simulated campaign with a known effect, on SQLite and PostgreSQL:
3,000 consenting customers, a 20 % holdout, conversions drawn at 8 % without the message and 15 %
with it (and orders outside the window, before the campaign or cancelled, which must not count)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from crmind.campaigns.assignment import HOLDOUT
from crmind.campaigns.spec import CampaignSpec
from crmind.config import Settings
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.campaign_report import campaign_report
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaigns import create_campaign
from crmind.store.schema import Consent, Customer, Order, OrderLine, table_of
from crmind.store.schema_campaigns import CampaignMember

CUSTOMERS = 3_000
BASE, EFFECT = 0.08, 0.07


def _customers(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(table_of(Customer).insert(), [{"id": i} for i in range(1, CUSTOMERS + 1)])
        conn.execute(
            table_of(Consent).insert(),
            [
                {"customer_id": i, "purpose": MARKETING_EMAIL, "granted": True, "source": "test"}
                for i in range(1, CUSTOMERS + 1)
            ],
        )


def _orders(
    engine: Engine,
    campaign_id: int,
    window: timedelta,
    effects: dict[str, float] | None = None,
) -> None:
    """Orders per member: a conversion in the window at the base rate plus the group's effect
    (``EFFECT`` for every treated group unless ``effects`` says), and two that never count."""
    rng = np.random.default_rng(11)
    with engine.connect() as conn:
        members = conn.execute(
            select(
                CampaignMember.customer_id, CampaignMember.group_name, CampaignMember.assigned_at
            ).where(CampaignMember.campaign_id == campaign_id)
        ).all()
    orders: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    for customer, group, assigned in members:
        effect = 0.0 if group == HOLDOUT else (effects or {}).get(group, EFFECT)
        rate = BASE + effect
        moments: list[tuple[object, str | None]] = []
        if rng.random() < rate:
            moments.append((assigned + timedelta(days=float(rng.uniform(0.1, 13.9))), "shipped"))
        moments.append((assigned - timedelta(days=3), None))  # before: never counts
        moments.append((assigned + window + timedelta(days=2), None))  # after: never counts
        moments.append((assigned + timedelta(days=1), " Cancelled"))  # cancelled: never counts
        for moment, status in moments:
            orders.append(
                {
                    "id": len(orders) + 1,
                    "source": "shop",
                    "order_number": f"O{len(orders) + 1}",
                    "customer_id": customer,
                    "occurred_at": moment,
                    "currency": "GBP",
                    "status": status,
                }
            )
            lines.append({"order_id": len(orders), "line_number": 1, "quantity": 1, "amount": 30.0})
    with engine.begin() as conn:
        conn.execute(table_of(Order).insert(), orders)
        conn.execute(table_of(OrderLine).insert(), lines)


def test_the_report_recovers_a_known_uplift(engine: Engine, tmp_path: Path) -> None:
    _customers(engine)
    settings = Settings(data_dir=tmp_path, database_url=str(engine.url))
    spec = CampaignSpec.model_validate(
        {
            "name": "simulated",
            "channel": {"kind": "export"},
            "content": {"subject": {"en": "Hello"}, "text": {"en": "Offer"}},
            "experiment": {"holdout": 0.2, "attribution_days": 14},
        }
    )
    campaign = create_campaign(engine, spec)
    run_campaigns(engine, settings, send=False)
    _orders(engine, campaign.id, timedelta(days=14))

    report = campaign_report(engine, campaign.id)
    uplift = report.conversion_uplift
    assert uplift is not None
    assert uplift.treated + uplift.holdout == CUSTOMERS
    assert uplift.holdout / CUSTOMERS == pytest.approx(0.2, abs=0.03)
    assert uplift.low < EFFECT < uplift.high
    assert uplift.low > 0
    assert uplift.holdout_rate == pytest.approx(BASE, abs=0.03)
    revenue = report.revenue_uplift
    assert revenue is not None
    assert revenue.low < EFFECT * 30.0 < revenue.high
    assert report.messages == {"pending": uplift.treated}


def test_each_variant_is_measured_against_the_holdout(engine: Engine, tmp_path: Path) -> None:
    _customers(engine)
    settings = Settings(data_dir=tmp_path, database_url=str(engine.url))
    spec = CampaignSpec.model_validate(
        {
            "name": "ab",
            "channel": {"kind": "export"},
            "content": {"subject": {"en": "Hello"}, "text": {"en": "Offer"}},
            "experiment": {
                "holdout": 0.3,
                "variants": [{"name": "A", "subject": {"en": "Plain"}}, {"name": "B"}],
            },
        }
    )
    campaign = create_campaign(engine, spec)
    run_campaigns(engine, settings, send=False)
    _orders(engine, campaign.id, timedelta(days=14), effects={"A": 0.0, "B": 0.12})
    report = campaign_report(engine, campaign.id)
    a, b = report.variant_uplifts["A"], report.variant_uplifts["B"]
    assert a.low < 0.0 < a.high
    assert b.low < 0.12 < b.high
    assert b.low > 0
    assert {group.group for group in report.groups} == {"A", "B", "holdout"}
