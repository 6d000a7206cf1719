"""The one interface every recommender follows.

``fit(interactions, items=None)`` learns from an interactions frame (see
:mod:`crmind.recommend.data`) and, optionally, an items frame (``item_id`` plus attributes such as
``category`` and ``description``; content models need it, business rules use its ``category``).
``recommend(user_ids, k, exclude_seen=True, filter=None)`` returns one row per recommendation:
``user_id``, ``item_id``, ``score``, ``rank`` (1 = best) and ``reason`` in words.
``similar_items(item_ids, k)`` returns ``item_id``, ``similar_item_id``, ``score``, ``rank``.
Models are :class:`crmind.estimator.Estimator` s: save / load round-trip them.

A subclass implements :meth:`Recommender._fit_model` (the learned state, from ``data_`` and the
checked interactions frame) and
:meth:`Recommender._score_rows` (a dense block of scores for known users, one row per user,
one column per item); it may override :meth:`Recommender._explain` (the reason of each
recommendation), :meth:`Recommender._score_unknown` (users not seen at fit; default: no
recommendations) and :meth:`Recommender._item_vectors` (what :meth:`similar_items` compares;
default: the items' columns of the interaction matrix). Scoring runs in blocks of users, so
recommending for every customer needs memory for one block only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import csr_matrix

from crmind.errors import ConfigurationError, ModelDataError
from crmind.estimator import Estimator
from crmind.recommend.data import ITEM, USER, InteractionMatrix, build_matrix, check_interactions
from crmind.recommend.topk import top_k

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
ItemFilter = Callable[[pl.DataFrame], pl.Series] | Sequence[object] | pl.Expr | None
"""Which items may be recommended: allowed item ids, a polars expression over the items frame
(e.g. ``pl.col("category") == "kitchen"``), or a function from the items frame to a mask."""

BLOCK_USERS = 2048
REASON = "reason"
SCORE = "score"
RANK = "rank"
SIMILAR = "similar_item_id"


class Recommender(Estimator):
    """Base class of crmind's recommenders (see the module docstring).

    Learned attributes: ``data_`` (:class:`InteractionMatrix` of the fit), ``items_frame_`` (the
    items frame, one row per column of the matrix, with at least ``item_id``).
    """

    # ------------------------------------------------------------------ fit
    def fit(self, interactions: pl.DataFrame, items: pl.DataFrame | None = None) -> Self:
        """Learn from ``interactions`` (and ``items``); returns ``self``."""
        catalogue = None
        if items is not None:
            if ITEM not in items.columns:
                raise ModelDataError(f"items lack column {ITEM!r}; they have {items.columns}")
            catalogue = items.get_column(ITEM).unique(maintain_order=True)
        self.data_: InteractionMatrix = build_matrix(interactions, catalogue)
        self.items_frame_: pl.DataFrame = _items_frame(self.data_, items)
        self._fit_model(check_interactions(interactions))
        return self

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        """Learn the model's state from ``data_`` (and the checked ``interactions`` frame)."""
        raise NotImplementedError

    # ------------------------------------------------------------ recommend
    def recommend(
        self,
        user_ids: Sequence[object] | pl.Series,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        filter: ItemFilter = None,
        max_per_category: int | None = None,
    ) -> pl.DataFrame:
        """The top ``k`` items for each user, best first, with a reason each (module docstring).

        ``exclude_seen`` drops items the user interacted with at fit; ``filter`` keeps only
        allowed items; ``max_per_category`` caps items of one ``category`` (items frame) per user.
        """
        self._check_fitted("data_")
        if k < 1:
            raise ConfigurationError(f"k must be at least 1, not {k}")
        ids = user_ids if isinstance(user_ids, pl.Series) else pl.Series(list(user_ids))
        allowed = self._allowed(filter)
        categories = self._categories() if max_per_category is not None else None
        rows = self.data_.user_rows(ids)
        parts: list[pl.DataFrame] = []
        for start in range(0, len(rows), BLOCK_USERS):
            block = rows[start : start + BLOCK_USERS]
            block_ids = ids.slice(start, len(block))
            scores = self._block_scores(block)
            if exclude_seen:
                _mask_seen(scores, self.data_.matrix, block)
            if allowed is not None:
                scores[:, ~allowed] = -np.inf
            top = _top_k(scores, k if categories is None else min(scores.shape[1], k * 5))
            if categories is not None:
                assert max_per_category is not None
                top = _diversify(top, scores, categories, k, max_per_category)
            parts.append(self._frame(block_ids, block, top, scores))
        if not parts:
            return _empty_recommendations(ids.dtype, self.data_.item_ids.dtype)
        return pl.concat(parts)

    def _block_scores(self, rows: IntArray) -> FloatArray:
        """Scores of a block of users (rows -1 = unknown users) as a float32 array."""
        known = rows >= 0
        if len(rows) and known.all():  # the common case: no unknown user, no copy
            return np.asarray(self._score_rows(rows), dtype=np.float32)
        scores = np.full((len(rows), self.data_.items.size), -np.inf, dtype=np.float32)
        if known.any():
            scores[known] = self._score_rows(rows[known])
        if (~known).any():
            unknown = self._score_unknown(int((~known).sum()))
            if unknown is not None:
                scores[~known] = unknown
        return scores

    def _score_rows(self, rows: IntArray) -> FloatArray:
        """A new float32 array of scores, one row per (known) user row, one column per item;
        the caller masks and changes it in place."""
        raise NotImplementedError

    def _score_unknown(self, count: int) -> FloatArray | None:
        """Scores for ``count`` users unseen at fit; None: they get no recommendations."""
        return None

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        """One reason per (user row, item column) pair; rows may be -1 (unknown user)."""
        return [self.default_reason] * len(items)

    default_reason = "recommended for you"

    def _frame(
        self, ids: pl.Series, rows: IntArray, top: IntArray, scores: FloatArray
    ) -> pl.DataFrame:
        picked = np.take_along_axis(scores, np.maximum(top, 0), axis=1)
        valid = (top >= 0) & np.isfinite(picked)
        user_index, position = np.nonzero(valid)
        items = top[user_index, position]
        reasons = self._explain(rows[user_index], items)
        return pl.DataFrame(
            {
                USER: ids.gather(user_index),
                ITEM: self.data_.items_at(items),
                SCORE: picked[user_index, position].astype(np.float64),
                RANK: (position + 1).astype(np.int64),
                REASON: pl.Series(reasons, dtype=pl.String),
            }
        ).with_columns(pl.col(RANK).rank("ordinal").over(USER).cast(pl.Int64))

    # --------------------------------------------------------- similar items
    def similar_items(self, item_ids: Sequence[object] | pl.Series, k: int = 10) -> pl.DataFrame:
        """The ``k`` items most like each of ``item_ids`` (cosine of :meth:`_item_vectors`)."""
        self._check_fitted("data_")
        if k < 1:
            raise ConfigurationError(f"k must be at least 1, not {k}")
        ids = item_ids if isinstance(item_ids, pl.Series) else pl.Series(list(item_ids))
        columns = self.data_.item_columns(ids)
        unknown = ids.filter(pl.Series(columns < 0))
        if unknown.len():
            raise ModelDataError(f"unknown item id(s): {unknown.head(5).to_list()}")
        vectors = _normalise_rows(self._item_vectors())
        similarity = np.asarray((vectors[columns] @ vectors.T).todense(), dtype=np.float32)
        similarity[np.arange(len(columns)), columns] = -np.inf
        top = _top_k(similarity, k)
        picked = np.take_along_axis(similarity, top, axis=1)
        source, position = np.nonzero(np.isfinite(picked) & (picked > 0))
        return pl.DataFrame(
            {
                ITEM: ids.gather(source),
                SIMILAR: self.data_.items_at(top[source, position]),
                SCORE: picked[source, position].astype(np.float64),
                RANK: (position + 1).astype(np.int64),
            }
        )

    def _item_vectors(self) -> csr_matrix:
        """Items as sparse row vectors (default: their users in the interaction matrix)."""
        return csr_matrix(self.data_.matrix.T)

    # -------------------------------------------------------------- helpers
    def item_name(self, columns: IntArray) -> list[str]:
        """A short display name per item column: its ``name`` / ``description`` if the items
        frame has one, else its id."""
        frame = self.items_frame_
        for name in ("name", "description", "title"):
            if name in frame.columns:
                names = frame.get_column(name).gather(columns).cast(pl.String)
                ids = frame.get_column(ITEM).gather(columns).cast(pl.String)
                return names.fill_null(ids).to_list()
        return [str(value) for value in self.data_.items[columns]]

    def _allowed(self, item_filter: ItemFilter) -> npt.NDArray[np.bool_] | None:
        if item_filter is None:
            return None
        frame = self.items_frame_
        if isinstance(item_filter, pl.Expr):
            mask = frame.select(item_filter.fill_null(False)).to_series()
        elif callable(item_filter):
            mask = item_filter(frame)
        else:
            allowed = pl.Series(list(item_filter))
            mask = frame.get_column(ITEM).is_in(
                allowed.cast(frame[ITEM].dtype, strict=False).implode()
            )
        if mask.len() != frame.height or mask.dtype != pl.Boolean:
            raise ConfigurationError("an item filter must give one boolean per item")
        return np.asarray(mask.to_numpy(), dtype=bool)

    def _categories(self) -> IntArray:
        if "category" not in self.items_frame_.columns:
            raise ConfigurationError("max_per_category needs a category column in the items frame")
        codes = self.items_frame_.get_column("category").cast(pl.String).fill_null("")
        return codes.cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)


