"""Campaign copy drafted by a language model: a real llama.cpp server with SmolLM2-135M for the
end-to-end case; the framing (greeting, products, coupon, unsubscribe link) never depends on it."""

from __future__ import annotations

import pytest

from crmind.campaigns.templates import MessageContext, ProductPick, render
from crmind.config import Settings
from crmind.errors import ConfigurationError
from crmind.services.campaign_drafts import DraftError, draft_copy, framed, split_reply
from tests.assistant.llm_server import LlamaServer

CONTEXT = MessageContext(
    customer_id=1,
    first_name="Ada",
    name="Ada Lovelace",
    language="en",
    coupon="TEA42",
    unsubscribe_url="http://shop.example/unsubscribe/x",
    products=[ProductPick(1, "Tea set", "goes with your cups")],
)


@pytest.mark.llm
def test_a_model_drafts_copy_that_crmind_frames(llm_server: LlamaServer) -> None:
    settings = Settings(
        llm_base_url=llm_server.base_url, llm_model="smollm2", llm_timeout_seconds=120
    )
    draft = draft_copy(settings, "20 % off tea sets this weekend only")
    assert draft.subject
    message = render(draft.content, CONTEXT)
    assert message.subject == draft.subject
    assert message.text.startswith("Hello Ada,")
    assert "* Tea set (goes with your cups)" in message.text
    assert "Your code: TEA42" in message.text
    assert message.text.rstrip().endswith("Unsubscribe: http://shop.example/unsubscribe/x")


def test_the_models_words_are_never_read_as_template_code() -> None:
    subject, body = split_reply(
        "Subject: {{ 7 * 7 }} deals\n\nBuy {% for x in y %}now{%- endraw  %}{{ 1 }}"
    )
    assert subject == "{{ 7 * 7 }} deals"
    message = render(framed(subject, body, "en"), CONTEXT)
    assert message.subject == "{{ 7 * 7 }} deals"
    assert "Buy {% for x in y %}now{{ 1 }}" in message.text
    assert "Your code: TEA42" in message.text


def test_an_empty_reply_or_no_model_is_a_clear_error() -> None:
    with pytest.raises(DraftError, match="empty reply"):
        split_reply("  \n ")
    with pytest.raises(ConfigurationError, match="CRMIND_LLM_BASE_URL"):
        draft_copy(Settings(llm_base_url=None), "anything")
