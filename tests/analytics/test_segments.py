from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from crmind.analytics.segments import (
    DEFAULT_FEATURES,
    CustomerSegmenter,
    tier_shares,
    value_tiers,
)
from crmind.errors import ConfigurationError, ModelDataError
from crmind.estimator import Estimator
from crmind.privacy.binding import attach_cipher
from tests.estimator_contract import check_estimator_contract
from tests.store_cipher import TEST_CIPHER

# Three well-separated kinds of customer: (size, recency, orders, money, tenure, products,
# returns rate, country).
GROUPS = {
    "vip": (60, 5.0, 40, 20_000.0, 700.0, 300, 0.02, "Germany"),
    "regular": (120, 40.0, 6, 1_500.0, 400.0, 60, 0.10, "United Kingdom"),
    "lapsed": (120, 300.0, 1, 150.0, 320.0, 8, 0.30, "United Kingdom"),
}


def make_profiles(seed: int = 7) -> pl.DataFrame:
    """Profiles of the three GROUPS (with a ``group`` column), rows shuffled, 5 % nulls."""
    rng = np.random.default_rng(seed)
    parts: list[pl.DataFrame] = []
    for group, (size, recency, orders, money, tenure, products, returns, country) in GROUPS.items():

        def noisy(centre: float, size: int = size) -> npt.NDArray[np.float64]:
            return centre * rng.lognormal(0.0, 0.15, size)

        order_count = np.maximum(1, np.round(noisy(orders))).astype(np.int64)
        money_total = noisy(money)
        parts.append(
            pl.DataFrame(
                {
                    "group": [group] * size,
                    "recency_days": noisy(recency),
                    "order_count": order_count,
                    "frequency": order_count - 1,
                    "monetary_total": money_total,
                    "monetary_mean": money_total / order_count,
                    "tenure_days": noisy(tenure),
                    "distinct_products": np.round(noisy(products)).astype(np.int64),
                    "interpurchase_mean_days": [None] * size
                    if orders == 1
                    else list(noisy(tenure / orders)),
                    "returns_rate": np.clip(returns + rng.normal(0, 0.02, size), 0, 1),
                    "country": [country] * size,
                },
                schema_overrides={"interpurchase_mean_days": pl.Float64},
            )
        )
    frame = pl.concat(parts)
    frame = frame[rng.permutation(frame.height)]
    with_nulls = rng.random(frame.height) < 0.05
    return frame.with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("customer_id"),
        pl.when(pl.Series(with_nulls))
        .then(None)
        .otherwise(pl.col("returns_rate"))
        .alias("returns_rate"),
    )


@pytest.fixture(scope="module")
def profiles() -> pl.DataFrame:
    return make_profiles()


@pytest.fixture(scope="module")
def fitted(profiles: pl.DataFrame) -> CustomerSegmenter:
    return CustomerSegmenter().fit(profiles)


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_segmenter_follows_the_estimator_contract(
    method: str, profiles: pl.DataFrame, tmp_path: Path
) -> None:
    def fit(model: Estimator) -> Estimator:
        assert isinstance(model, CustomerSegmenter)
        return model.fit(profiles)

    def outputs(model: Estimator) -> dict[str, object]:
        assert isinstance(model, CustomerSegmenter)
        return {"segments": model.predict(profiles), "describe": model.describe()}

    check_estimator_contract(
        make=lambda: CustomerSegmenter(method=method, k_range=(2, 4)),
        fit=fit,
        outputs=outputs,
        tmp_path=tmp_path,
    )


def test_silhouette_chooses_the_true_number_of_groups(
    fitted: CustomerSegmenter, profiles: pl.DataFrame
) -> None:
    assert fitted.n_clusters_ == 3
    assert sorted(fitted.silhouette_) == list(range(2, 9))
    assert max(fitted.silhouette_, key=fitted.silhouette_.__getitem__) == 3
    assert adjusted_rand_score(profiles["group"], fitted.predict(profiles)) == 1.0


