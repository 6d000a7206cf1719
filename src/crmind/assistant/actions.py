"""What the assistant does in the store: look up an order once the customer has proven who they
are, open a ticket (return / refund, hand-off), cancel an order that has not shipped, read a
customer's recommendations.

**Who may see an order.** A conversation belongs to a customer when the caller says so (a
signed-in customer, ``customer_id``) or once the customer proves it: an order number together
with the e-mail address or phone number on the order's customer record (or one of its recorded
identities; merged customers count as their survivor). Contact details are stored encrypted, so
the proof compares keyed search hashes (:meth:`FieldCipher.search_hash`), never plain values.
After the proof the conversation is tied to that customer (``conversations.customer_id``), and
from then on only that customer's orders are found. Every failed look-up — an unknown order, an
order of another customer, a wrong e-mail — returns the same ``None``, so the reply cannot tell
them apart; the dialogue counts failures and stops looking up after a few.

**Cancellation rule.** ``orders.status`` is free text from the shop's export. Its value is read
into a group (:func:`status_group`): only an order whose status says it has not left the
warehouse (``pending``, ``processing``, ``paid``, "待发货", ...) is cancelled here (its status
becomes ``cancelled``); a shipped, delivered or returned order is refused; an order with no
status or one crmind does not know (e.g. the UCI Online Retail data, which has none) might have
shipped, so the request goes to a person as a ticket with the order attached.

**Tickets.** A ticket is a conversation with status ``open``. An assistant conversation is
``pending`` while the assistant handles it; opening a ticket turns the conversation itself into
the ticket, so the agent sees the whole transcript. When the conversation is already a ticket
about another order, a second conversation is opened for the new order, naming the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Select, func, or_, select, union, update
from sqlalchemy.orm import Session

from crmind.assistant.slots import Slots, order_number_variants, phone_candidates
from crmind.privacy.crypto import FieldCipher
from crmind.services.customer_queries import RECOMMENDATION_RUN, RECOMMENDATIONS
from crmind.store.order_status import CANCELLED_STATUSES
from crmind.store.schema import (
    Conversation,
    Customer,
    CustomerIdentity,
    Message,
    ModelRun,
    Order,
    OrderLine,
)

StatusGroup = Literal["pending", "shipped", "delivered", "cancelled", "returned", "unknown"]
CancelOutcome = Literal["cancelled", "already_cancelled", "shipped", "needs_person"]

_STATUS_WORDS: dict[StatusGroup, tuple[str, ...]] = {
    "pending": (
        "pending", "placed", "new", "received", "created", "open", "accepted", "confirmed",
        "paid", "processing", "in_progress", "on_hold", "unfulfilled", "awaiting_payment",
        "awaiting_fulfillment", "awaiting_fulfilment", "awaiting_shipment", "not_shipped",
        "待付款", "待发货", "已付款", "处理中", "已下单", "未发货",
    ),
    "shipped": (
        "shipped", "dispatched", "sent", "in_transit", "out_for_delivery", "fulfilled",
        "partially_shipped", "partially_fulfilled", "已发货", "运输中", "配送中", "派送中",
    ),
    "delivered": (
        "delivered", "completed", "complete", "closed", "collected", "已送达", "已签收", "已完成",
    ),
    "cancelled": CANCELLED_STATUSES,
    "returned": ("returned", "refunded", "return_requested", "已退货", "已退款"),
}  # fmt: skip
_GROUP_OF = {word: group for group, words in _STATUS_WORDS.items() for word in words}
CANCELLED = "cancelled"
"""The status a cancelled order gets."""
CONTACT_KINDS = ("email", "phone")


def _order_sources() -> Select[tuple[str]]:
    """The distinct ``orders.source`` values, found by hopping along the (source,
    order_number) index from one source to the next: an order is looked up by its number
    through that index (the schema has none on the number alone), in a fraction of a
    millisecond instead of a scan of every order."""
    first = select(func.min(Order.source).label("source")).cte("order_sources", recursive=True)
    following = select(
        select(func.min(Order.source)).where(Order.source > first.c.source).scalar_subquery()
    ).where(first.c.source.is_not(None))
    sources = first.union_all(following)
    return select(sources.c.source).where(sources.c.source.is_not(None))


_ORDER_SOURCES = _order_sources()


def status_group(status: str | None) -> StatusGroup:
    """Which stage an order's free-text status names (see the module docstring)."""
    if status is None:
        return "unknown"
    key = re.sub(r"[\s\-]+", "_", status.strip().lower())
    return _GROUP_OF.get(key, "unknown")


