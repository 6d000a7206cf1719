"""Use case: plan one firing of a campaign's trigger.

Who: the audience now (or the customers an event names), less those without marketing consent in
force (an explicit grant: opt-in), erased or merged away. Each is placed in the holdout or a
variant (fixed per customer and campaign). The treated get a ``pending`` message with what it will
say (products, coupon, language) unless a frequency cap holds them back (``skipped``). Everything
is written in one transaction under unique keys: a second runner planning the same firing, or the
same runner again, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from crmind import columns as c
from crmind.campaigns.assignment import HOLDOUT, group_of
from crmind.campaigns.audiences import select_audience
from crmind.campaigns.spec import LANGUAGES, CampaignSpec
from crmind.campaigns.templates import coupon_code
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.analysis_store import latest_run
from crmind.services.campaign_audiences import audience_frame
from crmind.services.campaigns import StoredCampaign
from crmind.services.consents import granted
from crmind.services.recommendation import RUN_KIND as RECOMMENDATIONS
from crmind.store.schema import Customer, Product, Recommendation, table_of
from crmind.store.schema_campaigns import CampaignMember, CampaignMessage, CampaignRun

ACTIVE_STATUSES = ("pending", "sending", "sent", "in_doubt")
"""Messages that count against a frequency cap."""
_CHINESE_COUNTRIES = {"CN", "HK", "MO", "TW"}


@dataclass(frozen=True)
class PlannedRun:
    """What planning one firing found; ``planned`` is None when it was planned before."""

    campaign_id: int
    trigger_key: str
    run_id: int | None
    audience: int = 0
    no_consent: int = 0
    holdout: int = 0
    planned: int = 0
    capped: int = 0

    @property
    def already_planned(self) -> bool:
        return self.run_id is None


def plan_run(
    engine: Engine,
    campaign: StoredCampaign,
    trigger_key: str,
    now: datetime,
    *,
    coupon_key: bytes,
    targets: dict[int, str] | None = None,
) -> PlannedRun:
    """Plan the firing ``trigger_key`` of ``campaign``.

    ``targets`` (customer -> message key) limits it to the customers an event names, each with the
    key of its own event; without it, the whole audience, keyed by ``trigger_key``.
    """
    spec = campaign.spec
    frame = audience_frame(engine, sorted({rule.kind for rule in spec.audience.scores}))
    chosen = select_audience(frame, spec.audience).customer_ids
    if targets is not None:
        chosen = [customer for customer in chosen if customer in targets]
    consenting = sorted(set(chosen) & granted(engine, MARKETING_EMAIL))
    counts = {"audience": len(chosen), "no_consent": len(chosen) - len(consenting)}
    try:
        with engine.begin() as conn:
            run_id = conn.execute(
                table_of(CampaignRun)
                .insert()
                .values(
                    campaign_id=campaign.id, trigger_key=trigger_key, started_at=now, counts=counts
                )
                .returning(table_of(CampaignRun).c.id)
            ).scalar_one()
            groups = _assign(conn, campaign, run_id, consenting, now)
            treated = [customer for customer in consenting if groups[customer] != HOLDOUT]
            capped = _capped(conn, treated, spec, now)
            contents = message_contents(engine, conn, campaign, frame, treated, coupon_key)
            keys = {customer: (targets or {}).get(customer, trigger_key) for customer in treated}
            rows = _messages(campaign, run_id, contents, groups, capped, keys, now)
            _insert_ignore(conn, table_of(CampaignMessage), rows)
            counts |= {
                "holdout": len(consenting) - len(treated),
                "planned": len(treated) - len(capped),
                "capped": len(capped),
            }
            conn.execute(
                table_of(CampaignRun).update().where(CampaignRun.id == run_id).values(counts=counts)
            )
    except IntegrityError:
        return PlannedRun(campaign_id=campaign.id, trigger_key=trigger_key, run_id=None)
    return PlannedRun(campaign_id=campaign.id, trigger_key=trigger_key, run_id=run_id, **counts)


def _insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def _assign(
    conn: Connection, campaign: StoredCampaign, run_id: int, customers: list[int], now: datetime
) -> dict[int, str]:
    """Each customer's group: the one fixed before, else a new draw recorded now."""
    experiment = campaign.spec.experiment
    seed = f"campaign:{campaign.id}"
    _insert_ignore(
        conn,
        table_of(CampaignMember),
        [
            {
                "campaign_id": campaign.id,
                "customer_id": customer,
                "group_name": group_of(seed, customer, experiment),
                "run_id": run_id,
                "assigned_at": now,
            }
            for customer in customers
        ],
    )
    rows = conn.execute(
        select(CampaignMember.customer_id, CampaignMember.group_name).where(
            CampaignMember.campaign_id == campaign.id
        )
    ).all()
    return dict(rows)


