"""Merging customers in the store, undoing merges, and pairs recorded as not the same.

Every test runs on SQLite and on PostgreSQL (the ``engine`` fixture), on a few customers with
orders, lines, events, feedback, conversations and identities inserted directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, distinct, func, insert, select, update

from crmind.errors import NotFoundError, StoreError
from crmind.services import identity_store
from crmind.services.identity_store import (
    REPOINTED,
    choose_survivor,
    exclude_pair,
    excluded_pairs,
    merge_clusters,
    merge_customers,
    merge_history,
    unmerge,
)
from crmind.store.schema import (
    Base,
    Conversation,
    Customer,
    CustomerIdentity,
    CustomerScore,
    Event,
    Feedback,
    IdentityMerge,
    ModelRun,
    Order,
    OrderLine,
    table_of,
)
from tests.store_probe import count

SNAPSHOT_MODELS: tuple[type[Base], ...] = (
    Customer,
    Conversation,
    CustomerIdentity,
    Order,
    OrderLine,
    Event,
    Feedback,
)
DAY0 = datetime(2024, 1, 1)


@dataclass(frozen=True)
class Store:
    """Ids of the customers of the test store."""

    engine: Engine
    ann: int  # 3 purchases + 1 return, 2 events, 1 feedback, e-mail + source key
    ann_web: int  # 2 purchases, 1 event, another e-mail: the same person as ann
    ann_phone: int  # 1 purchase, a phone number: the same person as ann
    bob: int  # 1 purchase
    eve: int  # nothing yet


class Writer:
    """Inserts rows with unique natural keys."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.serial = 0

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def customer(self, name: str, created_days: int) -> int:
        return int(
            self.conn.execute(
                insert(Customer).returning(Customer.id),
                {"name": name, "created_at": DAY0 + timedelta(days=created_days)},
            ).scalar_one()
        )

    def order(self, customer: int, amounts: list[float], *, is_return: bool = False) -> int:
        order_id = int(
            self.conn.execute(
                insert(Order).returning(Order.id),
                {
                    "source": "shop",
                    "order_number": f"o{self._next()}",
                    "customer_id": customer,
                    "occurred_at": DAY0 + timedelta(days=self.serial),
                    "is_return": is_return,
                    "currency": "GBP",
                },
            ).scalar_one()
        )
        lines = [
            {"order_id": order_id, "line_number": n, "quantity": 1.0, "amount": amount}
            for n, amount in enumerate(amounts, start=1)
        ]
        self.conn.execute(insert(OrderLine), lines)
        return order_id

    def event(self, customer: int) -> None:
        self.conn.execute(
            insert(Event),
            {
                "source": "web",
                "event_key": f"e{self._next()}",
                "customer_id": customer,
                "event_type": "page_view",
                "occurred_at": DAY0 + timedelta(days=self.serial),
            },
        )

    def feedback(self, customer: int, text: str) -> None:
        self.conn.execute(
            insert(Feedback),
            {
                "source": "web",
                "feedback_key": f"f{self._next()}",
                "customer_id": customer,
                "text": text,
            },
        )

    def conversation(self, customer: int, subject: str) -> None:
        self.conn.execute(
            insert(Conversation),
            {"customer_id": customer, "channel": "email", "origin": "test", "subject": subject},
        )

    def identity(self, customer: int, kind: str, value: str, source: str = "") -> None:
        self.conn.execute(
            insert(CustomerIdentity),
            {"customer_id": customer, "kind": kind, "source": source, "value": value},
        )


