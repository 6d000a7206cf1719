"""Content-based: recommend products whose text is like the text of what the customer bought.

Each item is a TF-IDF vector of its text — the ``text_columns`` of the items frame that exist
(name, description, category, brand), joined — over word n-grams and, optionally, character
n-grams (which match "T-LIGHT" with "TLIGHT" and plural with singular, at the cost of a bigger
vocabulary). A customer's profile is the interaction-weighted mean of the vectors of the items
they bought; an item's score is the cosine between the profile and the item.

Because it needs only an item's text, this is the model that reaches **new products** (in the
items frame, no interactions yet): they get a vector, a score and similar items like any other.
It also helps light customers, whose one or two purchases say little to collaborative models.
The reason names the bought item most similar to the recommendation: "similar to <item> you
bought". Unknown customers get no recommendations (they have no profile).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import FloatArray, IntArray, Recommender
from crmind.recommend.data import ITEM
from crmind.recommend.reasons import explain_by_closest

TEXT_COLUMNS = ("name", "description", "category", "brand")

Weighting = Literal["binary", "log"]


class ContentRecommender(Recommender):
    """TF-IDF item vectors and cosine to the customer's purchase profile (module docstring).

    ``weighting`` is how much each bought item counts in the profile: ``"binary"`` (every item
    once) or ``"log"`` (``log1p`` of the interaction value, so a wholesale quantity does not
    drown the rest). Learned attributes: those of :class:`Recommender`, ``vectors_`` (items x
    terms, rows L2-normalised; zero for an item without text), ``vocabulary_size_`` and
    ``user_items_`` (the profile weights, users x items).
    """

    default_reason = "like items you bought"

    def __init__(
        self,
        *,
        text_columns: Sequence[str] = TEXT_COLUMNS,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] | None = None,
        min_df: int = 1,
        weighting: Weighting = "log",
    ) -> None:
        self.text_columns = text_columns
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.weighting = weighting

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        if self.weighting not in ("binary", "log"):
            raise ConfigurationError(f"weighting must be binary or log, not {self.weighting!r}")
        if self.min_df < 1:
            raise ConfigurationError(f"min_df must be at least 1, not {self.min_df}")
        texts = item_texts(self.items_frame_, self.text_columns)
        self.vectors_: csr_matrix = self._vectorise(texts)
        self.vocabulary_size_: int = int(self.vectors_.shape[1])
        self.user_items_: csr_matrix = weighted(self.data_.matrix, self.weighting)

    def _vectorise(self, texts: list[str]) -> csr_matrix:
        blocks = [
            TfidfVectorizer(ngram_range=self.word_ngrams, min_df=self.min_df, sublinear_tf=True)
        ]
        if self.char_ngrams is not None:
            blocks.append(
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=self.char_ngrams,
                    min_df=self.min_df,
                    sublinear_tf=True,
                )
            )
        try:
            parts = [csr_matrix(vectoriser.fit_transform(texts)) for vectoriser in blocks]
        except ValueError as exc:  # an empty vocabulary: no item has usable text
            raise ModelDataError(f"the items' text gives no terms to compare ({exc})") from exc
        return normalise_rows(csr_matrix(hstack(parts, format="csr"), dtype=np.float32))

    def _score_rows(self, rows: IntArray) -> FloatArray:
        profiles = normalise_rows(csr_matrix(self.user_items_[rows] @ self.vectors_))
        return np.asarray((profiles @ self.vectors_.T).todense(), dtype=np.float32)

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        return explain_by_closest(self, self.user_items_, self.vectors_, rows, items, "similar to")

    def _item_vectors(self) -> csr_matrix:
        return self.vectors_


def item_texts(items: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    """One text per row of ``items``: its ``columns`` that exist, joined by spaces; a clear
    error when there are none (the model was fitted without an items frame with text)."""
    present = [name for name in columns if name in items.columns]
    if not present:
        raise ModelDataError(
            "content-based recommendations need an items frame with text: pass "
            f"fit(interactions, items) with {ITEM!r} and at least one of {', '.join(columns)}; "
            f"the items have {', '.join(items.columns)}"
        )
    text = pl.concat_str(
        [pl.col(name).cast(pl.String).fill_null("") for name in present], separator=" "
    )
    return items.select(text.str.strip_chars().alias("text")).get_column("text").to_list()


def weighted(matrix: csr_matrix, weighting: Weighting) -> csr_matrix:
    """The interaction matrix with every value 1 (``binary``) or ``log1p(value)`` (``log``)."""
    result = csr_matrix(matrix, dtype=np.float32, copy=True)
    if weighting == "binary":
        result.data[:] = 1.0
    else:
        result.data = np.log1p(np.maximum(result.data, 0.0)).astype(np.float32)
    result.eliminate_zeros()
    return result


def normalise_rows(vectors: csr_matrix) -> csr_matrix:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    result = csr_matrix(vectors, dtype=np.float32, copy=True)
    result.data /= np.repeat(norms, np.diff(result.indptr)).astype(np.float32)
    return result