def test_k_is_chosen_on_a_reproducible_sample(profiles: pl.DataFrame) -> None:
    model = CustomerSegmenter(silhouette_sample_size=100, k_range=(2, 5))
    first = model.fit(profiles).silhouette_
    assert model.n_clusters_ == 3
    assert (
        CustomerSegmenter(silhouette_sample_size=100, k_range=(2, 5)).fit(profiles).silhouette_
        == first
    )
    assert first != CustomerSegmenter(k_range=(2, 5)).fit(profiles).silhouette_
    assert adjusted_rand_score(profiles["group"], model.predict(profiles)) == 1.0


def test_gaussian_mixture_recovers_the_groups_too(profiles: pl.DataFrame) -> None:
    model = CustomerSegmenter(method="gmm", k_range=(2, 5)).fit(profiles)
    assert model.n_clusters_ == 3
    assert adjusted_rand_score(profiles["group"], model.predict(profiles)) == 1.0


def test_segments_are_numbered_from_the_most_valuable(
    fitted: CustomerSegmenter, profiles: pl.DataFrame
) -> None:
    segment_of = (
        profiles.with_columns(fitted.predict(profiles))
        .group_by("group")
        .agg(pl.col("segment").unique())
    )
    assert {row["group"]: row["segment"] for row in segment_of.iter_rows(named=True)} == {
        "vip": [0],
        "regular": [1],
        "lapsed": [2],
    }
    described = fitted.describe()
    assert described["segment"].to_list() == [0, 1, 2]
    assert described["median_monetary_total"].is_sorted(descending=True)
    assert described["size"].to_list() == [60, 120, 120]
    assert described["share"].sum() == pytest.approx(1.0)
    assert described["value_share"].sum() == pytest.approx(1.0)
    assert described["value_share"][0] > 0.8


def test_segment_ids_stay_the_same_across_random_states(profiles: pl.DataFrame) -> None:
    first = CustomerSegmenter(random_state=0).fit(profiles).predict(profiles)
    second = CustomerSegmenter(random_state=123).fit(profiles).predict(profiles)
    assert first.equals(second)


def test_same_data_and_random_state_give_identical_output(profiles: pl.DataFrame) -> None:
    first = CustomerSegmenter(random_state=5).fit(profiles)
    second = CustomerSegmenter(random_state=5).fit(profiles)
    assert first.describe().equals(second.describe())
    assert first.silhouette_ == second.silhouette_


def test_descriptions_name_what_sets_each_segment_apart(fitted: CustomerSegmenter) -> None:
    described = fitted.describe()
    vip, regular, lapsed = described.iter_rows(named=True)
    assert vip["name"] == "High-value loyal"
    for words in ("high value", "frequent", "recent", "broad product range", "mostly Germany"):
        assert words in vip["description"]
    assert vip["top_country"] == "Germany"
    assert vip["top_country_share"] == 1.0
    assert lapsed["name"] == "Low-value lapsed"
    for words in ("low value", "lapsed", "few orders", "many returns"):
        assert words in lapsed["description"]
    # the population's own majority country is not news
    assert "United Kingdom" not in regular["description"]
    assert "United Kingdom" not in lapsed["description"]
    assert len(set(described["name"])) == 3


def test_description_columns_and_medians(fitted: CustomerSegmenter, profiles: pl.DataFrame) -> None:
    described = fitted.describe()
    medians = [f"median_{name}" for name in DEFAULT_FEATURES]
    assert described.columns == [
        "segment",
        "name",
        "description",
        "size",
        "share",
        "value_share",
        "top_country",
        "top_country_share",
        *medians,
    ]
    lapsed = profiles.filter(pl.col("group") == "lapsed")
    assert described["median_recency_days"][2] == pytest.approx(lapsed["recency_days"].median())


def test_value_is_described_even_when_not_clustered_on(profiles: pl.DataFrame) -> None:
    model = CustomerSegmenter(features=("recency_days", "order_count"), k_range=(2, 4))
    described = model.fit(profiles).describe()
    assert "median_monetary_total" in described.columns
    assert "high value" in described["description"][0]


