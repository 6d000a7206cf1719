"""The assistant's optional language model: phrasing, summaries and drafts, always grounded.

Any OpenAI-compatible ``/v1/chat/completions`` endpoint works (Ollama, vLLM, llama.cpp's server,
hosted APIs), configured by ``CRMIND_LLM_BASE_URL`` / ``_MODEL`` / ``_API_KEY``. The model never
decides what is true: the caller retrieves the facts (articles, the customer's own records) and
passes them as :class:`Source`; the model only words them, and its reply is checked by
:mod:`crmind.assistant.grounding`. A reply that states anything the sources do not — a number,
order number, date, amount, e-mail, URL or an unsupported sentence — is thrown away and the
caller's templated answer is used. With no model configured, or when the model fails, the same
templated answers are used, so a customer never sees an error because of the model.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from crmind.assistant.grounding import check_grounding
from crmind.config import Settings
from crmind.errors import ConfigurationError, CrmindError

logger = logging.getLogger(__name__)

# Prompts, short on purpose: small local models follow short instructions best.
ANSWER_PROMPT = (
    "You answer a shop's customers. Use only the facts in the sources. Copy numbers, dates "
    "and order numbers exactly as written. Reply in one or two short sentences, in the "
    "language of the question."
)
SUMMARY_PROMPT = (
    "Summarise this customer-service conversation for the agent who takes it over, in one or "
    "two sentences: what the customer wants and what was done. Use only what it says."
)
DRAFT_PROMPT = (
    "Write the agent's next reply to the customer. Use only the facts in the sources. Copy "
    "numbers, dates and order numbers exactly as written. Two or three short sentences."
)
MAX_SOURCE_CHARS = 3000
"""Source text sent to the model, in all; small local models have contexts of 2,048 tokens."""
MAX_TRANSCRIPT_CHARS = 3000
# Words a summary uses to talk about a conversation; they state no fact about the customer.
_SUMMARY_WORDS = (
    "customer assistant agent conversation asked asks ask wants want wanted would like "
    "requested request requests said says told replied explained provided gave needs need "
    "summary about regarding"
)
_CUSTOMER_ROLES = {"customer", "user"}
_ASSISTANT_ROLES = {"assistant", "bot"}
_GREETING_ONLY = re.compile(
    r"^\W*(hi|hello|hey|good (morning|afternoon|evening)|你好|您好)\W*$", re.I
)


class LLMError(CrmindError):
    """The language model endpoint cannot be reached or gave no usable reply; names the URL."""

    def __init__(self, url: str, problem: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(f"language model at {url}: {problem}")


@dataclass(frozen=True)
class ChatReply:
    """One completion: its text, the token counts the server reported, and the wall time."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float


