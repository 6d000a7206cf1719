"""The campaign runner end to end on a real store and a real SMTP server (aiosmtpd on loopback):
who gets a message, exactly once, with what; retries; concurrency; caps; quiet hours; triggers."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from crmind.campaigns.assignment import HOLDOUT
from crmind.campaigns.spec import CampaignSpec, load_spec
from crmind.services.campaign_delivery import deliver, delivery_settings, utcnow
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaign_unsubscribe import unsubscribe
from crmind.services.campaigns import StoredCampaign, create_campaign, set_status
from crmind.services.setup import open_store
from crmind.store.schema import (
    Order,
    OrderLine,
    Product,
    Recommendation,
    Segment,
    SegmentMember,
    table_of,
)
from crmind.store.schema_campaigns import CampaignMember, CampaignMessage
from tests.campaign_store import (
    CONSENTING,
    CampaignStore,
    build_campaign_store,
    copy_campaign_store,
)
from tests.campaigns.smtp_server import SmtpServer

WIN_BACK = """
name: win-back
audience: {stages: [active, at_risk, lapsed, churned, reactivated]}
content:
  subject: {en: "{{ first_name }}, we picked these for you"}
  text:
    en: |
      {% for p in products %}* {{ p.name }} ({{ p.reason }})
      {% endfor %}Your code: {{ coupon }}
      Unsubscribe: {{ unsubscribe_url }}
  products: 2
  coupon_prefix: WB
