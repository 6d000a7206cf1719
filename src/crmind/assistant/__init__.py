"""The customer-service assistant (DESIGN.md: assistant/).

- :mod:`~crmind.assistant.intents`: what a message asks for (intent classifier, out-of-scope).
- :mod:`~crmind.assistant.knowledge`: knowledge-base articles and their retrieval (BM25).
- :mod:`~crmind.assistant.actions`: order look-up after an identity check, refund and return
  requests that open tickets, cancellation, recommendations, hand-off to a person.
- :mod:`~crmind.assistant.dialogue`: one turn of a conversation: intent, slots across turns,
  the action or the cited answer.
- :mod:`~crmind.assistant.llm`: the optional OpenAI-compatible model that phrases grounded
  answers and summaries; everything works without it.
"""