class ChatClient:
    """A synchronous client of an OpenAI-compatible chat-completions endpoint.

    ``base_url`` is what OpenAI's own client takes, e.g. ``http://127.0.0.1:11434/v1``; a URL
    with no path (``http://127.0.0.1:8080``) gets ``/v1``. One connection pool per client.
    """

    def __init__(
        self, base_url: str, model: str, api_key: str | None = None, timeout: float = 30.0
    ) -> None:
        base = base_url.rstrip("/")
        if urlsplit(base).scheme not in ("http", "https"):
            raise ConfigurationError(f"LLM base URL {base_url!r} is not an http(s) URL")
        if not urlsplit(base).path:
            base += "/v1"
        self.base_url = base
        self.url = f"{base}/chat/completions"
        self.model = model
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=timeout, headers=headers)

    def chat(
        self,
        messages: Sequence[dict[str, str]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> ChatReply:
        """The model's reply to ``messages``; :class:`LLMError` on any failure."""
        body = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": False,
        }
        started = time.perf_counter()
        try:
            response = self._http.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise LLMError(self.url, f"no reply within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise LLMError(self.url, f"cannot connect ({type(exc).__name__}: {exc})") from exc
        seconds = time.perf_counter() - started
        if not response.is_success:
            raise LLMError(
                self.url,
                f"HTTP {response.status_code}: {response.text[:200]!r}",
                status=response.status_code,
            )
        try:
            payload = response.json()
            text = payload["choices"][0]["message"]["content"] or ""
            if not isinstance(text, str):
                raise TypeError(f"content is a {type(text).__name__}")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(
                self.url,
                f"HTTP {response.status_code} but not a chat completion "
                f"({type(exc).__name__}: {exc}): {response.text[:200]!r}",
                status=response.status_code,
            ) from exc
        usage = payload.get("usage") or {}
        return ChatReply(
            text.strip(),
            _int_or_none(usage.get("prompt_tokens")),
            _int_or_none(usage.get("completion_tokens")),
            seconds,
        )

    def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> str:
        """The text of the model's reply to ``messages``; :class:`LLMError` on any failure."""
        return self.chat(messages, max_tokens=max_tokens, temperature=temperature).text

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ChatClient({self.base_url!r}, model={self.model!r})"


def chat_client(settings: Settings) -> ChatClient | None:
    """The configured model's client (one per configuration and process), or None if none is."""
    if not settings.llm_base_url:
        return None
    if not settings.llm_model:
        raise ConfigurationError(
            "CRMIND_LLM_BASE_URL is set but CRMIND_LLM_MODEL is not: name the model to use"
        )
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return _cached_client(
        settings.llm_base_url, settings.llm_model, key, settings.llm_timeout_seconds
    )


@lru_cache(maxsize=8)
def _cached_client(base_url: str, model: str, key: str | None, timeout: float) -> ChatClient:
    return ChatClient(base_url, model, key, timeout)


@dataclass(frozen=True)
class Source:
    """A piece of retrieved truth the model may word: an article, an order record, ..."""

    label: str
    text: str


@dataclass(frozen=True)
class GroundedAnswer:
    """What to show the customer; ``text`` is always safe to show.

    ``used_llm``: a model was asked and replied. ``grounded``: ``text`` is that reply, checked
    against the sources; False means ``text`` is the caller's fallback. ``problems`` say why a
    reply was rejected (or that the model failed); ``reply`` is the rejected reply, for logs.
    """

    text: str
    grounded: bool
    used_llm: bool
    problems: tuple[str, ...] = ()
    reply: str | None = None


def phrase_answer(
    client: ChatClient | None,
    question: str,
    sources: Sequence[Source],
    fallback: str,
    *,
    max_tokens: int = 96,
) -> GroundedAnswer:
    """The model's wording of an answer from ``sources``, or ``fallback`` if it is not grounded."""
    if client is None or not sources:
        return GroundedAnswer(fallback, grounded=False, used_llm=False)
    messages = [
        {"role": "system", "content": ANSWER_PROMPT},
        {"role": "user", "content": f"Sources:\n{_render(sources)}\n\nQuestion: {question}"},
    ]
    answer = _grounded(
        client, messages, [s.text for s in sources], [question], fallback, max_tokens
    )
    if answer.grounded and _words_of(answer.text) <= _words_of(question):
        problems = ("the reply only repeats the question",)
        return GroundedAnswer(fallback, False, True, problems=problems, reply=answer.text)
    return answer


def summarise_conversation(
    client: ChatClient | None,
    transcript: Sequence[tuple[str, str]],
    *,
    intents: Sequence[str] = (),
    max_tokens: int = 96,
) -> str:
    """A summary for the agent taking a conversation over: the model's if grounded, else extractive.

    ``transcript`` is ``(role, text)`` pairs (roles ``customer`` / ``assistant`` / ``agent``);
    ``intents`` are those the assistant read in it, for the extractive summary.
    """
    extractive = extractive_summary(transcript, intents=intents)
    if client is None or not transcript:
        return extractive
    messages = [
        {"role": "system", "content": SUMMARY_PROMPT},
        {"role": "user", "content": _render_transcript(transcript)},
    ]
    answer = _grounded(
        client, messages, [text for _, text in transcript], [_SUMMARY_WORDS], extractive, max_tokens
    )
    return answer.text


def draft_reply(
    client: ChatClient | None,
    transcript: Sequence[tuple[str, str]],
    sources: Sequence[Source],
    *,
    max_tokens: int = 128,
) -> str:
    """A draft of the agent's next reply, grounded in ``sources`` and the customer's words."""
    fallback = templated_draft(sources)
    if client is None or not transcript:
        return fallback
    customer_said = [text for role, text in transcript if role.lower() in _CUSTOMER_ROLES]
    messages = [
        {"role": "system", "content": DRAFT_PROMPT},
        {
            "role": "user",
            "content": f"Sources:\n{_render(sources) or '(none)'}\n\n"
            f"Conversation:\n{_render_transcript(transcript)}",
        },
    ]
    texts = [*(s.text for s in sources), *customer_said]
    allowed = [text for _, text in transcript]
    return _grounded(client, messages, texts, allowed, fallback, max_tokens).text


def extractive_summary(
    transcript: Sequence[tuple[str, str]], *, intents: Sequence[str] = ()
) -> str:
    """The summary without a model: request, order numbers, intents, the assistant's last reply."""
    customer = [text.strip() for role, text in transcript if role.lower() in _CUSTOMER_ROLES]
    assistant = [text.strip() for role, text in transcript if role.lower() in _ASSISTANT_ROLES]
    lines = []
    request = next(
        (text for text in customer if _substantive(text)), customer[0] if customer else ""
    )
    if request:
        lines.append(f"Request: {_clip(request, 200)}")
    numbers = order_numbers(" \n".join(text for _, text in transcript))
    if numbers:
        lines.append(f"Order numbers: {', '.join(numbers)}")
    seen = list(dict.fromkeys(intent for intent in intents if intent))
    if seen:
        lines.append(f"Intents: {', '.join(seen)}")
    if assistant:
        lines.append(f"Assistant's last reply: {_clip(assistant[-1], 200)}")
    lines.append(f"Messages: {len(customer)} from the customer, {len(transcript)} in all")
    return "\n".join(lines)


def templated_draft(sources: Sequence[Source]) -> str:
    """The draft without a model: a greeting around the best source, for the agent to edit."""
    if not sources:
        return "Hello,\n\nThank you for your message. We are looking into it.\n\nKind regards"
    return f"Hello,\n\n{_clip(sources[0].text.strip(), 600)}\n\nKind regards"


_EMAIL_OR_URL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+", re.I)
_PHONE = re.compile(r"\+\d[\d\s().-]{6,}\d|\b\d{3}[\s.-]\d{3,4}[\s.-]\d{4}\b")
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,:/_\-#]*")
_DATE_OR_YEAR = re.compile(r"^(?:(?:19|20)\d\d|\d{4}-\d\d-\d\d)$")


def order_numbers(text: str) -> list[str]:
    """Tokens that look like order numbers: 4+ digits, not a year, date, phone, amount or e-mail.

    In the order they first appear, as written (leading zeros and letters kept: 000123, C536365).
    """
    text = _PHONE.sub(" ", _EMAIL_OR_URL.sub(" ", text))
    found: dict[str, str] = {}
    for match in _TOKEN.finditer(text):
        token = match.group().rstrip(".,:/_-#")
        if re.search(r"[.,:/]", token) or _DATE_OR_YEAR.match(token):
            continue
        if sum(ch.isdigit() for ch in token) >= 4:
            found.setdefault(token.upper(), token)
    return list(found.values())


def _grounded(
    client: ChatClient,
    messages: list[dict[str, str]],
    source_texts: Sequence[str],
    allowed_words: Sequence[str],
    fallback: str,
    max_tokens: int,
) -> GroundedAnswer:
    try:
        reply = _tidy(client.complete(messages, max_tokens=max_tokens))
    except LLMError as exc:
        logger.warning("LLM not used, fallback answer given: %s", exc)
        return GroundedAnswer(fallback, grounded=False, used_llm=False, problems=(str(exc),))
    check = check_grounding(reply, source_texts, allowed_words=allowed_words)
    if not check.supported:
        logger.info("LLM reply rejected (%s); fallback answer given", "; ".join(check.problems))
        return GroundedAnswer(fallback, False, True, problems=check.problems, reply=reply)
    return GroundedAnswer(reply, grounded=True, used_llm=True)


_PREAMBLE = re.compile(
    r"^\s*(the\s+)?(answer|reply|summary|response)(\s+to\s+(the|your)\s+question)?(\s+is)?\s*:\s*",
    re.IGNORECASE,
)


def _tidy(reply: str) -> str:
    """The reply without a leading "The answer is:" or wrapping quotes, which small models add."""
    reply = _PREAMBLE.sub("", reply)
    return reply.strip().strip('"').strip()


def _render(sources: Sequence[Source]) -> str:
    lines, budget = [], MAX_SOURCE_CHARS
    for number, source in enumerate(sources, start=1):
        if budget <= 0:
            break
        text = _clip(" ".join(source.text.split()), budget)
        lines.append(f"[{number}] {source.label}: {text}")
        budget -= len(text)
    return "\n".join(lines)


def _render_transcript(transcript: Sequence[tuple[str, str]]) -> str:
    lines = [f"{role.capitalize()}: {' '.join(text.split())}" for role, text in transcript]
    rendered = "\n".join(lines)
    return rendered[-MAX_TRANSCRIPT_CHARS:]  # the end matters most at a hand-off


def _words_of(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _substantive(text: str) -> bool:
    if _GREETING_ONLY.match(text):
        return False
    return len(text.split()) >= 3 or len(text) >= 6


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) else None
