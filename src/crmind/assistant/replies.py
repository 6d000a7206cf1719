"""Every sentence the assistant says, in English and simplified Chinese, in one place.

Replies are templates filled with facts from the store (an order's number, date, amount, a
ticket's id) so that, without a language model, every answer is still complete and correct; the
optional model only rephrases knowledge-base answers (:mod:`crmind.assistant.dialogue`). A
template never states a fact of its own (no promised delivery times or refund amounts): what a
customer is told about policy comes from the cited knowledge-base article.

:func:`say` picks the template of a key in a language (English when the language has no
templates: the assistant answers ``other`` languages in English).
"""

from __future__ import annotations

import re
from typing import Final

LANGUAGES: Final = ("en", "zh")
DEFAULT_LANGUAGE: Final = "en"

_TEMPLATES: Final[dict[str, dict[str, str]]] = {
    "greeting": {
        "en": (
            "Hello! I can check an order, start a return or refund, cancel an order that has "
            "not shipped yet, suggest products, or answer questions about delivery, returns, "
            "payment and privacy. How can I help?"
        ),
        "zh": (
            "您好！我可以帮您查询订单、申请退货或退款、取消尚未发货的订单、推荐商品，"
            "或解答配送、退货、付款和隐私方面的问题。请问有什么可以帮您？"
        ),
    },
    "goodbye": {
        "en": "Thank you for contacting us. Have a nice day!",
        "zh": "感谢您的咨询，祝您生活愉快！",
    },
    "ask_order": {
        "en": "Which order is it about? Please send me the order number (for example #536365).",
        "zh": "请问是哪一个订单？请发送订单号（例如 #536365）。",
    },
    "ask_contact": {
        "en": (
            "To protect your privacy, please tell me the e-mail address or phone number "
            "used for order {order}."
        ),
        "zh": "为保护您的隐私，请提供订单 {order} 使用的电子邮箱或手机号码。",
    },
    "ask_again": {
        "en": "Sorry, I did not catch that. ",
        "zh": "抱歉，我没有看懂。",
    },
    "not_found": {
        "en": (
            "I could not find order {order} with those details. Please check the order number "
            "and the e-mail address or phone number you used for it."
        ),
        "zh": (
            "没有找到与您提供的信息相符的订单 {order}。"
            "请核对订单号以及下单时使用的电子邮箱或手机号码。"
        ),
    },
    "identity_locked": {
        "en": (
            "For your security I cannot look up orders in this conversation any more. "
            'If you need help with an order, write "agent" and a colleague will take over.'
        ),
        "zh": (
            "为了您的账户安全，本次对话中已无法继续查询订单。"
            "如需帮助，请回复“人工”，由客服同事为您处理。"
        ),
    },
    "order_status": {
        "en": "Order {order} of {date}: {items} item(s), {amount} {currency}. Status: {status}.",
        "zh": (
            "订单 {order}（{date}）：共 {items} 件商品，金额 {amount} {currency}。状态：{status}。"
        ),
    },
    "order_is_return": {
        "en": "{order} is a return or cancellation of {date} ({amount} {currency}).",
        "zh": "{order} 是 {date} 的退货或取消记录（{amount} {currency}）。",
    },
    "refund_opened": {
        "en": (
            "I have opened ticket #{ticket} for a return or refund of order {order}. "
            "A colleague will get back to you here."
        ),
        "zh": "我已为订单 {order} 创建退货/退款工单 #{ticket}，客服同事会在这里回复您。",
    },
    "ticket_exists": {
        "en": (
            "Ticket #{ticket} for order {order} is already open; a colleague will get back to you."
        ),
        "zh": "订单 {order} 的工单 #{ticket} 已在处理中，客服同事会尽快回复您。",
    },
    "cancelled": {
        "en": "Order {order} has been cancelled.",
        "zh": "订单 {order} 已取消。",
    },
    "already_cancelled": {
        "en": "Order {order} is already cancelled.",
        "zh": "订单 {order} 已经取消。",
    },
    "cannot_cancel_shipped": {
        "en": (
            "Order {order} has already shipped (status: {status}), so it can no longer be "
            "cancelled. Once it has arrived, I can start a return for you."
        ),
        "zh": (
            "订单 {order} 已经发货（状态：{status}），无法再取消。收到商品后，我可以为您申请退货。"
        ),
    },
    "cancel_needs_person": {
        "en": (
            "I cannot confirm that order {order} has not shipped yet, so I have passed your "
            "cancellation request to a colleague (ticket #{ticket})."
        ),
        "zh": (
            "我无法确认订单 {order} 是否已发货，"
            "已将您的取消申请转交客服同事处理（工单 #{ticket}）。"
        ),
    },
    "recommendations": {
        "en": "Here are some products you may like:\n{lines}",
        "zh": "为您推荐以下商品：\n{lines}",
    },
    "recommendation_line": {
        "en": "- {product} ({reason})",
        "zh": "- {product}（{reason}）",
    },
    "no_recommendations": {
        "en": "I have no personal suggestions for you yet, sorry.",
        "zh": "抱歉，暂时还没有为您准备的个性化推荐。",
    },
    "recommend_needs_identity": {
        "en": (
            "I can suggest products once I know who you are. Please send me the number of "
            "one of your orders (for example #536365)."
        ),
        "zh": "确认您的身份后我才能为您推荐商品。请发送您的任意一个订单号（例如 #536365）。",
    },
    "handoff": {
        "en": (
            "I have passed our conversation to a colleague (ticket #{ticket}); "
            "they will reply here."
        ),
        "zh": "我已将对话转交客服同事（工单 #{ticket}），同事会在这里回复您。",
    },
    "handoff_exists": {
        "en": "A colleague already has our conversation (ticket #{ticket}) and will reply here.",
        "zh": "客服同事已在处理本次对话（工单 #{ticket}），会在这里回复您。",
    },
    "complaint": {
        "en": "I am sorry to hear that. ",
        "zh": "非常抱歉给您带来不好的体验。",
    },
    "gave_up": {
        "en": "I am sorry I could not help. ",
        "zh": "抱歉没能帮到您。",
    },
    "clarify": {
        "en": (
            "Sorry, I did not understand. I can help with orders, returns and refunds, "
            "cancellations, delivery, payment and product questions. Could you rephrase, "
            'or write "agent" to talk to a person?'
        ),
        "zh": (
            "抱歉，我没有理解您的意思。"
            "我可以帮您处理订单、退货退款、取消订单，以及配送、付款和商品问题。"
            "能否换一种说法？如需人工客服，请回复“人工”。"
        ),
    },
    "knowledge_answer": {
        "en": "{answer}\n\nSource: {title}",
        "zh": "{answer}\n\n来源：{title}",
    },
    "knowledge_then_order": {
        "en": "\n\nIf you want me to do this for an order, send me its number.",
        "zh": "\n\n如需我为某个订单办理，请发送订单号。",
    },
    "subject_refund": {"en": "Return / refund of order {order}", "zh": "订单 {order} 退货/退款"},
    "subject_cancel": {"en": "Cancellation of order {order}", "zh": "订单 {order} 取消申请"},
    "subject_handoff": {"en": "Customer asks for a person", "zh": "客户要求人工服务"},
}

