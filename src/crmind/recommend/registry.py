"""Recommenders by name, for the CLI, the services and the evaluation.

Each entry makes a fresh, unfitted model from a random seed. ``popularity`` is the baseline
every evaluation includes; ``implicit-als`` is the ``implicit`` library's ALS with its default
settings, the peer crmind's models are measured against. ``content`` (and the hybrid's content
part) needs an items frame with product text. The ``rating-*`` models predict explicit ratings
(and rank by them).
"""

from __future__ import annotations

from collections.abc import Callable

from crmind.errors import ConfigurationError
from crmind.recommend.base import Recommender
from crmind.recommend.models.content import ContentRecommender
from crmind.recommend.models.ease import EASERecommender
from crmind.recommend.models.hybrid import HybridRecommender, RepeatRecommender
from crmind.recommend.models.implicit_mf import (
    ALSRecommender,
    BPRRecommender,
    ImplicitDefaultALS,
)
from crmind.recommend.models.item_knn import ItemKNNRecommender
from crmind.recommend.models.popularity import PopularityRecommender
from crmind.recommend.models.rating_baseline import BaselineRating
from crmind.recommend.models.rating_blend import RatingBlend
from crmind.recommend.models.rating_knn import KNNBaselineRating
from crmind.recommend.models.rating_mf import BiasedMF
from crmind.recommend.models.user_knn import UserKNNRecommender

Factory = Callable[[int], Recommender]

BASELINE = "popularity"
MODELS: dict[str, Factory] = {
    "popularity": lambda seed: PopularityRecommender(),
    "popularity-recent": lambda seed: PopularityRecommender(recent_days=90),
    "item-knn": lambda seed: ItemKNNRecommender(),
    "user-knn": lambda seed: UserKNNRecommender(),
    "ease": lambda seed: EASERecommender(),
    "als": lambda seed: ALSRecommender(random_state=seed),
    "bpr": lambda seed: BPRRecommender(random_state=seed),
    "implicit-als": lambda seed: ImplicitDefaultALS(random_state=seed),
    "content": lambda seed: ContentRecommender(),
    "repeat": lambda seed: RepeatRecommender(),
    "hybrid": lambda seed: HybridRecommender(),
    "rating-baseline": lambda seed: BaselineRating(),
    "rating-mf": lambda seed: BiasedMF(random_state=seed),
    "rating-knn": lambda seed: KNNBaselineRating(),
    "rating-blend": lambda seed: RatingBlend(random_state=seed),
}
"""Every recommender crmind offers, by the name the CLI uses."""


def make_recommender(name: str, random_state: int = 0) -> Recommender:
    """A fresh model called ``name``; ConfigurationError listing the names otherwise."""
    try:
        factory = MODELS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown recommender {name!r}; choose from {', '.join(MODELS)}"
        ) from None
    return factory(random_state)