def test_a_fixed_number_of_clusters_skips_the_search(profiles: pl.DataFrame) -> None:
    model = CustomerSegmenter(n_clusters=2).fit(profiles)
    assert model.n_clusters_ == 2
    assert list(model.silhouette_) == [2]
    assert model.describe().height == 2


def test_predict_fills_missing_values_and_assign_names_segments(
    fitted: CustomerSegmenter, profiles: pl.DataFrame
) -> None:
    holes = profiles.head(5).with_columns(pl.lit(None, dtype=pl.Float64).alias("recency_days"))
    assert fitted.predict(holes).len() == 5
    assert fitted.predict(profiles.clear()).len() == 0
    assigned = fitted.assign(profiles)
    assert assigned.columns == ["customer_id", "segment", "segment_name"]
    assert assigned["customer_id"].equals(profiles["customer_id"])
    assert assigned["segment_name"].null_count() == 0


def test_customers_with_net_returns_are_segmented(profiles: pl.DataFrame) -> None:
    returned = profiles.with_columns(
        pl.when(pl.col("customer_id") <= 10)
        .then(-pl.col("monetary_total"))
        .otherwise(pl.col("monetary_total"))
        .alias("monetary_total")
    )
    model = CustomerSegmenter(k_range=(2, 4)).fit(returned)
    assert model.predict(returned).null_count() == 0
    assert model.describe()["value_share"].sum() == pytest.approx(1.0)


def test_too_few_customers_is_an_error(profiles: pl.DataFrame) -> None:
    with pytest.raises(ModelDataError, match=r"15 profiles, need at least 16"):
        CustomerSegmenter().fit(profiles.head(15))
    with pytest.raises(ModelDataError, match=r"9 profiles, need at least 10"):
        CustomerSegmenter(n_clusters=2).fit(profiles.head(9))


def test_a_missing_feature_column_is_named(profiles: pl.DataFrame) -> None:
    with pytest.raises(ModelDataError, match="tenure_days"):
        CustomerSegmenter().fit(profiles.drop("tenure_days"))
    with pytest.raises(ModelDataError, match="distinct_products"):
        CustomerSegmenter().fit(profiles).predict(profiles.drop("distinct_products"))


def test_non_numeric_or_empty_features_are_errors(profiles: pl.DataFrame) -> None:
    as_text = profiles.with_columns(pl.col("recency_days").cast(pl.String))
    with pytest.raises(ModelDataError, match=r"recency_days is String, expected a number"):
        CustomerSegmenter().fit(as_text)
    no_values = profiles.with_columns(pl.lit(None, dtype=pl.Float64).alias("returns_rate"))
    with pytest.raises(ModelDataError, match="returns_rate has no values"):
        CustomerSegmenter().fit(no_values)
    infinite = profiles.with_columns(pl.lit(float("inf")).alias("tenure_days"))
    with pytest.raises(ModelDataError, match="tenure_days holds infinite values"):
        CustomerSegmenter().fit(infinite)


@pytest.mark.parametrize(
    "params",
    [
        {"method": "dbscan"},
        {"k_range": (1, 4)},
        {"k_range": (5, 3)},
        {"n_clusters": 1},
        {"silhouette_sample_size": 12},
    ],
)
def test_bad_hyperparameters_are_configuration_errors(
    params: dict[str, object], profiles: pl.DataFrame
) -> None:
    with pytest.raises(ConfigurationError):
        CustomerSegmenter(**params).fit(profiles)  # type: ignore[arg-type]