_STATUS: Final[dict[str, dict[str, str]]] = {
    "pending": {"en": "received, not shipped yet", "zh": "已接单，尚未发货"},
    "shipped": {"en": "shipped", "zh": "已发货"},
    "delivered": {"en": "delivered", "zh": "已送达"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "returned": {"en": "returned", "zh": "已退货"},
    "unknown": {"en": "no shipping update recorded", "zh": "暂无物流更新"},
}

_REASONS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"^bought together with items you bought$", "常与您买过的商品一起购买"),
        (r"^bought together with (?P<item>.+)$", "常与您买过的 {item} 一起购买"),
        (r"^customers who bought (?P<item>.+) bought it too$", "买过 {item} 的顾客也买了它"),
        (r"^customers like you bought it", "与您相似的顾客买过它"),
        (r"^similar to (?P<item>.+) you bought$", "与您买过的 {item} 相似"),
        (r"^popular in your segment (?P<item>.+)$", "在您所属的客群 {item} 中很受欢迎"),
        (r"^popular: bought by (?P<item>[\d,]+) customers", "热销：{item} 位顾客购买过"),
        (r"^popular with customers$", "深受顾客欢迎"),
        (r"^you bought it before", "您以前买过"),
    )
)
"""The recommenders' reasons (:mod:`crmind.recommend.models`) and their Chinese wording."""
POPULAR = "popular with customers"


def language_of(language: str | None) -> str:
    """The language the assistant replies in: ``language`` if it has templates, else English."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def say(key: str, language: str | None, **values: object) -> str:
    """The template ``key`` in ``language`` (English if it has none), filled with ``values``."""
    templates = _TEMPLATES[key]
    return templates[language_of(language)].format(**values)


def status_label(group: str, language: str | None) -> str:
    """An order-status group (:func:`crmind.assistant.actions.status_group`) in words."""
    return _STATUS[group][language_of(language)]


def reason_text(reason: str | None, language: str | None) -> str:
    """A stored recommendation reason (always English) in ``language``; the product names it
    quotes stay as they are, and a reason of unknown form is left in English."""
    text = reason or POPULAR
    if language_of(language) != "zh":
        return text
    for pattern, chinese in _REASONS:
        found = pattern.match(text)
        if found:
            return chinese.format(**found.groupdict())
    return text
