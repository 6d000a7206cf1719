"""Recording events: idempotency, customers, orders, and the live state with its lifecycle stage,
on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from crmind.analytics.lifecycle import LifecycleThresholds
from crmind.services.analysis import AnalysisOptions, run_analysis
from crmind.services.events import (
    MAX_BATCH,
    EventOptions,
    IncomingEvent,
    RejectedEventsError,
    record_events,
)
from crmind.services.live_state import live_state
from crmind.store.locks import lock_live_states
from crmind.store.schema import Customer, CustomerScore, Event, ModelRun, Order

START = datetime(2024, 1, 1, 12, tzinfo=UTC)


def ev(key: str, kind: str = "page_view", days: float = 0, **fields: Any) -> IncomingEvent:
    return IncomingEvent(
        event_id=key, type=kind, occurred_at=START + timedelta(days=days), **fields
    )


def buy(key: str, days: float, amount: float = 10.0, **fields: Any) -> IncomingEvent:
    return ev(key, "purchase", days, amount=amount, **fields)


def customer_of(engine: Engine, event_key: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(Event.customer_id).where(Event.event_key == event_key))
        customer = found.scalar_one()
    assert customer is not None
    return int(customer)


def test_counts_by_type_purchases_and_revenue_add_up_over_batches(engine: Engine) -> None:
    record_events(engine, [ev("v1", customer_key="C1"), ev("v2", customer_key="C1", days=1)])
    record_events(
        engine,
        [ev("c1", "cart_add", 2, customer_key="C1"), buy("p1", 2, 30.0, customer_key="C1")],
    )
    record_events(engine, [buy("p2", 3, 12.5, customer_key="C1"), ev("v2", customer_key="C1")])
    state = live_state(engine, customer_of(engine, "v1"))
    assert state is not None
    assert state["event_counts"] == {"page_view": 2, "cart_add": 1, "purchase": 2}
    assert (state["purchases"], state["revenue"], state["purchase_days"]) == (2, 42.5, 2)
    assert state["last_event_at"] == datetime(2024, 1, 4, 12)
    assert state["last_purchase_at"] == datetime(2024, 1, 4, 12)


def test_events_of_one_batch_for_the_same_new_person_make_one_customer(engine: Engine) -> None:
    result = record_events(
        engine,
        [
            ev("a", customer_key="K1"),
            ev("b", email="ann@example.com", customer_key="K1"),
            ev("c", email="ANN@example.com"),
            ev("d"),  # anonymous
        ],
    )
    assert (result.stored, result.customers_created, result.live_states_updated) == (4, 1, 1)
    assert customer_of(engine, "a") == customer_of(engine, "b") == customer_of(engine, "c")
    with engine.connect() as conn:
        anonymous = conn.execute(select(Event.customer_id).where(Event.event_key == "d"))
        assert anonymous.scalar_one() is None


def test_a_duplicate_changes_no_count(engine: Engine) -> None:
    record_events(engine, [ev("v1", customer_key="C1")])
    result = record_events(engine, [ev("v1", customer_key="C1"), ev("v1", customer_key="C1")])
    assert result.stored == 0
    assert [d.index for d in result.duplicates] == [0, 1]
    state = live_state(engine, customer_of(engine, "v1"))
    assert state is not None
    assert state["event_counts"] == {"page_view": 1}


def test_a_merged_customers_events_go_to_the_survivor(engine: Engine) -> None:
    with engine.begin() as conn:
        survivor = conn.execute(insert(Customer).returning(Customer.id), {}).scalar_one()
        merged = conn.execute(
            insert(Customer).returning(Customer.id), {"merged_into": survivor}
        ).scalar_one()
    record_events(engine, [ev("v1", customer_id=merged)])
    assert customer_of(engine, "v1") == survivor
    assert live_state(engine, merged) is None
    assert live_state(engine, survivor) is not None


def test_refused_events_are_named_and_nothing_is_written(engine: Engine) -> None:
    with pytest.raises(RejectedEventsError) as refused:
        record_events(
            engine,
            [
                ev("a", customer_key="C1"),
                ev("b", customer_id=424242),
                ev("c", customer_id=424243),
            ],
        )
    assert [(p.index, p.field) for p in refused.value.problems] == [
        (1, "customer_id"),
        (2, "customer_id"),
    ]
    assert "no customer with id 424242" in str(refused.value)
    with engine.connect() as conn:
        assert conn.execute(select(Event.id)).first() is None
        assert conn.execute(select(Customer.id)).first() is None  # C1's creation rolled back
    with pytest.raises(RejectedEventsError, match="at most 1000"):
        record_events(engine, [ev(f"e{i}") for i in range(MAX_BATCH + 1)])


def test_a_purchase_becomes_an_order_once(engine: Engine) -> None:
    first = record_events(engine, [buy("p1", 0, 20.0, customer_key="C1", order_number="O-1")])
    again = record_events(engine, [buy("p2", 0, 20.0, customer_key="C1", order_number="O-1")])
    assert (first.orders_created, again.orders_created) == (1, 0)
    with engine.connect() as conn:
        order = conn.execute(select(Order)).one()
    assert (order.order_number, order.currency, order.is_return) == ("O-1", "GBP", False)


def test_a_first_purchase_makes_a_new_customer(engine: Engine) -> None:
    record_events(engine, [buy("p1", 0, customer_key="C1")])
    state = live_state(engine, customer_of(engine, "p1"))
    assert state is not None
    assert state["lifecycle_stage"] == "new"


def _history(customer: str, gaps: list[float]) -> list[IncomingEvent]:
    days = [sum(gaps[:i]) for i in range(len(gaps) + 1)]
    return [buy(f"{customer}-{i}", day, customer_key=customer) for i, day in enumerate(days)]


def test_a_lapsed_customer_who_buys_is_reactivated_at_once(engine: Engine) -> None:
    """Bought every 10 days, then nothing for 35: lapsed; a purchase brings them back."""
    record_events(engine, _history("C1", [10, 10, 10]))
    record_events(engine, [ev("look", days=30 + 35, customer_key="C1")])
    customer = customer_of(engine, "look")
    before = live_state(engine, customer)
    assert before is not None
    assert before["lifecycle_stage"] == "lapsed"

    record_events(engine, [buy("back", 30 + 36, customer_key="C1")])
    after = live_state(engine, customer)
    assert after is not None
    assert after["lifecycle_stage"] == "reactivated"
    assert after["purchase_days"] == 5


def test_stages_follow_the_configured_thresholds(engine: Engine) -> None:
    record_events(engine, _history("C1", [10, 10, 10]))
    strict = EventOptions(lifecycle=LifecycleThresholds(at_risk_ratio=0.5, lapsed_ratio=1.0))
    record_events(engine, [ev("look", days=30 + 8, customer_key="C1")], strict)
    state = live_state(engine, customer_of(engine, "look"))
    assert state is not None
    assert state["lifecycle_stage"] == "at_risk"


def _complete_an_analysis_run(engine: Engine) -> None:
    """A completed analysis run: the live counters start again, the rhythm is read anew."""
    with engine.begin() as conn:
        conn.execute(
            insert(ModelRun),
            {"kind": "analysis", "status": "completed", "data_end": datetime(2024, 1, 2)},
        )


def test_a_new_analysis_run_starts_the_counters_again(engine: Engine) -> None:
    record_events(engine, [ev("v1", customer_key="C1"), buy("p1", 0, 5.0, customer_key="C1")])
    _complete_an_analysis_run(engine)
    record_events(engine, [ev("v2", days=3, customer_key="C1")])
    state = live_state(engine, customer_of(engine, "v1"))
    assert state is not None
    assert state["event_counts"] == {"page_view": 1}
    assert (state["purchases"], state["revenue"]) == (0, 0.0)
    assert state["purchase_days"] == 1  # the rhythm is all-time, from the orders


def test_the_rhythm_read_from_the_orders_leaves_cancelled_ones_out(engine: Engine) -> None:
    record_events(engine, [buy("p1", 0, customer_key="C1"), buy("p2", 10, customer_key="C1")])
    with engine.begin() as conn:
        conn.execute(update(Order).where(Order.order_number == "p2").values(status="cancelled"))
    _complete_an_analysis_run(engine)
    record_events(engine, [ev("v1", days=12, customer_key="C1")])
    state = live_state(engine, customer_of(engine, "v1"))
    assert state is not None
    assert state["purchase_days"] == 1


def test_the_live_stage_is_what_the_next_analysis_run_says(engine: Engine) -> None:
    """A lapsed customer buys between two runs: their live stage is the second run's."""
    events: list[IncomingEvent] = []
    for n in range(40):
        gap = 7 + n % 5 * 3
        events += _history(f"C{n}", [gap] * (2 + n % 4))
    record_events(engine, events)
    first = run_analysis(engine, AnalysisOptions(n_segments=2, clv_draws=10))
    with engine.connect() as conn:
        lapsed = conn.execute(
            select(CustomerScore.customer_id)
            .where(
                CustomerScore.model_run_id == first.run_id,
                CustomerScore.kind == "lifecycle",
                CustomerScore.label.in_(["lapsed", "churned"]),
            )
            .order_by(CustomerScore.customer_id)
            .limit(1)
        ).scalar_one()
    comeback = first.as_of.replace(tzinfo=UTC) + timedelta(hours=1)
    record_events(
        engine,
        [IncomingEvent("back", "purchase", comeback, customer_id=lapsed, amount=15.0)],
    )
    live = live_state(engine, lapsed)
    assert live is not None
    assert live["lifecycle_stage"] in ("reactivated", "active")

    second = run_analysis(engine, AnalysisOptions(n_segments=2, clv_draws=10))
    with engine.connect() as conn:
        label = conn.execute(
            select(CustomerScore.label).where(
                CustomerScore.model_run_id == second.run_id,
                CustomerScore.kind == "lifecycle",
                CustomerScore.customer_id == lapsed,
            )
        ).scalar_one()
    assert live["lifecycle_stage"] == label
    record_events(engine, [ev("after", days=0, customer_id=lapsed)])
    state = live_state(engine, lapsed)
    assert state is not None
    assert (state["purchases"], state["analysis_run_id"]) == (0, second.run_id)


