"""The assistant's actions in a real store (SQLite and PostgreSQL): the identity check before an
order is shown, cancellation by status, tickets with the order attached, recommendations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.assistant.actions import StoreActions, status_group
from crmind.assistant.slots import Slots
from crmind.privacy.binding import cipher_of
from crmind.store.schema import Conversation, Message, Order
from tests.assistant.shop import ANN, BO, WANG, Shop, build_shop

REGIONS = ("GB", "CN")


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Shop:
    return build_shop(engine, tmp_path / "shop")


def _actions(session: Session, customer_id: int | None = None) -> StoreActions:
    conversation = Conversation(
        channel="chat", status="pending", origin="assistant", customer_id=customer_id
    )
    session.add(conversation)
    session.flush()
    return StoreActions(session, conversation, cipher_of(session.get_bind()), REGIONS)


@pytest.fixture
def session(shop: Shop) -> Iterator[Session]:
    with Session(shop.engine) as session, session.begin():
        yield session


def test_the_right_email_finds_the_order_and_ties_the_conversation_to_its_customer(
    shop: Shop, session: Session
) -> None:
    actions = _actions(session)
    hashes = actions.contact_hashes(Slots(email="Ann.Lee@Example.com".lower()))
    order = actions.find_order("A1001", hashes)
    assert order is not None
    assert (order.id, order.customer_id) == (shop.orders["A1001"], shop.ann)
    assert order.status == "shipped"
    assert (order.items, order.amount) == (3.0, 15.0)  # 2 x 4.50 + 1 x 6.00
    assert actions.conversation.customer_id == shop.ann


def test_a_wrong_email_another_customers_email_and_an_unknown_order_all_find_nothing(
    shop: Shop, session: Session
) -> None:
    actions = _actions(session)
    for number, email in (
        ("A1001", "someone@example.com"),  # wrong e-mail
        ("A1001", BO["email"]),  # a real customer's e-mail, not the order's
        ("A9999", ANN["email"]),  # an order that does not exist
        ("A1001", None),  # no proof at all
    ):
        hashes = actions.contact_hashes(Slots(email=email)) if email else []
        assert actions.find_order(number, hashes) is None
    assert actions.conversation.customer_id is None


def test_a_phone_number_proves_identity_however_it_is_written(shop: Shop, session: Session) -> None:
    for phone, number, customer in (
        ("07911 123456", "A1002", shop.ann),  # national UK format
        ("+44 (0)7911-123456", "A1001", shop.ann),
        ("13812345678", "A2001", shop.wang),  # Chinese mobile without +86
        ("+86 138 1234 5678", "A2002", shop.wang),
    ):
        actions = _actions(session)
        order = actions.find_order(number, actions.contact_hashes(Slots(phone=phone)))
        assert order is not None, phone
        assert order.customer_id == customer
    wrong = _actions(session)
    assert wrong.find_order("A2001", wrong.contact_hashes(Slots(phone="13800000000"))) is None


def test_a_known_customer_sees_their_own_orders_only(shop: Shop, session: Session) -> None:
    actions = _actions(session, customer_id=shop.ann)
    assert actions.find_order("a1002", []) is not None  # any case
    other = actions.contact_hashes(Slots(email=WANG["email"]))
    assert actions.find_order("A2001", other) is None  # Wang's order, even with Wang's e-mail
    assert actions.conversation.customer_id == shop.ann


def test_only_an_order_not_yet_shipped_is_cancelled(shop: Shop, session: Session) -> None:
    outcomes = {}
    for number, customer in (
        ("A1002", shop.ann),  # pending
        ("A2001", shop.wang),  # 待发货
        ("A1001", shop.ann),  # shipped
        ("A2002", shop.wang),  # delivered
        ("A1003", shop.ann),  # no status
        ("A3001", shop.bo),  # cancelled already
    ):
        actions = _actions(session, customer_id=customer)
        order = actions.find_order(number, [])
        assert order is not None
        outcomes[number] = actions.cancel(order)
    assert outcomes == {
        "A1002": "cancelled",
        "A2001": "cancelled",
        "A1001": "shipped",
        "A2002": "shipped",
        "A1003": "needs_person",
        "A3001": "already_cancelled",
    }
    statuses = dict(session.execute(select(Order.order_number, Order.status)).all())
    assert statuses["A1002"] == statuses["A2001"] == "cancelled"
    assert (statuses["A1001"], statuses["A1003"]) == ("shipped", None)


def test_a_ticket_is_the_conversation_itself_and_a_second_order_gets_its_own(
    shop: Shop, session: Session
) -> None:
    actions = _actions(session, customer_id=shop.ann)
    first = actions.open_ticket(subject="refund", summary="wants a refund", order_id=10)
    assert first == actions.conversation.id
    assert (actions.conversation.status, actions.conversation.order_id) == ("open", 10)
    assert actions.open_ticket(subject="person", summary="asks for a person") == first
    second = actions.open_ticket(subject="refund 2", summary="another", order_id=11)
    assert second != first
    ticket = session.get(Conversation, second)
    assert ticket is not None
    assert (ticket.status, ticket.order_id, ticket.customer_id) == ("open", 11, shop.ann)
    assert ticket.state == {"opened_from": first}
    count = session.scalar(select(func.count()).where(Message.conversation_id == second))
    assert count == 1


def test_recommendations_are_the_customers_stored_list_with_reasons(
    shop: Shop, session: Session
) -> None:
    actions = _actions(session, customer_id=shop.ann)
    suggestions = actions.recommendations(shop.ann, k=2)
    assert len(suggestions) == 2
    assert all(s.product and s.reason and s.reason.startswith("popular") for s in suggestions)
    bought = {"Blue mug", "White plate", "Desk lamp", "Fountain pen"}
    assert not bought & {s.product for s in suggestions}  # exclude_seen


def test_order_statuses_are_read_into_stages() -> None:
    assert status_group("Awaiting Shipment") == "pending"
    assert status_group("in-transit") == "shipped"
    assert status_group("已签收") == "delivered"
    assert status_group("Canceled") == "cancelled"
    assert status_group(None) == status_group("on the moon") == "unknown"
