"""One turn of a customer-service conversation: read the message, decide, act, reply.

A turn:

1. **Language**: the message's language (:func:`crmind.text.language.detect_language`); a
   message with no words of its own ("536365", an e-mail address) keeps the conversation's.
   Replies are in English or simplified Chinese (:mod:`crmind.assistant.replies`).
2. **Slots**: an order number, an e-mail, a phone number read from the text
   (:mod:`crmind.assistant.slots`), knowing what the assistant asked for last.
3. **Intent**: the classifier's (calibrated, with out-of-scope detection). A pending action
   waiting for a slot keeps the conversation on it when the message gives the slot ("which
   order?" -> "536365"), unless the customer confidently asks for something else; a message
   that gives nothing asked for is asked again, and after :attr:`DialogueOptions.max_reasks`
   the conversation goes to a person.
4. **Action or answer**: order status, return / refund ticket, cancellation and
   recommendations go through :class:`crmind.assistant.actions.StoreActions` once the customer
   is known (signed in, or proven by order number + e-mail / phone); the other questions are
   answered from the knowledge base, citing the article. A message nobody can answer gets a
   clarifying reply, and the third in a row a hand-off; so does a request for a person or a
   complaint: the conversation becomes a ticket with the whole transcript and a summary.

The dialogue takes its collaborators — the intent classifier, the knowledge index and the
phrasing of answers (an LLM or templates) — as constructor arguments typed by the protocols
below, and one :class:`StoreActions` per turn, bound to the turn's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from crmind.assistant.actions import OrderFacts, StoreActions
from crmind.assistant.replies import reason_text, say, status_label
from crmind.assistant.slots import Slots, parse_slots
from crmind.assistant.state import DialogueState, Pending
from crmind.text.language import detect_language

OUT_OF_SCOPE = "out_of_scope"
ORDER_STATUS = "order_status"
RETURN_REFUND = "return_refund"
CANCEL_ORDER = "cancel_order"
SHIPPING = "shipping_delivery"
PAYMENT = "payment_problem"
PRODUCT_QUESTION = "product_question"
COMPLAINT = "complaint"
HUMAN_HANDOFF = "human_handoff"
GREETING = "greeting"
GOODBYE = "goodbye"
RECOMMENDATION = "recommendation"
"""Not an intent of the shipped set: a product question (or an unknown message) that asks for
suggestions ("what would you recommend?", "推荐") is read as this."""

ORDER_INTENTS = frozenset({ORDER_STATUS, RETURN_REFUND, CANCEL_ORDER, RECOMMENDATION})
HANDOFF_INTENTS = frozenset({HUMAN_HANDOFF, COMPLAINT})
_RECOMMEND = re.compile(
    r"recommend|suggest|what (?:else )?should i (?:buy|get)|gift ideas?|推荐|买什么|建议.{0,6}买",
    re.IGNORECASE,
)
_POLICY_QUESTION = re.compile(
    r"\b(?:how|what|when|why|policy|rules?|can i|do you|is it possible)\b"
    r"|多久|怎么|如何|什么|几天|政策|规定|能不能|可以.*吗",
    re.IGNORECASE,
)
"""A refund or cancellation request without an order that asks how things work."""
POLICY_FIRST = frozenset({RETURN_REFUND, CANCEL_ORDER})
MIN_WORDS = 2
"""A message with a slot value and fewer other words than this is the value alone: the
classifier's reading of it is ignored."""
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


# --- collaborators ---------------------------------------------------------------------------