def test_batches_sent_at_once_for_one_new_person_make_one_customer(engine: Engine) -> None:
    """Concurrent batches naming the same new e-mail share a customer (SQLite: one writer at a
    time; PostgreSQL: the new key's lock)."""
    batches = [
        [ev(f"t{thread}-{i}", email="new@example.com", days=i) for i in range(20)]
        for thread in range(4)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda batch: record_events(engine, batch), batches))
    assert sum(r.customers_created for r in results) == 1
    assert sum(r.stored for r in results) == 80
    with engine.connect() as conn:
        owners = conn.execute(select(Event.customer_id).distinct()).scalars().all()
    assert len(owners) == 1
    state = live_state(engine, int(owners[0] or 0))
    assert state is not None
    assert state["event_counts"] == {"page_view": 80}


def test_a_customer_who_withdrew_profiling_gets_no_live_state(engine: Engine) -> None:
    from crmind.services.consents import record_consent

    record_events(engine, [ev("v1", customer_key="C1"), ev("w1", customer_key="C2")])
    withdrawn = customer_of(engine, "v1")
    record_consent(engine, withdrawn, "profiling", "withdraw", source="call", actor="test")
    assert live_state(engine, withdrawn) is None  # the withdrawal deleted it
    result = record_events(
        engine, [buy("p1", 2, customer_key="C1"), ev("w2", days=2, customer_key="C2")]
    )
    assert result.stored == 2  # the events themselves are kept
    assert result.live_states_updated == 1
    assert live_state(engine, withdrawn) is None
    assert live_state(engine, customer_of(engine, "w1")) is not None


