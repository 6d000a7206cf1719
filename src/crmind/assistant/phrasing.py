"""How the dialogue words grounded answers and summaries: through the optional language model
(:mod:`crmind.assistant.llm`), whose every reply is checked against its sources, or — with no
model, or a reply that is not grounded — the templated text alone."""

from __future__ import annotations

from collections.abc import Sequence

from crmind.assistant.dialogue import Phrased
from crmind.assistant.llm import ChatClient, Source, phrase_answer, summarise_conversation


class LlmPhrasing:
    """The dialogue's :class:`~crmind.assistant.dialogue.Phrasing` over ``client`` (None: no
    model, every answer is its template and every summary extractive)."""

    def __init__(self, client: ChatClient | None = None) -> None:
        self.client = client

    def answer(self, question: str, sources: Sequence[tuple[str, str]], fallback: str) -> Phrased:
        """The model's grounded wording of ``sources``, else ``fallback``."""
        found = phrase_answer(
            self.client, question, [Source(label, text) for label, text in sources], fallback
        )
        return Phrased(found.text, used_llm=found.used_llm, grounded=found.grounded)

    def summary(self, transcript: Sequence[tuple[str, str]], intents: Sequence[str] = ()) -> str:
        """A summary of the conversation for the agent who takes it over."""
        return summarise_conversation(self.client, transcript, intents=intents)