def _capped(conn: Connection, customers: list[int], spec: CampaignSpec, now: datetime) -> set[int]:
    """Customers who already have ``frequency_cap`` campaign messages in the window."""
    cap = spec.limits.frequency_cap
    if cap is None or not customers:
        return set()
    since = now - timedelta(days=spec.limits.frequency_days)
    rows = conn.execute(
        select(CampaignMessage.customer_id, func.count())
        .where(CampaignMessage.created_at >= since, CampaignMessage.status.in_(ACTIVE_STATUSES))
        .group_by(CampaignMessage.customer_id)
        .having(func.count() >= cap)
    ).all()
    return {customer for customer, _ in rows} & set(customers)


def message_contents(
    engine: Engine,
    conn: Connection,
    campaign: StoredCampaign,
    frame: pl.DataFrame,
    customers: list[int],
    coupon_key: bytes,
) -> dict[int, dict[str, Any]]:
    """What each customer's message will say: language, products with reasons, segment, stage
    and coupon (never the name or address: those are read when it is sent)."""
    content = campaign.spec.content
    products = _products(engine, conn, content.products)
    languages = _languages(conn, content.default_language)
    labels = {
        row[c.CUSTOMER_ID]: row
        for row in frame.select(c.CUSTOMER_ID, "rfm_segment", "stage").iter_rows(named=True)
    }
    contents: dict[int, dict[str, Any]] = {}
    for customer in customers:
        contents[customer] = {
            "language": languages.get(customer, content.default_language),
            "products": products.get(customer, []),
            "segment": labels.get(customer, {}).get("rfm_segment"),
            "stage": labels.get(customer, {}).get("stage"),
        }
        if content.coupon_prefix:
            contents[customer]["coupon"] = coupon_code(
                coupon_key, content.coupon_prefix, campaign.id, customer
            )
    return contents


def _messages(
    campaign: StoredCampaign,
    run_id: int,
    contents: dict[int, dict[str, Any]],
    groups: dict[int, str],
    capped: set[int],
    keys: dict[int, str],
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "campaign_id": campaign.id,
            "run_id": run_id,
            "customer_id": customer,
            "trigger_key": keys[customer],
            "variant": groups[customer],
            "channel": campaign.spec.channel.kind,
            "status": "skipped" if customer in capped else "pending",
            "reason": "frequency cap" if customer in capped else None,
            "attempts": 0,
            "next_attempt_at": now,
            "content": content,
            "created_at": now,
        }
        for customer, content in contents.items()
    ]


def _products(engine: Engine, conn: Connection, limit: int) -> dict[int, list[dict[str, Any]]]:
    """The top ``limit`` products of the newest recommendation run, with reasons, per customer."""
    run = latest_run(engine, RECOMMENDATIONS)
    if run is None or limit == 0:
        return {}
    rows = conn.execute(
        select(
            Recommendation.customer_id,
            Recommendation.product_id,
            func.coalesce(Product.name, Product.sku),
            Product.price,
            Recommendation.reason,
        )
        .join(Product, Product.id == Recommendation.product_id)
        .where(Recommendation.model_run_id == run.id, Recommendation.rank <= limit)
        .order_by(Recommendation.customer_id, Recommendation.rank)
    ).all()
    picks: dict[int, list[dict[str, Any]]] = {}
    for customer, product_id, name, price, reason in rows:
        picks.setdefault(customer, []).append(
            {"product_id": product_id, "name": name, "price": price, "reason": reason}
        )
    return picks


def _languages(conn: Connection, default: str) -> dict[int, str]:
    """Each customer's language: ``attributes.language`` when it is one crmind writes, else
    Chinese for customers in mainland China, Hong Kong, Macau and Taiwan, else ``default``."""
    rows = conn.execute(
        select(Customer.id, Customer.country_code, Customer.attributes).where(
            Customer.merged_into.is_(None)
        )
    ).all()
    languages = {}
    for customer, country, attributes in rows:
        stated = (attributes or {}).get("language") if isinstance(attributes, dict) else None
        if stated in LANGUAGES:
            languages[customer] = str(stated)
        elif country in _CHINESE_COUNTRIES:
            languages[customer] = "zh"
        else:
            languages[customer] = default
    return languages
