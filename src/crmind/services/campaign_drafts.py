"""Use case: the configured language model drafts a campaign's copy from a brief.

The model writes words only; crmind puts them into a template that adds the greeting, the
customer's recommended products with their reasons, the coupon and the unsubscribe link, so the
personalisation and the legal part never depend on the model. The model's text is wrapped in
``{% raw %}`` so nothing it writes is read as template syntax. A person reviews the draft (it
is printed as the ``content`` part of a specification) before a campaign uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from crmind.assistant.llm import chat_client
from crmind.campaigns.spec import Content
from crmind.campaigns.templates import check_templates
from crmind.config import Settings
from crmind.errors import ConfigurationError, CrmindError

DRAFT_PROMPT = {
    "en": (
        "You write short marketing e-mails for a shop. Reply with a subject line, then an empty "
        "line, then the message in at most 60 words. No greeting, no signature, no links."
    ),
    "zh": (
        "你为一家商店撰写简短的营销邮件。先写一行标题，空一行，然后写不超过120字的正文。"
        "不要称呼，不要署名，不要链接。"
    ),
}
_FRAME = {
    "en": (
        "Hello {{ first_name }},\n\n{% raw %}BODY{% endraw %}\n\n"
        "{% for p in products %}* {{ p.name }}{% if p.reason %} ({{ p.reason }}){% endif %}\n"
        "{% endfor %}{% if coupon %}Your code: {{ coupon }}\n{% endif %}\n"
        "Unsubscribe: {{ unsubscribe_url }}\n"
    ),
    "zh": (
        "{{ first_name }}，您好：\n\n{% raw %}BODY{% endraw %}\n\n"
        "{% for p in products %}* {{ p.name }}{% if p.reason %}（{{ p.reason }}）{% endif %}\n"
        "{% endfor %}{% if coupon %}优惠码：{{ coupon }}\n{% endif %}\n"
        "退订：{{ unsubscribe_url }}\n"
    ),
}
_END_RAW = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
"""What would end a raw block early, in any spacing: removed from the model's words."""
_LABEL = re.compile(r"^\s*(subject|标题|主题)\s*[:：]\s*", re.IGNORECASE)


class DraftError(CrmindError):
    """The model's reply could not be made into a draft."""


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str
    content: Content


def draft_copy(settings: Settings, brief: str, language: Literal["en", "zh"] = "en") -> Draft:
    """Ask the configured model for a subject and a body for ``brief``; ConfigurationError when
    no model is configured, LLMError when it cannot be reached, DraftError for an empty reply."""
    client = chat_client(settings)
    if client is None:
        raise ConfigurationError(
            "drafting copy needs a language model: set CRMIND_LLM_BASE_URL and CRMIND_LLM_MODEL"
        )
    reply = client.complete(
        [
            {"role": "system", "content": DRAFT_PROMPT[language]},
            {"role": "user", "content": brief.strip()},
        ],
        max_tokens=200,
        temperature=0.0,
    )
    subject, body = split_reply(reply)
    return Draft(subject=subject, body=body, content=framed(subject, body, language))


def framed(subject: str, body: str, language: Literal["en", "zh"]) -> Content:
    """The content of a campaign around a drafted subject and body, which are kept literal."""

    def literal(text: str) -> str:
        return "{% raw %}" + _END_RAW.sub("", text) + "{% endraw %}"

    content = Content(
        subject={language: literal(subject)},
        text={language: _FRAME[language].replace("{% raw %}BODY{% endraw %}", literal(body))},
        default_language=language,
    )
    check_templates(content, [])
    return content


def split_reply(reply: str) -> tuple[str, str]:
    """(subject, body) of a model's reply: the first non-empty line, then the rest."""
    lines = [line.strip() for line in reply.strip().splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise DraftError("the language model gave an empty reply")
    subject = _LABEL.sub("", lines[0]).strip(" *#\"'")[:150].strip()
    body = "\n".join(lines[1:]).strip() or subject
    return subject, body
