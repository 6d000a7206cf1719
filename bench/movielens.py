"""MovieLens 100K for the recommender benchmarks, read in place from ../shared/data (its licence
allows research use only: never copied into the project).

``read_movielens()`` gives u.data as interactions (``user_id``, ``item_id``, the rating as
``value``, its time as ``occurred_at``) and u.item as an items frame (``item_id``, the title as
``name``, the genres joined as ``category``). Polars is imported inside the function, so a
benchmark parent that imports this module stays free of data libraries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

MOVIELENS: Final = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "movielens_100k"
)
GENRES: Final = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)


def read_movielens() -> tuple[Any, Any]:
    """(interactions, items) as polars frames; see the module docstring."""
    import polars as pl

    ratings = pl.read_csv(
        MOVIELENS / "u.data",
        separator="\t",
        has_header=False,
        new_columns=["user_id", "item_id", "value", "timestamp"],
    ).select(
        "user_id",
        "item_id",
        pl.col("value").cast(pl.Float64),
        pl.from_epoch("timestamp", time_unit="s").alias("occurred_at"),
    )
    raw = pl.read_csv(
        MOVIELENS / "u.item",
        separator="|",
        has_header=False,
        encoding="latin-1",
        quote_char=None,
        new_columns=["item_id", "name", "released", "video", "url", *GENRES],
    )
    genres = pl.concat_str(
        [pl.when(pl.col(g) == 1).then(pl.lit(g)).otherwise(pl.lit("")) for g in GENRES],
        separator=" ",
    ).str.replace_all(r"\s+", " ")
    items = raw.select("item_id", "name", genres.str.strip_chars().alias("category"))
    return ratings, items
