"""The assistant's optional LLM: a real llama.cpp server with SmolLM2-135M (marked ``llm``), and
the paths that need no model (fallbacks, extractive summaries, configuration, named errors).

The 135M model is weak; the point is that its replies are checked: a reply that copies the
sources is used, one that invents a fact is replaced by the fallback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from crmind.assistant.grounding import check_grounding, fact_tokens
from crmind.assistant.llm import (
    ChatClient,
    GroundedAnswer,
    LLMError,
    Source,
    chat_client,
    draft_reply,
    extractive_summary,
    order_numbers,
    phrase_answer,
    summarise_conversation,
    templated_draft,
)
from crmind.config import Settings
from crmind.errors import ConfigurationError
from tests.assistant.llm_server import LlamaServer, free_port

ORDER = Source(
    "order 10042", "Order 10042 was shipped on 2024-03-05 and will arrive by 2024-03-08."
)
RETURNS = Source("returns policy", "Items can be returned for a refund.")
FALLBACK = "Order 10042: shipped 2024-03-05, expected 2024-03-08."
TRANSCRIPT = [
    ("customer", "Hello"),
    ("assistant", "Hello! How can I help you?"),
    ("customer", "My parcel for order 10042 has not arrived and I want a refund"),
    ("assistant", "Order 10042 was shipped on 2024-03-05 and will arrive by 2024-03-08."),
    ("customer", "I want to talk to a person"),
    ("assistant", "I have passed this to a colleague (ticket #7)."),
]


@pytest.fixture(scope="session")
def client(llm_server: LlamaServer) -> Iterator[ChatClient]:
    with ChatClient(llm_server.base_url, "smollm2", timeout=120) as chat:
        yield chat


# --- against the real local server ------------------------------------------------------------


@pytest.mark.llm
def test_a_completion_round_trip_returns_the_models_text_and_token_counts(
    client: ChatClient,
) -> None:
    reply = client.chat([{"role": "user", "content": "Say hello."}], max_tokens=8)
    assert reply.text
    assert reply.completion_tokens is not None
    assert 0 < reply.completion_tokens <= 8
    assert reply.prompt_tokens is not None
    assert reply.prompt_tokens > 0


# Questions whose source holds a sentence the model can copy, and questions whose source lacks
# what is asked (a small model then tends to invent it). Several of each, so that the tests do
# not hang on one greedy completion; at temperature 0 the replies repeat run after run.
COPYABLE = [
    ("How long do I have to return an item?", Source("returns", "You can return any item "
     "within 30 days of delivery for a refund.")),
    ("Can I pay with PayPal?", Source("payment", "We accept Visa, Mastercard and PayPal.")),
    ("When will order 10042 arrive?", ORDER),
]  # fmt: skip
UNANSWERABLE = [
    ("How many days do I have to return an item, and how much is the fee?", RETURNS),
    ("When will order 10042 arrive, and at what time?", Source("order", "Order 10042 shipped.")),
    ("How much does shipping to France cost?", Source("shipping", "We ship to France.")),
]


def _answers(client: ChatClient, cases: list[tuple[str, Source]]) -> list[GroundedAnswer]:
    return [phrase_answer(client, q, [source], FALLBACK, max_tokens=32) for q, source in cases]


@pytest.mark.llm
def test_a_reply_that_copies_the_source_facts_is_used(client: ChatClient) -> None:
    answers = _answers(client, COPYABLE)
    assert all(answer.used_llm for answer in answers)
    accepted = [
        (answer, source)
        for answer, (_, source) in zip(answers, COPYABLE, strict=True)
        if answer.grounded
    ]
    assert accepted, [answer.problems for answer in answers]
    for answer, source in accepted:
        assert answer.text != FALLBACK  # the model's own words are shown
        assert fact_tokens(answer.text) <= fact_tokens(source.text)
    # The guard lets a copied fact through (not only fact-free replies).
    assert any(fact_tokens(answer.text) for answer, _ in accepted)


@pytest.mark.llm
def test_a_reply_that_invents_a_number_is_replaced_by_the_fallback(client: ChatClient) -> None:
    answers = _answers(client, UNANSWERABLE)
    assert all(answer.used_llm for answer in answers)
    rejected = [answer for answer in answers if not answer.grounded]
    invented = [a for a in rejected if any("is not in the sources" in p for p in a.problems)]
    assert invented, [answer.text for answer in answers]
    for answer in rejected:
        assert answer.text == FALLBACK
        assert answer.reply
        assert answer.problems


@pytest.mark.llm
def test_a_model_summary_is_shown_only_if_grounded_else_the_extractive_one(
    client: ChatClient,
) -> None:
    summary = summarise_conversation(client, TRANSCRIPT, intents=["order_status"], max_tokens=32)
    extractive = extractive_summary(TRANSCRIPT, intents=["order_status"])
    assert summary
    if summary != extractive:
        assert check_grounding(summary, [text for _, text in TRANSCRIPT]).supported


@pytest.mark.llm
def test_a_draft_reply_is_grounded_or_the_templated_draft(client: ChatClient) -> None:
    draft = draft_reply(client, TRANSCRIPT, [ORDER], max_tokens=32)
    assert draft
    if draft != templated_draft([ORDER]):
        sources = [ORDER.text, *(text for role, text in TRANSCRIPT if role == "customer")]
        assert check_grounding(draft, sources).supported


@pytest.mark.llm
def test_a_wrong_endpoint_path_is_an_error_naming_the_url_and_status(
    llm_server: LlamaServer,
) -> None:
    base = llm_server.base_url.removesuffix("/v1") + "/no-such-api"
    with ChatClient(base, "smollm2") as wrong, pytest.raises(LLMError) as raised:
        wrong.complete([{"role": "user", "content": "hi"}], max_tokens=4)
    assert raised.value.status == 404
    assert f"{base}/chat/completions" in str(raised.value)
    assert "HTTP 404" in str(raised.value)


# --- no model needed --------------------------------------------------------------------------


def test_without_a_model_the_fallback_is_the_answer() -> None:
    answer = phrase_answer(None, "When will order 10042 arrive?", [ORDER], FALLBACK)
    assert (answer.text, answer.grounded, answer.used_llm) == (FALLBACK, False, False)


def test_a_server_that_is_down_gives_the_fallback_and_names_the_url() -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"
    with ChatClient(base, "any", timeout=5) as down:
        with pytest.raises(LLMError, match="cannot connect") as raised:
            down.complete([{"role": "user", "content": "hi"}])
        assert f"{base}/chat/completions" in str(raised.value)
        answer = phrase_answer(down, "When will order 10042 arrive?", [ORDER], FALLBACK)
        assert answer.text == FALLBACK
        assert not answer.used_llm
        assert base in answer.problems[0]
        assert summarise_conversation(down, TRANSCRIPT) == extractive_summary(TRANSCRIPT)
        assert draft_reply(down, TRANSCRIPT, [ORDER]) == templated_draft([ORDER])


class _Replies(BaseHTTPRequestHandler):
    """A real HTTP endpoint that answers every POST with ``self.server.reply`` (or sleeps)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen_auth = self.headers.get("Authorization")  # type: ignore[attr-defined]
        status, body, delay = self.server.reply  # type: ignore[attr-defined]
        time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Replies)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _base(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.mark.parametrize(
    ("status", "body", "named"),
    [
        (500, b'{"error": "model not loaded"}', 'HTTP 500: \'{"error": "model not loaded"}\''),
        (200, b'{"choices": []}', "not a chat completion"),
        (200, b"<html>proxy login</html>", "not a chat completion"),
    ],
)
def test_bad_replies_are_errors_naming_the_url_and_what_came_back(
    endpoint: ThreadingHTTPServer, status: int, body: bytes, named: str
) -> None:
    endpoint.reply = (status, body, 0.0)  # type: ignore[attr-defined]
    with ChatClient(_base(endpoint), "any") as chat, pytest.raises(LLMError) as raised:
        chat.complete([{"role": "user", "content": "hi"}])
    assert f"{_base(endpoint)}/chat/completions" in str(raised.value)
    assert named in str(raised.value)
    assert raised.value.status == status


def test_a_slow_server_is_a_timeout_error(endpoint: ThreadingHTTPServer) -> None:
    endpoint.reply = (200, b"{}", 2.0)  # type: ignore[attr-defined]
    with (
        ChatClient(_base(endpoint), "any", timeout=0.3) as chat,
        pytest.raises(LLMError, match=r"no reply within 0\.3 s"),
    ):
        chat.complete([{"role": "user", "content": "hi"}])


def test_the_api_key_is_sent_as_a_bearer_token_and_the_reply_read(
    endpoint: ThreadingHTTPServer,
) -> None:
    body = b'{"choices": [{"message": {"role": "assistant", "content": " Hi. "}}], "usage": {}}'
    endpoint.reply = (200, body, 0.0)  # type: ignore[attr-defined]
    settings = Settings(
        llm_base_url=_base(endpoint), llm_model="m", llm_api_key=SecretStr("sk-test")
    )
    chat = chat_client(settings)
    assert chat is not None
    reply = chat.chat([{"role": "user", "content": "hi"}])
    assert (reply.text, reply.completion_tokens) == ("Hi.", None)
    assert endpoint.seen_auth == "Bearer sk-test"  # type: ignore[attr-defined]


def test_no_client_unless_configured_and_a_clear_error_when_half_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert chat_client(Settings()) is None
    with pytest.raises(ConfigurationError, match="CRMIND_LLM_MODEL"):
        chat_client(Settings(llm_base_url="http://127.0.0.1:11434/v1"))
    with pytest.raises(ConfigurationError, match="not an http"):
        ChatClient("127.0.0.1:11434", "m")
    monkeypatch.setenv("CRMIND_LLM_BASE_URL", "http://127.0.0.1:8080")
    monkeypatch.setenv("CRMIND_LLM_MODEL", "smollm2")
    chat = chat_client(Settings())
    assert chat is not None
    assert chat.url == "http://127.0.0.1:8080/v1/chat/completions"  # /v1 added to a bare host


def test_the_extractive_summary_has_the_request_order_numbers_intents_and_last_action() -> None:
    summary = extractive_summary(TRANSCRIPT, intents=["greeting", "order_status", "human_handoff"])
    lines = summary.splitlines()
    assert lines[0] == "Request: My parcel for order 10042 has not arrived and I want a refund"
    assert "Order numbers: 10042" in lines
    assert "Intents: greeting, order_status, human_handoff" in lines
    assert "Assistant's last reply: I have passed this to a colleague (ticket #7)." in lines
    assert summarise_conversation(None, TRANSCRIPT) == extractive_summary(TRANSCRIPT)


def test_the_extractive_summary_reads_chinese_conversations() -> None:
    transcript = [("customer", "你好"), ("customer", "订单号C536365还没到，我要退款")]
    summary = extractive_summary(transcript)
    assert "Request: 订单号C536365还没到，我要退款" in summary
    assert "Order numbers: C536365" in summary


def test_order_numbers_skip_phones_emails_dates_years_and_amounts() -> None:
    text = (
        "Order #000123 and C536365 (not 2024, 2024-03-05, £1,250.00, 12345.67), "
        "call +44 20 7946 0958, mail me at jo1234@example.com; ORD-2024-0042 too."
    )
    assert order_numbers(text) == ["000123", "C536365", "ORD-2024-0042"]


def test_drafts_without_a_model_quote_the_best_source() -> None:
    assert "Order 10042 was shipped" in draft_reply(None, TRANSCRIPT, [ORDER])
    assert "looking into it" in draft_reply(None, TRANSCRIPT, [])