def _items_frame(data: InteractionMatrix, items: pl.DataFrame | None) -> pl.DataFrame:
    ids = pl.DataFrame({ITEM: pl.Series(data.items)})
    if items is None:
        return ids
    attributes = items.unique(ITEM, keep="first", maintain_order=True)
    attributes = attributes.with_columns(pl.col(ITEM).cast(ids[ITEM].dtype, strict=False))
    return ids.join(attributes, on=ITEM, how="left", maintain_order="left")


def _mask_seen(scores: FloatArray, matrix: csr_matrix, rows: IntArray) -> None:
    """Set the scores of each known user's interacted items to -inf (one scatter per block)."""
    known = np.flatnonzero(rows >= 0)
    if known.size == 0:
        return
    seen = matrix[rows[known]]
    scores[np.repeat(known, np.diff(seen.indptr)), seen.indices] = -np.inf


def _top_k(scores: FloatArray, k: int) -> IntArray:
    """Columns of the ``k`` highest scores per row, best first (-inf scores may be included;
    :func:`crmind.recommend.topk.top_k`)."""
    return top_k(scores, k)


def _diversify(
    candidates: IntArray, scores: FloatArray, categories: IntArray, k: int, cap: int
) -> IntArray:
    """Per row, the first ``k`` candidates with at most ``cap`` from one category (-1 pads)."""
    if cap < 1:
        raise ConfigurationError(f"max_per_category must be at least 1, not {cap}")
    result = np.full((candidates.shape[0], k), -1, dtype=np.int64)
    for row in range(candidates.shape[0]):
        taken: dict[int, int] = {}
        filled = 0
        for column in candidates[row].tolist():
            if filled == k or not np.isfinite(scores[row, column]):
                break
            category = int(categories[column])
            if taken.get(category, 0) < cap:
                taken[category] = taken.get(category, 0) + 1
                result[row, filled] = column
                filled += 1
    return result


def _normalise_rows(vectors: csr_matrix) -> csr_matrix:
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    scale = csr_matrix((1.0 / norms, (np.arange(len(norms)), np.arange(len(norms)))))
    return csr_matrix(scale @ vectors)


def _empty_recommendations(user_dtype: pl.DataType, item_dtype: pl.DataType) -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            USER: user_dtype,
            ITEM: item_dtype,
            SCORE: pl.Float64,
            RANK: pl.Int64,
            REASON: pl.String,
        }
    )