class Prediction(Protocol):
    @property
    def intent(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def in_scope(self) -> bool: ...


class IntentReader(Protocol):
    """What the dialogue needs of :class:`crmind.assistant.intents.IntentClassifier`."""

    def predict_one(self, text: str) -> Prediction: ...


class ArticleLike(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...


class HitLike(Protocol):
    @property
    def article(self) -> ArticleLike: ...
    @property
    def score(self) -> float: ...


class KnowledgeSearch(Protocol):
    """What the dialogue needs of :class:`crmind.assistant.knowledge.KnowledgeIndex`."""

    def search(self, query: str, *, language: str | None = None, k: int = 5) -> Sequence[Any]: ...

    def answerable(self, hit: Any) -> bool: ...


@dataclass(frozen=True)
class Phrased:
    """An answer's text; ``used_llm``: a model was asked and replied; ``grounded``: ``text``
    is that reply (checked against the sources), else it is the templated fallback."""

    text: str
    used_llm: bool = False
    grounded: bool = False


class Phrasing(Protocol):
    """Wording of grounded answers and summaries: a language model, or the templates alone
    (:class:`crmind.assistant.phrasing.LlmPhrasing` with or without a client)."""

    def answer(
        self, question: str, sources: Sequence[tuple[str, str]], fallback: str
    ) -> Phrased: ...

    def summary(
        self, transcript: Sequence[tuple[str, str]], intents: Sequence[str] = ()
    ) -> str: ...


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DialogueOptions:
    max_identity_failures: int = 3  # failed order look-ups before they are refused
    max_not_understood: int = 2  # clarifying replies in a row before a hand-off
    max_reasks: int = 2  # times a missing slot is asked again before a hand-off
    switch_confidence: float = 0.5  # a pending action yields to a new intent this sure
    knowledge_hits: int = 3
    recommendations: int = 3
    answer_chars: int = 700  # of an article quoted as the templated answer


@dataclass
class Turn:
    """The assistant's reply and what it rests on."""

    reply: str
    language: str
    intent: str
    confidence: float
    predicted: str
    action: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    order_id: int | None = None
    ticket_id: int | None = None
    handed_off: bool = False
    used_llm: bool = False  # a model was asked to word the reply and answered
    llm_grounded: bool = False  # ... and its wording is the reply (else the template is)

    def details(self) -> dict[str, Any]:
        """What ``messages.details`` of the reply keeps (no contact details in the clear)."""
        values: dict[str, Any] = {"action": self.action, "slots": self.slots}
        if self.citations:
            values["citations"] = self.citations
        if self.order_id is not None:
            values["order_id"] = self.order_id
        if self.ticket_id is not None:
            values["ticket_id"] = self.ticket_id
        if self.predicted != self.intent:
            values["predicted"] = self.predicted
        if self.used_llm:
            values["llm"] = "grounded" if self.llm_grounded else "rejected"
        return values


def _slot_record(slots: Slots, pending: Pending | None) -> dict[str, Any]:
    record: dict[str, Any] = {}
    number = slots.order_number or (pending.order_number if pending else None)
    if number:
        record["order_number"] = number
    if slots.email:
        record["email"] = "given"
    if slots.phone:
        record["phone"] = "given"
    return record


# --- the dialogue ------------------------------------------------------------------------------


class Dialogue:
    """Turns of conversations; one instance serves every conversation (it keeps no state)."""

    def __init__(
        self,
        classifier: IntentReader,
        knowledge: KnowledgeSearch,
        phrasing: Phrasing,
        options: DialogueOptions | None = None,
    ) -> None:
        self.classifier = classifier
        self.knowledge = knowledge
        self.phrasing = phrasing
        self.options = options or DialogueOptions()

    def respond(self, state: DialogueState, text: str, actions: StoreActions) -> Turn:
        """The reply to ``text``; ``state`` is updated in place."""
        pending = state.pending
        slots = parse_slots(text, pending.awaiting if pending else None)  # type: ignore[arg-type]
        language = self._language(slots.rest, state)
        state.language = language
        state.turns += 1
        prediction = self.classifier.predict_one(text)
        read = prediction.intent if prediction.in_scope else OUT_OF_SCOPE
        predicted = read
        if slots.any and _words(slots.rest) < MIN_WORDS:
            predicted = OUT_OF_SCOPE  # "536365", "ann@example.com": a value, not a request
        intent = self._intent(predicted, prediction.confidence, slots, pending, text)
        turn = Turn(
            reply="",
            language=language,
            intent=intent,
            confidence=float(prediction.confidence),
            predicted=read,
            slots=_slot_record(slots, pending),
        )
        context = _Context(state, text, slots, actions, turn)
        if intent == "reask":
            self._reask(context)
        elif intent in ORDER_INTENTS:
            self._order_action(context)
        elif intent in HANDOFF_INTENTS:
            state.pending = None
            prefix = say("complaint", language) if intent == COMPLAINT else ""
            self._hand_off(context, prefix, "high" if intent == COMPLAINT else "normal")
        elif intent == GREETING:
            state.not_understood = 0
            turn.action, turn.reply = "greeting", say("greeting", language)
            if state.pending is not None:
                turn.reply += "\n\n" + self._ask(state.pending, language)
        elif intent == GOODBYE:
            state.pending = None
            state.not_understood = 0
            turn.action, turn.reply = "goodbye", say("goodbye", language)
        else:  # shipping, payment, product questions and everything out of scope
            state.pending = None
            self._answer_from_knowledge(context)
        state.last_intent = turn.intent
        return turn

    # --- reading the message -----------------------------------------------------------------

    @staticmethod
    def _language(text: str, state: DialogueState) -> str:
        guess = detect_language(text).language
        return guess if guess in ("en", "zh") else state.language

    def _intent(
        self,
        predicted: str,
        confidence: float,
        slots: Slots,
        pending: Pending | None,
        text: str,
    ) -> str:
        if predicted in (PRODUCT_QUESTION, OUT_OF_SCOPE) and _RECOMMEND.search(text):
            predicted = RECOMMENDATION
        if predicted == SHIPPING and slots.order_number:
            predicted = ORDER_STATUS
        if pending is None:
            if predicted == OUT_OF_SCOPE and slots.order_number:
                return ORDER_STATUS  # a bare order number asks about that order
            return predicted
        sure = confidence >= self.options.switch_confidence
        if predicted in HANDOFF_INTENTS or (
            predicted in ORDER_INTENTS and predicted != pending.intent and sure
        ):
            return predicted
        if slots.order_number or slots.has_contact:
            return pending.intent
        if predicted in (GREETING, GOODBYE) or (predicted != OUT_OF_SCOPE and sure):
            return predicted
        return "reask"

    # --- order actions -----------------------------------------------------------------------

    def _order_action(self, ctx: _Context) -> None:
        state, turn, actions, slots = ctx.state, ctx.turn, ctx.actions, ctx.slots
        language = turn.language
        previous = state.pending
        pending = Pending(intent=turn.intent)
        if previous is not None:  # the same request continued, or another one about its order
            pending.order_number = previous.order_number
            if previous.intent == turn.intent:
                pending.contact_hashes = previous.contact_hashes
                pending.asked = previous.asked
        if slots.order_number:
            pending.order_number = slots.order_number
        elif pending.order_number is None and actions.customer_id is not None:
            pending.order_number = state.last_order  # "and cancel it, please"
        if slots.has_contact:
            pending.contact_hashes = actions.contact_hashes(slots)
        state.pending = pending
        if state.identity_failures >= self.options.max_identity_failures:
            state.pending = None
            turn.action, turn.reply = "identity_locked", say("identity_locked", language)
            return
        if turn.intent == RECOMMENDATION and actions.customer_id is not None:
            state.pending = None
            self._recommend(ctx, actions.customer_id)
            return
        if pending.order_number is None:
            pending.awaiting = "order_number"
            turn.action = "ask_order"
            key = "recommend_needs_identity" if turn.intent == RECOMMENDATION else "ask_order"
            turn.reply = say(key, language)
            if turn.intent in POLICY_FIRST and _POLICY_QUESTION.search(ctx.text):
                self._policy_first(ctx)
            return
        if actions.customer_id is None and not pending.contact_hashes:
            pending.awaiting = "contact"
            turn.action = "ask_contact"
            turn.reply = say("ask_contact", language, order=_shown(pending.order_number))
            return
        order = actions.find_order(pending.order_number, pending.contact_hashes)
        if order is None:
            self._not_found(ctx, pending)
            return
        state.pending = None
        state.identity_failures = 0
        state.not_understood = 0
        state.last_order = order.order_number
        turn.order_id = order.id
        turn.slots["order_number"] = order.order_number
        if turn.intent == ORDER_STATUS:
            self._order_status(ctx, order)
        elif turn.intent == RETURN_REFUND:
            self._refund(ctx, order)
        elif turn.intent == CANCEL_ORDER:
            self._cancel(ctx, order)
        else:
            self._recommend(ctx, order.customer_id)

    def _not_found(self, ctx: _Context, pending: Pending) -> None:
        state, turn = ctx.state, ctx.turn
        state.identity_failures += 1
        number = _shown(pending.order_number)
        if state.identity_failures >= self.options.max_identity_failures:
            state.pending = None
            turn.action, turn.reply = "identity_locked", say("identity_locked", turn.language)
            return
        # Try again: a new e-mail for the same number, or a new number (and then its e-mail).
        pending.contact_hashes = []
        pending.awaiting = "contact" if ctx.actions.customer_id is None else "order_number"
        pending.asked = 0
        turn.action = "not_found"
        turn.reply = say("not_found", turn.language, order=number)

    def _order_status(self, ctx: _Context, order: OrderFacts) -> None:
        language = ctx.turn.language
        facts = _order_values(order, language)
        key = "order_is_return" if order.is_return else "order_status"
        templated = say(key, language, **facts)
        label = f"order {facts['order']}" if language != "zh" else f"订单 {facts['order']}"
        phrased = self.phrasing.answer(ctx.text, [(label, templated)], templated)
        ctx.turn.action, ctx.turn.reply = "order_status", phrased.text
        self._note_llm(ctx.turn, phrased)

    def _refund(self, ctx: _Context, order: OrderFacts) -> None:
        language = ctx.turn.language
        number = _shown(order.order_number)
        existing = ctx.state.ticket_orders.get(str(order.id))
        if existing is not None:
            ctx.turn.action, ctx.turn.ticket_id = "ticket_exists", existing
            ctx.turn.reply = say("ticket_exists", language, ticket=existing, order=number)
            return
        ticket = self._ticket(ctx, say("subject_refund", language, order=number), order)
        ctx.turn.action = "refund_ticket"
        ctx.turn.reply = say("refund_opened", language, ticket=ticket, order=number)

    def _cancel(self, ctx: _Context, order: OrderFacts) -> None:
        language = ctx.turn.language
        number = _shown(order.order_number)
        outcome = ctx.actions.cancel(order)
        ctx.turn.action = f"cancel_{outcome}"
        if outcome == "cancelled":
            ctx.turn.reply = say("cancelled", language, order=number)
        elif outcome == "already_cancelled":
            ctx.turn.reply = say("already_cancelled", language, order=number)
        elif outcome == "shipped":
            status = status_label(order.group, language)
            ctx.turn.reply = say("cannot_cancel_shipped", language, order=number, status=status)
        else:
            existing = ctx.state.ticket_orders.get(str(order.id))
            subject = say("subject_cancel", language, order=number)
            ticket = existing if existing is not None else self._ticket(ctx, subject, order)
            ctx.turn.ticket_id = ticket
            ctx.turn.reply = say("cancel_needs_person", language, order=number, ticket=ticket)

    def _ticket(self, ctx: _Context, subject: str, order: OrderFacts) -> int:
        summary = self._summary(ctx)
        ticket = ctx.actions.open_ticket(subject=subject, summary=summary, order_id=order.id)
        ctx.state.ticket_orders[str(order.id)] = ticket
        ctx.turn.ticket_id = ticket
        return ticket

    def _recommend(self, ctx: _Context, customer_id: int) -> None:
        language = ctx.turn.language
        suggestions = ctx.actions.recommendations(customer_id, self.options.recommendations)
        ctx.turn.intent = RECOMMENDATION
        ctx.turn.action = "recommendations"
        if not suggestions:
            ctx.turn.reply = say("no_recommendations", language)
            return
        lines = "\n".join(
            say(
                "recommendation_line",
                language,
                product=s.product,
                reason=reason_text(s.reason, language),
            )
            for s in suggestions
        )
        ctx.turn.reply = say("recommendations", language, lines=lines)

    # --- asking again, knowledge, hand-off -----------------------------------------------------

    def _ask(self, pending: Pending, language: str) -> str:
        if pending.awaiting == "contact" and pending.order_number:
            return say("ask_contact", language, order=_shown(pending.order_number))
        if pending.intent == RECOMMENDATION:
            return say("recommend_needs_identity", language)
        return say("ask_order", language)

    def _reask(self, ctx: _Context) -> None:
        pending = ctx.state.pending
        assert pending is not None
        ctx.turn.intent = pending.intent
        pending.asked += 1
        if pending.asked > self.options.max_reasks:
            ctx.state.pending = None
            self._hand_off(ctx, say("gave_up", ctx.turn.language), "normal")
            return
        ctx.turn.action = "ask_again"
        ctx.turn.reply = say("ask_again", ctx.turn.language) + self._ask(pending, ctx.turn.language)

    def _best_article(self, ctx: _Context) -> Any | None:
        hits = self.knowledge.search(
            ctx.text, language=ctx.turn.language, k=self.options.knowledge_hits
        )
        if hits and self.knowledge.answerable(hits[0]):
            return hits[0]
        return None

    def _answer_from_knowledge(self, ctx: _Context) -> None:
        hit = self._best_article(ctx)
        if hit is None:
            ctx.state.not_understood += 1
            if ctx.state.not_understood > self.options.max_not_understood:
                self._hand_off(ctx, say("gave_up", ctx.turn.language), "normal")
                return
            ctx.turn.action, ctx.turn.reply = "clarify", say("clarify", ctx.turn.language)
            return
        ctx.state.not_understood = 0
        ctx.turn.action = "knowledge_answer"
        ctx.turn.reply = self._cited(ctx, hit)

    def _policy_first(self, ctx: _Context) -> None:
        """An order request phrased as a question ("how do refunds work?") is answered from
        the knowledge base first, then the order number is asked for."""
        hit = self._best_article(ctx)
        if hit is not None:
            ctx.turn.reply = self._cited(ctx, hit) + say("knowledge_then_order", ctx.turn.language)

    def _cited(self, ctx: _Context, hit: Any) -> str:
        article = hit.article
        fallback = _excerpt(article.body, self.options.answer_chars)
        phrased = self.phrasing.answer(ctx.text, [(article.title, article.body)], fallback)
        self._note_llm(ctx.turn, phrased)
        ctx.turn.citations.append(
            {
                "id": article.id,
                "key": article.key,
                "title": article.title,
                "score": round(float(hit.score), 4),
            }
        )
        title = article.title
        return say("knowledge_answer", ctx.turn.language, answer=phrased.text, title=title)

    @staticmethod
    def _note_llm(turn: Turn, phrased: Phrased) -> None:
        if phrased.used_llm:
            turn.used_llm = True
            turn.llm_grounded = phrased.grounded

    def _summary(self, ctx: _Context) -> str:
        """The summary of the whole conversation, this message included."""
        history = ctx.actions.history()
        transcript = [(role, text) for role, text, _ in history] + [("customer", ctx.text)]
        intents = [intent for role, _, intent in history if role == "customer" and intent]
        return self.phrasing.summary(transcript, [*intents, ctx.turn.intent])

    def _hand_off(self, ctx: _Context, prefix: str, priority: str) -> None:
        state, turn, actions = ctx.state, ctx.turn, ctx.actions
        turn.handed_off = True
        turn.action = "handoff"
        state.not_understood = 0
        if state.handed_off:
            turn.ticket_id = actions.conversation.id
            turn.reply = prefix + say("handoff_exists", turn.language, ticket=turn.ticket_id)
            return
        summary = self._summary(ctx)
        turn.ticket_id = actions.open_ticket(
            subject=say("subject_handoff", turn.language), summary=summary, priority=priority
        )
        state.handed_off = True
        turn.reply = prefix + say("handoff", turn.language, ticket=turn.ticket_id)


@dataclass
class _Context:
    state: DialogueState
    text: str
    slots: Slots
    actions: StoreActions
    turn: Turn


def _words(text: str) -> float:
    """About how many words ``text`` has (Chinese: 1.5 characters a word)."""
    return len(_LATIN_WORD.findall(text)) + len(_HAN.findall(text)) / 1.5


def _shown(number: str | None) -> str:
    return f"#{number}" if number else ""


def _order_values(order: OrderFacts, language: str) -> dict[str, object]:
    items = int(order.items) if float(order.items).is_integer() else order.items
    return {
        "order": _shown(order.order_number),
        "date": order.occurred_at.date().isoformat(),
        "items": items,
        "amount": f"{abs(order.amount):,.2f}",
        "currency": order.currency,
        "status": status_label(order.group, language),
    }


def _excerpt(body: str, limit: int) -> str:
    """The article's opening paragraphs up to ``limit`` characters (whole paragraphs, or the
    first one cut at a sentence end)."""
    text = body.strip()
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if sum(len(p) + 2 for p in kept) + len(paragraph) > limit:
            break
        kept.append(paragraph.strip())
    if kept:
        return "\n\n".join(kept)
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("。"))
    return cut[: end + 1] if end > 0 else cut