def test_batches_sent_at_once_for_the_same_customers_add_up(engine: Engine) -> None:
    """Side by side (PostgreSQL) or one after the other (SQLite), no batch's counters are lost."""
    batches = [
        [
            *(ev(f"t{thread}-v{i}", customer_key=f"C{i % 5}", days=i) for i in range(20)),
            *(buy(f"t{thread}-p{i}", i, 10.0, customer_key=f"C{i}") for i in range(5)),
        ]
        for thread in range(4)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda batch: record_events(engine, batch), batches))
    assert sum(r.stored for r in results) == 100
    assert sum(r.customers_created for r in results) == 5
    assert sum(r.orders_created for r in results) == 20
    states = [live_state(engine, customer_of(engine, f"t0-p{i}")) for i in range(5)]
    assert all(state is not None for state in states)
    assert sum(state["event_counts"]["page_view"] for state in states if state) == 80
    assert [state["purchases"] for state in states if state] == [4] * 5
    assert sum(state["revenue"] for state in states if state) == pytest.approx(200.0)


def test_a_batch_resent_while_it_is_still_being_stored_counts_once(engine: Engine) -> None:
    batch = [
        *(ev(f"v{i}", customer_key=f"C{i % 3}", days=i) for i in range(30)),
        *(buy(f"p{i}", i, 5.0, customer_key=f"C{i}", order_number=f"O-{i}") for i in range(3)),
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: record_events(engine, batch), range(4)))
    assert sum(r.stored for r in results) == 33  # each event once, whichever batch stored it
    assert sum(len(r.duplicates) for r in results) == 3 * 33
    assert sum(r.orders_created for r in results) == 3
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Event)).scalar_one() == 33
        assert conn.execute(select(func.count()).select_from(Order)).scalar_one() == 3
    state = live_state(engine, customer_of(engine, "p0"))
    assert state is not None
    assert state["event_counts"] == {"page_view": 10, "purchase": 1}
    assert state["purchases"] == 1


@pytest.mark.postgres
def test_postgres_batches_wait_only_for_the_customers_they_share(postgres_engine: Engine) -> None:
    """A transaction holding customer A's live-state lock holds up A's next batch, not B's."""
    engine = postgres_engine
    record_events(engine, [ev("a0", customer_key="A"), ev("b0", customer_key="B")])
    a = customer_of(engine, "a0")
    with ThreadPoolExecutor(max_workers=2) as pool, engine.connect() as holder:
        with holder.begin():
            lock_live_states(holder, [a])
            holder_pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            other = pool.submit(record_events, engine, [ev("b1", days=1, customer_key="B")])
            assert other.result(timeout=60).stored == 1  # B's batch did not wait for A's lock
            held_up = pool.submit(record_events, engine, [ev("a1", days=1, customer_key="A")])
            _until_blocked_by(engine, holder_pid)
            assert not held_up.done()
        assert held_up.result(timeout=60).stored == 1  # and went on once the lock was released
    state = live_state(engine, a)
    assert state is not None
    assert state["event_counts"] == {"page_view": 2}


def _until_blocked_by(engine: Engine, holder_pid: int) -> None:
    """Return once some session waits for a lock ``holder_pid`` holds (fail after 60 s)."""
    for _ in range(600):
        with engine.connect() as conn:  # pg_stat_activity is read once per transaction
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE %(pid)s = ANY(pg_blocking_pids(pid))",
                {"pid": holder_pid},
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.1)
    pytest.fail("no session waited for the held lock")