experiment: {holdout: 0.25}
"""


def _spec(text: str = WIN_BACK, **changes: Any) -> CampaignSpec:
    return CampaignSpec.model_validate(load_spec(text).model_dump() | changes)


@pytest.fixture
def smtp() -> Any:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def store(campaign_template: CampaignStore, tmp_path: Path, smtp: SmtpServer) -> CampaignStore:
    return copy_campaign_store(
        campaign_template, tmp_path / "store", smtp_port=smtp.port, campaign_retry_seconds=0.05
    )


def _numbers(store: CampaignStore, smtp: SmtpServer) -> list[int]:
    return [store.number_of_email(address) for address in smtp.handler.recipients()]


def _groups(store: CampaignStore, campaign: StoredCampaign) -> dict[int, str]:
    number_of = {customer: number for number, customer in store.ids.items()}
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(CampaignMember.customer_id, CampaignMember.group_name).where(
                CampaignMember.campaign_id == campaign.id
            )
        ).all()
    return {number_of[customer]: group for customer, group in rows}


def test_one_message_per_consenting_treated_customer_with_their_products(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    campaign = create_campaign(store.engine, _spec())
    report = run_campaigns(store.engine, store.settings)

    groups = _groups(store, campaign)
    treated = {number for number, group in groups.items() if group != HOLDOUT}
    assert set(groups) == CONSENTING  # no unsubscribed, no undecided customer is even placed
    assert 0 < len(treated) < len(groups)
    assert Counter(_numbers(store, smtp)) == Counter(treated)  # exactly one each
    assert report.delivery.sent == len(treated)
    assert report.planned[0].no_consent == 40 - len(CONSENTING)

    for received in smtp.handler.received:
        customer = store.ids[store.number_of_email(received.message["To"])]
        expected = _recommended(store, customer, 2)
        listed = re.findall(r"^\* (.+?) \(", received.text, flags=re.MULTILINE)
        assert listed == expected
        assert re.search(r"Your code: WB[A-Z2-7]{8}", received.text)
        assert received.subject.startswith("Customer, we picked")

    again = run_campaigns(store.engine, store.settings)
    assert again.planned == []
    assert again.delivery.sent == 0
    assert len(smtp.handler.received) == len(treated)


def _recommended(store: CampaignStore, customer: int, limit: int) -> list[str]:
    with store.engine.connect() as conn:
        return [
            str(name)
            for name in conn.execute(
                select(Product.name)
                .join(Recommendation, Recommendation.product_id == Product.id)
                .where(Recommendation.customer_id == customer, Recommendation.rank <= limit)
                .order_by(Recommendation.rank)
            ).scalars()
        ]


def test_the_unsubscribe_link_stops_the_next_campaign(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    create_campaign(store.engine, _spec(experiment={"holdout": 0.0}))
    run_campaigns(store.engine, store.settings)
    first = smtp.handler.received[0]
    leaving = store.number_of_email(str(first.message["To"]))
    link = str(first.message["List-Unsubscribe"]).strip("<>")
    unsubscribe(store.engine, store.settings, link.rsplit("/", 1)[-1])

    create_campaign(store.engine, _spec(name="second", limits={"frequency_cap": None}))
    smtp.handler.received.clear()
    run_campaigns(store.engine, store.settings)
    assert smtp.handler.received
    assert leaving not in _numbers(store, smtp)


def test_two_runners_at_once_send_each_message_once(store: CampaignStore, smtp: SmtpServer) -> None:
    create_campaign(store.engine, _spec(experiment={"holdout": 0.0}))
    smtp.handler.delay = 0.01
    engines = [open_store(store.settings) for _ in range(2)]
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            run_campaigns(engines[index], store.settings)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    received = _numbers(store, smtp)
    assert sorted(received) == sorted(CONSENTING)
    with store.engine.connect() as conn:
        statuses = Counter(conn.execute(select(CampaignMessage.status)).scalars())
    assert statuses == {"sent": len(CONSENTING)}


def test_a_refusing_smtp_server_leads_to_retries_then_success(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    create_campaign(store.engine, _spec(experiment={"holdout": 0.0}))
    smtp.handler.refuse = 6
    report = run_campaigns(store.engine, store.settings, until_done=True)
    assert report.delivery.retried == 6
    assert report.delivery.sent == len(CONSENTING)
    assert sorted(_numbers(store, smtp)) == sorted(CONSENTING)
    with store.engine.connect() as conn:
        attempts = list(conn.execute(select(CampaignMessage.attempts)).scalars())
    assert max(attempts) >= 2


def test_a_server_that_keeps_refusing_ends_in_failed_with_the_reason(
    campaign_template: CampaignStore, tmp_path: Path, smtp: SmtpServer
) -> None:
    store = copy_campaign_store(
        campaign_template,
        tmp_path / "store",
        smtp_port=smtp.port,
        campaign_retry_seconds=0.01,
        campaign_max_attempts=2,
    )
    create_campaign(store.engine, _spec(experiment={"holdout": 0.0}))
    smtp.handler.refuse = 10_000
    report = run_campaigns(store.engine, store.settings, until_done=True)
    assert report.delivery.failed == len(CONSENTING)
    with store.engine.connect() as conn:
        rows = conn.execute(select(CampaignMessage.status, CampaignMessage.reason)).all()
    assert {status for status, _ in rows} == {"failed"}
    assert all("451" in str(reason) and "after 2 attempts" in str(reason) for _, reason in rows)


def test_a_claim_left_by_a_dead_runner_is_marked_in_doubt_and_never_resent(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    create_campaign(store.engine, _spec(experiment={"holdout": 0.0}))
    run_campaigns(store.engine, store.settings, send=False)
    with store.engine.begin() as conn:
        victim = conn.execute(select(CampaignMessage.id).limit(1)).scalar_one()
        conn.execute(
            update(CampaignMessage)
            .where(CampaignMessage.id == victim)
            .values(status="sending", claimed_by="dead", claimed_at=datetime(2020, 1, 1))
        )
    report = run_campaigns(store.engine, store.settings)
    assert report.delivery.in_doubt == 1
    assert report.delivery.sent == len(CONSENTING) - 1
    with store.engine.connect() as conn:
        status = conn.execute(
            select(CampaignMessage.status).where(CampaignMessage.id == victim)
        ).scalar_one()
    assert status == "in_doubt"


def test_the_frequency_cap_holds_back_a_second_campaign(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    create_campaign(store.engine, _spec(experiment={"holdout": 0.0}))
    run_campaigns(store.engine, store.settings)
    second = create_campaign(
        store.engine,
        _spec(name="second", experiment={"holdout": 0.0}, limits={"frequency_cap": 1}),
    )
    report = run_campaigns(store.engine, store.settings)
    assert report.planned[0].capped == len(CONSENTING)
    assert report.delivery.sent == 0
    with store.engine.connect() as conn:
        reasons = set(
            conn.execute(
                select(CampaignMessage.reason).where(CampaignMessage.campaign_id == second.id)
            ).scalars()
        )
    assert reasons == {"frequency cap"}


def test_nothing_leaves_in_quiet_hours_and_everything_after(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    now = utcnow()
    quiet = ((now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time())
    if quiet[0] > quiet[1]:  # within 1 h of midnight: a window on now's side of it
        quiet = (time(22, 0), time(23, 59, 59)) if now.hour >= 12 else (time(0, 0), time(2, 0))
    create_campaign(
        store.engine,
        _spec(experiment={"holdout": 0.0}, limits={"quiet_hours": quiet}),
    )
    report = run_campaigns(store.engine, store.settings)
    assert report.delivery.sent == 0
    quiet_end = report.delivery.quiet_until
    assert quiet_end is not None
    later = deliver(
        store.engine,
        delivery_settings(store.settings),
        clock=lambda: quiet_end + timedelta(minutes=1),
    )
    assert later.sent == len(CONSENTING)


def test_a_paused_campaign_sends_nothing_until_resumed(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    campaign = create_campaign(store.engine, _spec(experiment={"holdout": 0.0}))
    run_campaigns(store.engine, store.settings, send=False)
    set_status(store.engine, campaign.id, "paused")
    assert run_campaigns(store.engine, store.settings).delivery.sent == 0
    set_status(store.engine, campaign.id, "active")
    assert run_campaigns(store.engine, store.settings).delivery.sent == len(CONSENTING)


def _buy(store: CampaignStore, number: int, when: datetime, order_number: str) -> int:
    with store.engine.begin() as conn:
        order_id = conn.execute(
            table_of(Order)
            .insert()
            .values(
                source="shop",
                order_number=order_number,
                customer_id=store.ids[number],
                occurred_at=when,
                currency="GBP",
            )
            .returning(table_of(Order).c.id)
        ).scalar_one()
        conn.execute(
            table_of(OrderLine)
            .insert()
            .values(order_id=order_id, line_number=1, product_id=1, quantity=1, amount=20.0)
        )
    return int(order_id)


def test_a_purchase_triggers_one_thank_you_per_order(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    campaign = create_campaign(
        store.engine,
        _spec(
            name="thanks",
            trigger={"kind": "event", "event": "purchase"},
            experiment={"holdout": 0.0},
            limits={"frequency_cap": None},
        ),
    )
    assert run_campaigns(store.engine, store.settings).planned == []
    order = _buy(store, 3, campaign.created_at + timedelta(seconds=1), "NEW-1")
    _buy(store, 10, campaign.created_at + timedelta(seconds=1), "NEW-2")  # no consent
    first = run_campaigns(store.engine, store.settings, now=utcnow() + timedelta(seconds=2))
    assert _numbers(store, smtp) == [3]
    assert first.planned[0].no_consent == 1
    with store.engine.connect() as conn:
        key = conn.execute(select(CampaignMessage.trigger_key)).scalar_one()
    assert key == f"order:{order}"
    run_campaigns(store.engine, store.settings, now=utcnow() + timedelta(seconds=3))
    assert _numbers(store, smtp) == [3]


def test_a_schedule_fires_once_per_slot(store: CampaignStore, smtp: SmtpServer) -> None:
    campaign = create_campaign(
        store.engine,
        _spec(
            name="weekly",
            trigger={"kind": "schedule", "cron": "0 9 * * *"},
            experiment={"holdout": 0.0},
            limits={"frequency_cap": None},
        ),
    )
    day = campaign.created_at.replace(hour=10, minute=0, second=0) + timedelta(days=1)
    assert len(run_campaigns(store.engine, store.settings, now=day).planned) == 1
    assert run_campaigns(store.engine, store.settings, now=day + timedelta(hours=1)).planned == []
    assert (
        len(run_campaigns(store.engine, store.settings, now=day + timedelta(days=1)).planned) == 1
    )
    assert Counter(Counter(_numbers(store, smtp)).values()) == {2: len(CONSENTING)}


@pytest.mark.postgres
def test_on_postgresql_two_runners_send_each_message_once_and_retries_recover(
    postgres_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    store = build_campaign_store(
        tmp_path / "pg",
        database_url=postgres_url,
        smtp_port=smtp.port,
        campaign_retry_seconds=0.05,
    )
    campaign = create_campaign(store.engine, _spec())
    smtp.handler.refuse = 3
    smtp.handler.delay = 0.005
    engines = [open_store(store.settings) for _ in range(2)]
    threads = [
        threading.Thread(
            target=run_campaigns, args=(engine, store.settings), kwargs={"until_done": True}
        )
        for engine in engines
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    treated = {number for number, group in _groups(store, campaign).items() if group != HOLDOUT}
    assert Counter(_numbers(store, smtp)) == Counter(treated)
    with store.engine.connect() as conn:
        statuses = Counter(conn.execute(select(CampaignMessage.status)).scalars())
    assert statuses == {"sent": len(treated)}  # every outcome recorded, the last ones too
    for engine in [*engines, store.engine]:
        engine.dispose()


def test_a_campaign_to_a_segment_reaches_its_consenting_treated_members_only(
    store: CampaignStore, smtp: SmtpServer
) -> None:
    with store.engine.connect() as conn:
        segment, members = conn.execute(
            select(Segment.name, func.count())
            .join(SegmentMember, SegmentMember.segment_id == Segment.id)
            .where(Segment.kind == "learned")
            .group_by(Segment.name)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        in_segment = set(
            conn.execute(
                select(SegmentMember.customer_id)
                .join(Segment, Segment.id == SegmentMember.segment_id)
                .where(Segment.name == segment)
            ).scalars()
        )
    assert 5 < members < 40
    spec = _spec(audience={"segments": [segment]})
    campaign = create_campaign(store.engine, spec)
    run_campaigns(store.engine, store.settings)

    number_of = {customer: number for number, customer in store.ids.items()}
    expected_placed = {number_of[c] for c in in_segment} & CONSENTING
    groups = _groups(store, campaign)
    assert set(groups) == expected_placed
    treated = {number for number, group in groups.items() if group != HOLDOUT}
    assert Counter(_numbers(store, smtp)) == Counter(treated)