@dataclass(frozen=True)
class OrderFacts:
    """An order as the assistant may tell its owner about it."""

    id: int
    order_number: str
    customer_id: int  # the live customer (the survivor of a merge)
    occurred_at: datetime
    status: str | None
    is_return: bool
    currency: str
    items: float
    amount: float

    @property
    def group(self) -> StatusGroup:
        return "returned" if self.is_return else status_group(self.status)


@dataclass(frozen=True)
class Suggestion:
    product: str
    reason: str | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StoreActions:
    """The actions of one turn of one conversation, inside the turn's transaction.

    ``phone_regions``: the regions a phone number written without ``+`` is read under
    (the store's default first).
    """

    def __init__(
        self,
        session: Session,
        conversation: Conversation,
        cipher: FieldCipher,
        phone_regions: tuple[str, ...] = ("GB",),
    ) -> None:
        self.session = session
        self.conversation = conversation
        self.cipher = cipher
        self.phone_regions = phone_regions

    # --- who the customer is -----------------------------------------------------------------

    @property
    def customer_id(self) -> int | None:
        """The conversation's customer: given by the caller or proven here; None if unknown."""
        return self.conversation.customer_id

    def contact_hashes(self, slots: Slots) -> list[str]:
        """Keyed hashes of the e-mail and of every reading of the phone number in ``slots``."""
        values: list[str] = []
        if slots.email:
            values.append(slots.email)
        if slots.phone:
            values.extend(phone_candidates(slots.phone, self.phone_regions))
        return [h for h in (self.cipher.search_hash(v) for v in values) if h]

    def find_order(self, number: str, contact_hashes: list[str]) -> OrderFacts | None:
        """The order ``number`` if this conversation may see it: it belongs to the
        conversation's customer, or (no customer yet) ``contact_hashes`` match its customer;
        None otherwise, whatever the reason. A match by contact ties the conversation to the
        order's customer."""
        rows = self.session.execute(
            select(
                Order.id,
                Order.order_number,
                func.coalesce(Customer.merged_into, Customer.id),
                Order.occurred_at,
                Order.status,
                Order.is_return,
                Order.currency,
            )
            .join(Customer, Customer.id == Order.customer_id)
            .where(
                Order.source.in_(_ORDER_SOURCES),
                Order.order_number.in_(order_number_variants(number)),
            )
            .order_by(Order.id)
        ).all()
        known = self.customer_id
        for order_id, order_number, live, occurred_at, status, is_return, currency in rows:
            if known is not None:
                if live != known:
                    continue
            elif not contact_hashes or not self._contact_matches(live, contact_hashes):
                continue
            else:
                self.conversation.customer_id = live
            items, amount = self._totals(order_id)
            return OrderFacts(
                id=order_id,
                order_number=order_number,
                customer_id=live,
                occurred_at=occurred_at,
                status=status,
                is_return=bool(is_return),
                currency=currency,
                items=items,
                amount=amount,
            )
        return None

    def _contact_matches(self, live: int, hashes: list[str]) -> bool:
        """Whether a customer whose e-mail / phone (or a recorded identity) has one of
        ``hashes`` is ``live`` or was merged into it; read through the hash indexes."""
        owner = func.coalesce(Customer.merged_into, Customer.id)
        on_record = select(owner).where(
            or_(Customer.email_hash.in_(hashes), Customer.phone_hash.in_(hashes))
        )
        recorded = (
            select(owner)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(
                CustomerIdentity.kind.in_(CONTACT_KINDS),
                CustomerIdentity.source == "",
                CustomerIdentity.value.in_(hashes),
            )
        )
        owners = self.session.execute(union(on_record, recorded)).scalars()
        return live in set(owners)

    def _totals(self, order_id: int) -> tuple[float, float]:
        items, amount = self.session.execute(
            select(
                func.coalesce(func.sum(func.abs(OrderLine.quantity)), 0.0),
                func.coalesce(func.sum(OrderLine.amount), 0.0),
            ).where(OrderLine.order_id == order_id)
        ).one()
        return float(items), float(amount)

    # --- orders --------------------------------------------------------------------------------

    def cancel(self, order: OrderFacts) -> CancelOutcome:
        """Cancel ``order`` if its status says it has not shipped (module docstring)."""
        group = order.group
        if group == "cancelled":
            return "already_cancelled"
        if group in ("shipped", "delivered", "returned"):
            return "shipped"
        if group == "unknown":
            return "needs_person"
        self.session.execute(update(Order).where(Order.id == order.id).values(status=CANCELLED))
        self.conversation.order_id = order.id
        return "cancelled"

    # --- tickets -------------------------------------------------------------------------------

    def history(self) -> list[tuple[str, str, str | None]]:
        """The conversation's messages so far as (role, text, intent), oldest first."""
        rows = self.session.execute(
            select(Message.role, Message.text, Message.intent)
            .where(Message.conversation_id == self.conversation.id)
            .order_by(Message.created_at, Message.id)
        ).all()
        return [(str(role), str(text), intent) for role, text, intent in rows]

    def open_ticket(
        self, *, subject: str, summary: str, order_id: int | None = None, priority: str = "normal"
    ) -> int:
        """Make the conversation an open ticket (or, when it is one already about another
        order, open a second conversation for ``order_id``); returns the ticket's id."""
        conversation = self.conversation
        now = _now()
        reusable = (
            conversation.status != "open"
            or order_id is None
            or conversation.order_id in (None, order_id)
        )
        if reusable:
            conversation.status = "open"
            conversation.closed_at = None
            conversation.subject = subject
            conversation.summary = summary
            conversation.priority = _higher(conversation.priority, priority)
            if order_id is not None:
                conversation.order_id = order_id
            conversation.updated_at = now
            return conversation.id
        ticket = Conversation(
            customer_id=conversation.customer_id,
            channel=conversation.channel,
            status="open",
            origin="assistant",
            subject=subject,
            priority=priority,
            summary=summary,
            order_id=order_id,
            language=conversation.language,
            state={"opened_from": conversation.id},
            created_at=now,
            updated_at=now,
        )
        self.session.add(ticket)
        self.session.flush()
        self.session.add(
            Message(
                conversation_id=ticket.id,
                role="assistant",
                text=f"Opened from conversation #{conversation.id}: {summary}",
                details={"action": "ticket_opened", "opened_from": conversation.id},
                created_at=now,
            )
        )
        return ticket.id

    # --- recommendations -----------------------------------------------------------------------

    def recommendations(self, customer_id: int, k: int = 3) -> list[Suggestion]:
        """The customer's first ``k`` stored recommendations (newest completed run)."""
        run = self.session.scalar(
            select(func.max(ModelRun.id)).where(
                ModelRun.kind == RECOMMENDATION_RUN, ModelRun.status == "completed"
            )
        )
        if run is None:
            return []
        rows = self.session.execute(
            RECOMMENDATIONS.limit(k), {"run_id": run, "customer_id": customer_id}
        ).all()
        return [Suggestion(product=str(r[2] or r[3] or r[1]), reason=r[5]) for r in rows]


_PRIORITY_ORDER = ("low", "normal", "high", "urgent")


def _higher(current: str | None, wanted: str) -> str:
    ranks = {p: i for i, p in enumerate(_PRIORITY_ORDER)}
    return max(current or "normal", wanted, key=lambda p: ranks.get(p, 1))