@pytest.fixture
def store(engine: Engine) -> Store:
    with engine.begin() as conn:
        w = Writer(conn)
        ann = w.customer("Ann", 1)
        ann_web = w.customer("Ann W", 5)
        ann_phone = w.customer("A. Smith", 9)
        bob = w.customer("Bob", 2)
        eve = w.customer("Eve", 3)
        for amounts in ([10.0, 5.5], [20.0], [7.25, 1.0, 2.0]):
            w.order(ann, amounts)
        w.order(ann, [-5.5], is_return=True)
        w.order(ann_web, [100.0])
        w.order(ann_web, [3.0, 4.0])
        w.order(ann_phone, [42.0])
        w.order(bob, [9.99])
        for customer in (ann, ann, ann_web, bob):
            w.event(customer)
        w.feedback(ann, "great")
        w.feedback(ann_web, "slow delivery")
        w.conversation(ann_web, "where is my parcel?")
        w.identity(ann, "source_key", "A-1", source="shop")
        w.identity(ann, "email", "ann@example.com")
        w.identity(ann_web, "email", "ann.smith@example.com")
        w.identity(ann_web, "source_key", "A-1", source="web")
        w.identity(ann_phone, "phone", "+447700900123")
        w.identity(bob, "email", "bob@example.com")
    return Store(engine, ann, ann_web, ann_phone, bob, eve)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a merge touches, in id order."""
    with engine.connect() as conn:
        return {
            model.__tablename__: [
                tuple(row)
                for row in conn.execute(select(table_of(model)).order_by(table_of(model).c.id))
            ]
            for model in SNAPSHOT_MODELS
        }


def sales(engine: Engine) -> dict[int | None, tuple[int, float]]:
    """Customer -> (orders, sum of line amounts)."""
    query = (
        select(Order.customer_id, func.count(distinct(Order.id)), func.sum(OrderLine.amount))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .group_by(Order.customer_id)
    )
    with engine.connect() as conn:
        return {customer: (int(n), float(total)) for customer, n, total in conn.execute(query)}


def owners(engine: Engine, model: type[Base]) -> dict[int, int | None]:
    """Row id -> customer id of a table with a ``customer_id``."""
    table = table_of(model)
    with engine.connect() as conn:
        return {int(i): c for i, c in conn.execute(select(table.c.id, table.c.customer_id))}


def merged_into(engine: Engine) -> dict[int, int | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(Customer.id, Customer.merged_into))
        return {int(customer): into for customer, into in rows}


def test_merge_moves_every_source_row_and_keeps_the_totals(store: Store) -> None:
    engine = store.engine
    before = sales(engine)
    events_before = owners(engine, Event)
    with engine.begin() as conn:  # a derived row of a model run must stay where it was
        run = conn.execute(
            insert(ModelRun).returning(ModelRun.id),
            {"kind": "analysis", "params": {}, "metrics": {}},
        ).scalar_one()
        conn.execute(
            insert(CustomerScore),
            {"model_run_id": run, "customer_id": store.ann_web, "kind": "clv", "value": 1.0},
        )

    merge_ids = merge_customers(
        engine, store.ann, [store.ann_web, store.ann_phone], probability=0.97
    )

    after = sales(engine)
    parts = [before[c] for c in (store.ann, store.ann_web, store.ann_phone)]
    orders, total = after[store.ann]
    assert orders == sum(n for n, _ in parts)
    assert total == pytest.approx(sum(t for _, t in parts))
    assert store.ann_web not in after
    assert store.ann_phone not in after
    assert after[store.bob] == before[store.bob]
    assert sum(n for n, _ in after.values()) == sum(n for n, _ in before.values())
    assert sum(t for _, t in after.values()) == pytest.approx(sum(t for _, t in before.values()))
    assert count(engine, Event) == len(events_before)
    assert set(owners(engine, Event).values()) == {store.ann, store.bob}
    assert set(owners(engine, Feedback).values()) == {store.ann}
    assert set(owners(engine, Conversation).values()) == {store.ann}
    assert set(owners(engine, CustomerIdentity).values()) == {store.ann, store.bob}
    assert merged_into(engine)[store.ann_web] == merged_into(engine)[store.ann_phone] == store.ann
    assert merged_into(engine)[store.ann] is None
    with engine.connect() as conn:
        assert conn.execute(select(CustomerScore.customer_id)).scalar_one() == store.ann_web

    history = merge_history(engine)
    assert [m.id for m in history] == merge_ids
    web = history[0]
    assert (web.survivor_id, web.merged_id, web.probability) == (store.ann, store.ann_web, 0.97)
    assert web.reason == "probabilistic match 0.97"
    assert web.moved["events"] == sorted(i for i, c in events_before.items() if c == store.ann_web)
    assert web.moved_counts == {
        "orders": 2,
        "events": 1,
        "feedback": 1,
        "conversations": 1,
        "customer_identities": 2,
        "consents": 0,
        "customers": 0,
    }
    assert web.previous_merged_into is None
    assert not web.undone


def test_unmerge_restores_the_exact_previous_state(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity_store, "UNDO_CHUNK", 2)  # rows move back in several statements
    original = snapshot(store.engine)
    first, second = merge_customers(
        store.engine, store.ann, [store.ann_web, store.ann_phone], reason="manual"
    )
    assert snapshot(store.engine) != original

    unmerge(store.engine, second)
    unmerge(store.engine, first)

    assert snapshot(store.engine) == original
    history = merge_history(store.engine)
    assert all(m.undone_at is not None for m in history)
    assert {m.reason for m in history} == {"manual"}


def test_a_merge_can_be_redone_after_an_undo(store: Store) -> None:
    (first,) = merge_customers(store.engine, store.ann, [store.ann_web])
    unmerge(store.engine, first)
    (again,) = merge_customers(store.engine, store.ann, [store.ann_web])
    assert again != first
    assert merged_into(store.engine)[store.ann_web] == store.ann


def test_undoing_twice_is_refused(store: Store) -> None:
    (merge_id,) = merge_customers(store.engine, store.ann, [store.ann_web])
    unmerge(store.engine, merge_id)
    undone = snapshot(store.engine)
    with pytest.raises(StoreError, match=f"merge {merge_id} .* was already undone"):
        unmerge(store.engine, merge_id)
    assert snapshot(store.engine) == undone
    with pytest.raises(NotFoundError, match="no merge with id 999"):
        unmerge(store.engine, 999)


def test_a_merge_whose_survivor_was_merged_since_is_undone_after_the_later_one(
    store: Store,
) -> None:
    engine = store.engine
    original = snapshot(engine)
    (first,) = merge_customers(engine, store.ann, [store.ann_web])
    (second,) = merge_customers(engine, store.eve, [store.ann])
    # merged_into always names a live customer: ann_web followed ann to eve
    assert merged_into(engine)[store.ann_web] == store.eve
    assert merge_history(engine)[1].moved["customers"] == [store.ann_web]
    assert set(owners(engine, Order).values()) == {store.eve, store.ann_phone, store.bob}

    with pytest.raises(StoreError, match=f"undo merge {second} first"):
        unmerge(engine, first)

    unmerge(engine, second)
    assert merged_into(engine)[store.ann_web] == store.ann
    unmerge(engine, first)
    assert snapshot(engine) == original


def test_an_excluded_pair_in_the_middle_of_a_list_leaves_the_store_untouched(
    store: Store,
) -> None:
    exclude_pair(store.engine, store.ann_phone, store.ann, reason="different date of birth")
    original = snapshot(store.engine)
    merging = [store.ann_web, store.ann_phone, store.bob]
    with pytest.raises(StoreError) as refused:
        merge_customers(store.engine, store.ann, merging)
    message = str(refused.value)
    assert f"customer {store.ann} and customer {store.ann_phone}" in message
    assert "different date of birth" in message
    assert snapshot(store.engine) == original
    assert count(store.engine, IdentityMerge) == 0


def test_a_failure_after_rows_moved_rolls_everything_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = snapshot(store.engine)
    write = identity_store._write_merge_record
    calls: list[int] = []

    def fail_on_second(*args: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return write(*args)

    monkeypatch.setattr(identity_store, "_write_merge_record", fail_on_second)
    with pytest.raises(RuntimeError, match="disk full"):
        merge_customers(store.engine, store.ann, [store.ann_web, store.ann_phone])
    assert len(calls) == 2
    assert snapshot(store.engine) == original
    assert count(store.engine, IdentityMerge) == 0


def test_an_exclusion_holds_through_an_earlier_merge(store: Store) -> None:
    exclude_pair(store.engine, store.ann_web, store.bob)
    merge_customers(store.engine, store.ann, [store.ann_web])
    with pytest.raises(StoreError, match=rf"customer {store.ann_web} \(merged into {store.ann}\)"):
        merge_customers(store.engine, store.bob, [store.ann])
    with pytest.raises(StoreError, match="recorded as not the same"):
        merge_customers(store.engine, store.ann, [store.bob])
    assert merged_into(store.engine)[store.bob] is None


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("itself", StoreError, "into itself"),
        ("missing", NotFoundError, "no customer with id 999"),
        ("already merged", StoreError, "is already merged into customer"),
        ("survivor merged", StoreError, "instead"),
    ],
)
def test_merges_that_cannot_be_done_are_refused(
    store: Store, case: str, error: type[Exception], message: str
) -> None:
    merge_customers(store.engine, store.ann, [store.ann_web])
    before = snapshot(store.engine)
    survivor, merging = {
        "itself": (store.bob, [store.bob]),
        "missing": (store.bob, [store.eve, 999]),
        "already merged": (store.bob, [store.ann_web]),
        "survivor merged": (store.ann_web, [store.bob]),
    }[case]
    with pytest.raises(error, match=message):
        merge_customers(store.engine, survivor, merging)
    assert snapshot(store.engine) == before


def test_the_survivor_has_the_most_purchases_then_is_the_oldest_then_the_lowest_id(
    store: Store,
) -> None:
    engine = store.engine
    # ann: 3 purchases (her return does not count), ann_web 2, ann_phone 1, bob 1, eve 0
    assert choose_survivor(engine, [store.ann_phone, store.ann_web, store.ann]) == store.ann
    # ann_phone and bob have one purchase each; bob was created first
    assert choose_survivor(engine, [store.ann_phone, store.bob]) == store.bob
    with engine.begin() as conn:
        twin = Writer(conn).customer("Eve's twin", 3)  # created the same moment as eve
    assert choose_survivor(engine, [twin, store.eve]) == min(twin, store.eve)
    with engine.begin() as conn:  # a cancelled order is no purchase: bob has none left
        conn.execute(update(Order).where(Order.customer_id == store.bob).values(status="void"))
    assert choose_survivor(engine, [store.ann_phone, store.bob]) == store.ann_phone
    with pytest.raises(NotFoundError):
        choose_survivor(engine, [998, 999])


def test_merge_clusters_merges_each_cluster_on_its_own(store: Store) -> None:
    engine = store.engine
    exclude_pair(engine, store.bob, store.eve, reason="checked by phone")
    clusters = [
        [store.ann_phone, store.ann, store.ann_web],
        [store.bob, store.eve],
        [store.ann_phone],
        [store.eve, 999],
    ]
    probabilities = {
        frozenset((store.ann, store.ann_web)): 0.98,
        frozenset((store.ann_web, store.ann_phone)): 0.91,
        frozenset((store.bob, store.eve)): 0.99,
    }

    result = merge_clusters(engine, clusters, probabilities)

    (merged,) = result.merged
    assert merged.survivor_id == store.ann
    assert merged.merged_ids == (store.ann_phone, store.ann_web)
    assert result.merge_ids == list(merged.merge_ids)
    assert [r.customer_ids for r in result.refused] == [tuple(c) for c in clusters[1:]]
    assert "checked by phone" in result.refused[0].reason
    assert "at least two" in result.refused[1].reason
    assert "999" in result.refused[2].reason
    history = {m.merged_id: m for m in merge_history(engine, store.ann)}
    assert history[store.ann_web].probability == 0.98
    assert history[store.ann_phone].probability == 0.91  # its best pair: no pair with ann
    assert history[store.ann_phone].reason == "probabilistic match 0.91"
    assert merged_into(engine)[store.eve] is None
    assert merge_history(engine, store.bob) == []


def test_exclusions_are_stored_once_in_order_and_not_for_merged_customers(store: Store) -> None:
    engine = store.engine
    assert exclude_pair(engine, store.bob, store.ann, reason="different people")
    assert not exclude_pair(engine, store.ann, store.bob, reason="again")
    assert excluded_pairs(engine) == {frozenset((store.ann, store.bob))}
    with pytest.raises(StoreError, match="from itself"):
        exclude_pair(engine, store.ann, store.ann)
    merge_customers(engine, store.ann, [store.ann_web])
    with pytest.raises(StoreError, match="undo the merge"):
        exclude_pair(engine, store.ann_web, store.ann)
    with pytest.raises(NotFoundError):
        exclude_pair(engine, store.ann, 999)
    assert len(excluded_pairs(engine)) == 1


def test_a_customer_with_thousands_of_orders_is_merged_and_unmerged(store: Store) -> None:
    engine = store.engine
    with engine.begin() as conn:
        big = Writer(conn).customer("Big", 0)
        rows = [
            {
                "source": "bulk",
                "order_number": f"b{n}",
                "customer_id": big,
                "occurred_at": DAY0,
                "is_return": False,
                "currency": "GBP",
            }
            for n in range(6_000)
        ]
        conn.execute(insert(Order), rows)
    original = snapshot(engine)

    (merge_id,) = merge_customers(engine, store.bob, [big])
    assert merge_history(engine)[0].moved_counts["orders"] == 6_000
    unmerge(engine, merge_id)

    assert snapshot(engine) == original


def test_every_reference_to_a_customer_is_either_moved_or_derived() -> None:
    """A new table pointing at customers must be classified here, or merges would miss it."""
    derived_or_audit = {
        ("customer_profiles", "customer_id"),
        ("segment_members", "customer_id"),
        ("customer_scores", "customer_id"),
        ("recommendations", "customer_id"),
        ("identity_merges", "survivor_id"),
        ("identity_merges", "merged_id"),
        ("identity_merges", "previous_merged_into"),
        ("identity_exclusions", "customer_a"),
        ("identity_exclusions", "customer_b"),
        # the words of the customer row's own (encrypted) names; search finds a merged
        # customer's survivor through them
        ("customer_search_tokens", "customer_id"),
        # recomputed from events and the next analysis run
        ("customer_live_state", "customer_id"),
        # campaign history: what was sent to which record, and the experiment group it was
        # placed in; kept as it happened (later campaigns reach the survivor)
        ("campaign_members", "customer_id"),
        ("campaign_messages", "customer_id"),
    }
    references = {
        (table.name, fk.parent.name)
        for table in Base.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == "customers"
    }
    moved = {(table.name, column) for table, column in REPOINTED}
    assert references == moved | derived_or_audit


def test_a_merged_customer_consents_follow_to_the_survivor_and_back(store: Store) -> None:
    from crmind.services.consents import current_consents, record_consent

    engine = store.engine
    record_consent(
        engine, store.ann_web, "marketing_email", "withdraw", source="web form", actor="test"
    )
    [merge_id] = merge_customers(engine, store.ann, [store.ann_web], probability=0.99)
    assert current_consents(engine, store.ann)["marketing_email"].granted is False
    unmerge(engine, merge_id)
    assert "marketing_email" not in current_consents(engine, store.ann)
    assert current_consents(engine, store.ann_web)["marketing_email"].granted is False