def test_value_tiers_split_20_30_50_by_monetary_total() -> None:
    frame = pl.DataFrame(
        {
            "customer_id": [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
            "monetary_total": [5.0, 100.0, 50.0, 50.0, 50.0, 1.0, -20.0, None, 2.0, 3.0],
        }
    )
    tiers = value_tiers(frame)
    assert tiers.columns == ["customer_id", "monetary_total", "value_rank", "value_tier"]
    assert tiers["customer_id"].to_list() == [9, 6, 7, 8, 10, 1, 2, 5, 3, 4]
    assert tiers["value_rank"].to_list() == list(range(1, 11))
    assert tiers["value_tier"].cast(pl.String).to_list() == (
        ["high"] * 2 + ["medium"] * 3 + ["low"] * 5
    )


def test_tier_shares_sum_to_the_whole() -> None:
    frame = pl.DataFrame(
        {"customer_id": range(1, 11), "monetary_total": [float(x) for x in range(1, 11)]}
    )
    shares = tier_shares(value_tiers(frame, top_share=0.1, middle_share=0.4))
    assert shares["value_tier"].cast(pl.String).to_list() == ["high", "medium", "low"]
    assert shares["customers"].to_list() == [1, 4, 5]
    assert shares["value_share"].to_list() == pytest.approx([10 / 55, 30 / 55, 15 / 55])
    assert shares["customer_share"].sum() == pytest.approx(1.0)


def test_value_tiers_errors() -> None:
    frame = pl.DataFrame({"customer_id": [1, 2], "monetary_total": [1.0, 2.0]})
    with pytest.raises(ConfigurationError, match="top_share"):
        value_tiers(frame, top_share=0.8, middle_share=0.3)
    with pytest.raises(ModelDataError, match="monetary_total"):
        value_tiers(frame.drop("monetary_total"))


@pytest.mark.slow
def test_online_retail_segments_and_the_80_20_rule(tmp_path: Path) -> None:
    from crmind.services.demo import import_demo_data
    from crmind.store.db import make_engine
    from crmind.store.frames import order_lines
    from crmind.store.migrate import upgrade

    engine = attach_cipher(make_engine(f"sqlite:///{tmp_path / 'x.db'}"), TEST_CIPHER)
    upgrade(engine)
    import_demo_data(engine)
    profiles = _profiles_from_lines(order_lines(engine))
    engine.dispose()
    assert profiles.height > 4000

    model = CustomerSegmenter().fit(profiles)
    described = model.describe()
    assert described.height == model.n_clusters_
    assert described["description"].str.len_chars().min() > 0  # type: ignore[operator]
    assert described["name"].n_unique() == described.height
    assert described["value_share"][0] == described["value_share"].max()

    shares = tier_shares(value_tiers(profiles))
    high = shares.row(0, named=True)
    assert high["value_tier"] == "high"
    assert high["value_share"] > 0.6  # the top 20 % hold most of the value


def _profiles_from_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """A quick per-customer profile of the order lines (the columns build_profiles makes)."""
    lines = lines.drop_nulls("customer_id")
    snapshot = lines["occurred_at"].max()
    day = 86_400
    orders = lines.group_by("order_id").agg(
        pl.col("customer_id", "occurred_at", "is_return", "country").first(),
        pl.col("amount").sum(),
    )
    at = pl.col("occurred_at")
    purchases = (
        orders.filter(~pl.col("is_return"))
        .group_by("customer_id")
        .agg(
            ((snapshot - at.max()).dt.total_seconds() / day).alias("recency_days"),
            pl.len().cast(pl.Int64).alias("order_count"),
            (at.dt.date().n_unique() - 1).cast(pl.Int64).alias("frequency"),
            pl.col("amount").mean().alias("monetary_mean"),
            ((snapshot - at.min()).dt.total_seconds() / day).alias("tenure_days"),
            pl.when(pl.len() > 1)
            .then((at.max() - at.min()).dt.total_seconds() / day / (pl.len() - 1))
            .alias("interpurchase_mean_days"),
            pl.col("country").mode().sort().first(),
        )
    )
    totals = lines.group_by("customer_id").agg(
        pl.col("amount").sum().alias("monetary_total"),
        pl.col("product_id")
        .filter(pl.col("quantity") > 0)
        .n_unique()
        .cast(pl.Int64)
        .alias("distinct_products"),
        pl.col("amount").filter(pl.col("amount") < 0).sum().alias("returned"),
        pl.col("amount").filter(pl.col("amount") > 0).sum().alias("sold"),
    )
    returns_rate = pl.when(pl.col("sold") > 0).then(-pl.col("returned") / pl.col("sold"))
    return (
        purchases.join(totals, on="customer_id")
        .with_columns(returns_rate.alias("returns_rate"))
        .drop("returned", "sold")
        .sort("customer_id")
    )
