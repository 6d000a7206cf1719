"""resolve end to end on a hand-made frame: duplicates found, look-alikes left apart."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.identity.blocking import BlockingRule
from crmind.identity.evaluate import pairwise_scores
from crmind.identity.fellegi_sunter import FellegiSunterModel
from crmind.identity.fields import CUSTOMER_FIELDS, Comparator, FieldSpec
from crmind.identity.resolve import (
    MATCH_WEIGHT,
    PROBABILITY,
    Resolution,
    ResolveOptions,
    describe_pairs,
    random_pairs,
    resolve,
)

# 11 people, 15 records; the duplicates have typos, a missing e-mail, another date format
PEOPLE = pl.DataFrame(
    [
        ("Martha", "Jones", "martha.jones@mail.com", "1980-03-14", "Leeds"),  # 0
        ("Marhta", "Jones", "martha.jones@mail.com", "1980-03-14", "Leeds"),  # 1 = 0
        ("John", "Smith", "jsmith@post.org", "1975-07-01", "York"),  # 2
        ("Jon", "Smith", "jsmith@post.org", "1975-07-10", "York"),  # 3 = 2
        ("Priya", "Patel", "priya@patel.in", "1990-12-25", "London"),  # 4
        ("PRIYA", "Patel", None, "25.12.1990", "London"),  # 5 = 4
        ("Li", "Wei", "li.wei@mail.cn", "1988-01-01", "Bristol"),  # 6
        ("Aisha", "Khan", "aisha.k@mail.com", "1985-05-05", "Leeds"),  # 7
        ("Tom", "Brown", "tom.brown@mail.com", "1979-09-09", "Bath"),  # 8
        ("Tom", "Browne", "tom.browne@mail.com", "1979-09-09", "Bath"),  # 9 = 8
        ("Sarah", "Jones", "sj92@web.de", "1992-02-02", "Derby"),  # 10: a Jones, not Martha
        ("John", "Carter", "carter@work.com", "1960-11-30", "Hull"),  # 11: a John, not Smith
        ("Chloé", "Dubois", "chloe.dubois@mail.fr", "1995-06-06", "Paris"),  # 12
        ("Chloe", "Dubois", "chloe.dubois@mail.fr", "1995-06-06", "paris "),  # 13 = 12
        ("Emma", "Wilson", "emma.w@mail.com", "1983-04-04", "Leeds"),  # 14
    ],
    schema=["first_name", "last_name", "email", "birth_date", "city"],
    orient="row",
)
FIELDS = [
    FieldSpec("first_name", Comparator.NAME),
    FieldSpec("last_name", Comparator.NAME),
    FieldSpec("email", Comparator.EMAIL),
    FieldSpec("birth_date", Comparator.CODE),
    FieldSpec("city", Comparator.NAME),
]
OPTIONS = ResolveOptions(random_pairs=20_000)
DUPLICATES = [0, 0, 2, 2, 4, 4, 6, 7, 8, 8, 10, 11, 12, 12, 14]


@pytest.fixture(scope="module")
def resolution() -> Resolution:
    return resolve(PEOPLE, FIELDS, OPTIONS)


def pair_position(resolution: Resolution, left: int, right: int) -> int:
    rows = resolution.pairs.with_row_index("position").filter(
        (pl.col("left") == left) & (pl.col("right") == right)
    )
    assert rows.height == 1, f"({left}, {right}) is not a candidate pair"
    return int(rows["position"][0])


def test_resolve_finds_the_duplicates_and_not_the_look_alikes(resolution: Resolution) -> None:
    assert resolution.clusters.tolist() == DUPLICATES
    probability = resolution.pairs.get_column(PROBABILITY)
    for left, right in [(0, 1), (2, 3), (4, 5), (8, 9), (12, 13)]:
        assert probability[pair_position(resolution, left, right)] >= 0.99
    for left, right in [(0, 10), (1, 10), (2, 11), (0, 7), (7, 14)]:  # same surname / name / city
        assert probability[pair_position(resolution, left, right)] < 0.01


def test_the_resolution_holds_scored_pairs_levels_and_the_model(
    resolution: Resolution,
) -> None:
    pairs = resolution.pairs
    assert pairs.columns == ["left", "right", PROBABILITY, MATCH_WEIGHT]
    assert (pairs["left"] < pairs["right"]).all()
    assert resolution.levels.shape == (pairs.height, len(FIELDS))
    assert resolution.fields == FIELDS
    assert isinstance(resolution.model, FellegiSunterModel)
    assert resolution.model.field_names_ == [spec.name for spec in FIELDS]
    np.testing.assert_allclose(
        pairs[MATCH_WEIGHT].to_numpy(), resolution.model.match_weight(resolution.levels)
    )


def test_describe_pairs_names_the_fields_at_each_kind_of_level(resolution: Resolution) -> None:
    described = describe_pairs(resolution)
    assert described.height == resolution.pairs.height
    assert described.columns == [
        "left",
        "right",
        PROBABILITY,
        MATCH_WEIGHT,
        "agree",
        "similar",
        "differ",
        "missing",
    ]

    def kinds(left: int, right: int) -> dict[str, list[str]]:
        row = described.row(pair_position(resolution, left, right), named=True)
        return {kind: row[kind] for kind in ("agree", "similar", "differ", "missing")}

    assert kinds(0, 1) == {
        "agree": ["last_name", "email", "birth_date", "city"],
        "similar": ["first_name"],  # marhta: a typo
        "differ": [],
        "missing": [],
    }
    assert kinds(2, 3) == {
        "agree": ["last_name", "email", "city"],
        "similar": ["first_name", "birth_date"],  # jon / john, 0701 / 0710 (one swap)
        "differ": [],
        "missing": [],
    }
    assert kinds(4, 5) == {
        "agree": ["first_name", "last_name", "city"],
        "similar": [],
        "differ": ["birth_date"],  # another date format
        "missing": ["email"],
    }
    assert kinds(0, 7) == {
        "agree": ["city"],
        "similar": [],
        "differ": ["first_name", "last_name", "email", "birth_date"],
        "missing": [],
    }


def test_describe_pairs_of_chosen_positions(resolution: Resolution) -> None:
    position = pair_position(resolution, 8, 9)
    described = describe_pairs(resolution, [position])
    assert described.select("left", "right").rows() == [(8, 9)]
    assert described["agree"].to_list() == [["first_name", "birth_date", "city"]]
    assert described["similar"].to_list() == [["last_name", "email"]]
    assert describe_pairs(resolution, np.flatnonzero(np.zeros(3, dtype=bool))).height == 0
    assert describe_pairs(resolution, []).height == 0


def test_cannot_link_keeps_a_found_pair_apart() -> None:
    options = ResolveOptions(random_pairs=20_000, cannot_link=((0, 1),))
    clusters = resolve(PEOPLE, FIELDS, options).clusters.tolist()
    assert clusters[:2] == [0, 1]
    assert clusters[2:] == DUPLICATES[2:]


def test_a_higher_threshold_than_every_probability_links_nothing() -> None:
    options = ResolveOptions(random_pairs=20_000, threshold=1.0)
    assert resolve(PEOPLE, FIELDS, options).clusters.tolist() == list(range(PEOPLE.height))


def test_linking_pairs_only_records_of_different_sources() -> None:
    sources = ["a", "b", "a", "b", "a", "b", "a", "b", "a", "a", "a", "b", "a", "b", "b"]
    frame = PEOPLE.with_columns(pl.Series("src", sources))
    result = resolve(frame, FIELDS, OPTIONS, source="src")
    pairs = result.pairs
    left_sources = np.asarray(sources)[pairs["left"].to_numpy()]
    right_sources = np.asarray(sources)[pairs["right"].to_numpy()]
    assert (left_sources != right_sources).all()
    expected = list(DUPLICATES)
    expected[9] = 9  # Tom Browne is a duplicate of Tom Brown within source "a": not linked
    assert result.clusters.tolist() == expected


def test_rules_given_in_the_options_are_used() -> None:
    options = ResolveOptions(random_pairs=5_000, rules=(BlockingRule(("email",)),))
    result = resolve(PEOPLE, FIELDS, options)
    assert result.pairs.select("left", "right").rows() == [(0, 1), (2, 3), (12, 13)]


def test_random_pairs_never_pair_a_row_with_itself() -> None:
    frame = pl.DataFrame({"x": range(5)})
    left, right = random_pairs(frame, 2_000, 1)
    assert left.shape == right.shape == (2_000,)
    assert (left != right).all()
    assert set(left.tolist()) == set(right.tolist()) == set(range(5))
    again = random_pairs(frame, 2_000, 1)
    np.testing.assert_array_equal(left, again[0])
    np.testing.assert_array_equal(right, again[1])


def test_random_pairs_across_sources() -> None:
    frame = pl.DataFrame({"src": ["a", "b", "a", "c", "b"]})
    left, right = random_pairs(frame, 1_000, 0, source="src")
    assert set(left.tolist()) == {0, 2}
    assert set(right.tolist()) == {1, 3, 4}
    with pytest.raises(ModelDataError, match="every record has the same 'src'"):
        random_pairs(pl.DataFrame({"src": ["a", "a"]}), 10, 0, source="src")


def test_fewer_than_two_records_is_a_model_data_error() -> None:
    with pytest.raises(ModelDataError, match="at least 2 records, got 1"):
        resolve(PEOPLE.head(1), FIELDS, OPTIONS)


def test_no_candidate_pairs_is_a_model_data_error() -> None:
    strangers = PEOPLE.filter(pl.int_range(pl.len()).is_in([0, 2, 4, 6]))
    with pytest.raises(ModelDataError, match="no candidate pairs"):
        resolve(strangers, FIELDS, OPTIONS)


def test_no_fields_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no fields"):
        resolve(PEOPLE, [], OPTIONS)


def test_a_field_that_is_not_a_column_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"no column\(s\) phone; columns are first_name"):
        resolve(PEOPLE, [*FIELDS, FieldSpec("phone", Comparator.CODE)], OPTIONS)


def test_a_missing_source_column_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"no column.*origin"):
        resolve(PEOPLE, FIELDS, OPTIONS, source="origin")


def crowd(people: int = 1500, seed: int = 0) -> pl.DataFrame:
    """Customers with Zipf-distributed names from small vocabularies and few cities, 30 % with a
    duplicate that lost its phone, often its e-mail and sometimes a letter of the first name:
    many non-matching candidate pairs agree on names and city."""
    rng = np.random.default_rng(seed)
    zipf = (1 / np.arange(1, 61)) / (1 / np.arange(1, 61)).sum()
    rows: list[dict[str, object]] = []
    for entity in range(people):
        first = f"name{rng.choice(40, p=zipf[:40] / zipf[:40].sum())}"
        last = f"fam{rng.choice(60, p=zipf)}"
        city = f"town{rng.integers(8)}"
        record = {
            "entity": entity,
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}.{entity}@mail.com",
            "phone": f"0770{entity:06d}",
            "birth_date": f"19{50 + rng.integers(50)}-0{1 + rng.integers(9)}-1{rng.integers(10)}",
            "address": f"{rng.integers(1, 200)} {rng.choice(['high', 'mill', 'oak'])} street",
            "city": city,
            "postcode": f"{city}{rng.integers(100)}",
        }
        rows.append(record)
        if rng.random() < 0.3:
            copy = dict(record, phone=None)
            email = str(record["email"])
            copy["email"] = None if rng.random() < 0.5 else email.replace("mail", "post")
            if rng.random() < 0.5:
                copy["first_name"] = first[:-1] + "x"
            rows.append(copy)
    return pl.DataFrame(rows)


def test_common_names_do_not_make_every_candidate_a_match() -> None:
    records = crowd()
    truth = records["entity"].to_numpy()
    options = ResolveOptions(random_pairs=20_000)
    resolved = resolve(records, CUSTOMER_FIELDS, options)
    assert resolved.model.lambda_ < 0.05
    assert pairwise_scores(resolved.clusters, truth)["f1"] > 0.95
    # u fixed at the random-pair values: EM calls every candidate a match on this data
    fixed = resolve(records, CUSTOMER_FIELDS, replace(options, u_prior_pairs=None))
    assert pairwise_scores(fixed.clusters, truth)["f1"] < 0.5
