"""Lexicon features: what a sentiment dictionary says about a text, as three numbers.

VADER's lexicon (Hutto & Gilbert 2014, MIT; bundled) gives 7,520 English words, emoticons and
slang a valence from -4 to 4, rated by people; ``EMOJI_VALENCES`` adds the common emoji. A
supervised model trained on a few thousand sentences has never seen most sentiment words; the
lexicon has, so its features carry the model across domains. Per text: the valence sum squashed
into (-1, 1) as VADER does (``s / sqrt(s² + 15)``), and the positive and negative sums over the
square root of the text's length. A negated word (``not_good``) counts -0.74 times its
valence, VADER's own factor.
"""

from __future__ import annotations

import lzma
from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from crmind.data import VADER_LEXICON
from crmind.text.tokens import NEGATED

NEGATION_FACTOR = -0.74
N_FEATURES = 3

EMOJI_VALENCES: dict[str, float] = {
    "😀": 2.5, "😃": 2.5, "😄": 2.5, "😁": 2.5, "😆": 2.0, "😅": 1.0, "😂": 1.5, "🤣": 1.5,
    "😊": 2.5, "😇": 2.0, "🙂": 1.5, "😉": 1.5, "😍": 3.0, "🥰": 3.0, "😘": 2.5, "😋": 2.0,
    "😎": 2.0, "🤩": 3.0, "🥳": 3.0, "😏": 0.5, "😌": 1.5, "👍": 2.0, "👏": 2.0, "🙌": 2.0,
    "💯": 2.5, "🔥": 1.5, "✨": 1.5, "🎉": 2.5, "❤": 3.0, "💕": 3.0, "💖": 3.0, "💗": 3.0,
    "💓": 3.0, "💝": 3.0, "🌟": 2.0, "⭐": 2.0, "👌": 2.0, "🤗": 2.0, "💪": 1.5, "🙏": 1.0,
    "😐": -0.5, "😑": -1.0, "😶": -0.5, "🙄": -1.5, "😒": -2.0, "😔": -2.0, "😟": -2.0,
    "🙁": -1.5, "☹": -2.0, "😕": -1.5, "😞": -2.5, "😢": -2.5, "😭": -3.0, "😤": -2.5,
    "😠": -3.0, "😡": -3.5, "🤬": -3.5, "😩": -2.5, "😫": -2.5, "😖": -2.5, "😣": -2.0,
    "😨": -2.0, "😰": -2.0, "😱": -2.5, "🤮": -3.5, "🤢": -3.0, "💩": -3.0, "👎": -2.5,
    "💔": -3.0, "😓": -1.5, "😪": -1.0, "🤦": -2.0, "😬": -1.0, "🥺": -1.0, "😿": -2.0,
}  # fmt: skip
"""crmind's own valences, on VADER's scale, for the emoji most used in reviews."""


@cache
def valences() -> dict[str, float]:
    """Word -> valence, from the bundled VADER lexicon."""
    with lzma.open(VADER_LEXICON, "rt", encoding="utf-8") as handle:
        pairs = (line.rstrip("\n").split("\t") for line in handle if line.strip())
        return {word: float(value) for word, value in pairs} | EMOJI_VALENCES


def lexicon_features(token_lists: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
    """Per text: squashed valence sum, positive sum and negative sum (the last two over the
    square root of the number of tokens plus one)."""
    lexicon = valences()
    features = np.zeros((len(token_lists), N_FEATURES))
    for row, tokens in enumerate(token_lists):
        positive = negative = 0.0
        for token in tokens:
            word = token.removeprefix(NEGATED)
            value = lexicon.get(word)
            if value is None:
                continue
            if token.startswith(NEGATED):
                value *= NEGATION_FACTOR
            if value > 0:
                positive += value
            else:
                negative += value
        total = positive + negative
        length = np.sqrt(len(tokens) + 1.0)
        features[row] = (
            total / np.sqrt(total * total + 15.0),
            positive / length,
            negative / length,
        )
    return features


def lexicon_words(tokens: Sequence[str], sign: float) -> str:
    """The words of ``tokens`` the lexicon scores with ``sign`` (negation applied), joined by a
    space, or ``"sentiment words"`` when there is none."""
    lexicon = valences()
    found = []
    for token in tokens:
        value = lexicon.get(token.removeprefix(NEGATED))
        if value is None:
            continue
        if token.startswith(NEGATED):
            value *= NEGATION_FACTOR
        if value * sign > 0 and token not in found:
            found.append(token)
    return " ".join(found) or "sentiment words"
