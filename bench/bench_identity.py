"""Benchmark: identity resolution (blocking, comparison, EM, clustering) of 10k-1M customer records.

The call measured is ``crmind.identity.resolve.resolve(frame, CUSTOMER_FIELDS, options)`` on
synthetic customer records with Febrl-style noise and a known true entity per record. Each
stage of the call is timed from inside it (the bench wraps the functions ``resolve`` calls;
``resolve`` itself is the installed code): normalise (cleaning), blocking (candidate pairs),
levels (agreement levels of the candidate pairs), u sample (random pairs and their levels, for
``u``), EM fit, scoring (match weight and probability), clustering; *other* is the rest of the
call. After each stage the process's peak RSS is recorded, so one sees where the memory goes.

Data (one deterministic table per size, ``numpy.random.default_rng(seed)``, made column-wise
with numpy and polars in a child process; see ``generate``):

- originals: first and last names drawn from vocabularies of syllable-composed names (5,000
  first names, 30,000 last names) with Zipf-Mandelbrot frequencies (p_k ~ 1 / (k + offset)), so
  the commonest first name is ~2.5 % and the commonest last name ~1.2 % of people, as in real
  populations; e-mail made of the names, a number and a domain (unique per person); a 10-digit
  phone; a birth date (1940-2006); an address (house number, one of 10,000 street names, a street
  type); one of 400 cities (Zipf) and a postcode of that city (bigger cities have more codes);
- duplicates, the rules of Febrl's generator (Christen, ``dsgen/generate.py``): 20 % of the
  originals get 1-3 duplicates (50 / 30 / 20 %), each with 1-3 modifications (35 / 40 / 25 %)
  drawn from: a character typo (insert, delete, substitute, transpose) in a name, e-mail, address
  or city; a missing value; first and last name swapped; a first name cut to its first 3-4
  letters (a nickname); another e-mail domain; a phone digit substituted or two transposed; a birth
  date with day and month swapped (when the day is <= 12) or a digit typo; a postcode typo; the
  street type abbreviated (street -> st); a move (new address, city and postcode). The originals
  are complete; rows are shuffled; the true entity id is kept.

Each (size, max_block) runs in a fresh process, so the parent records its peak memory (max RSS,
from ``os.wait4``) without sharing it between sizes; the parent imports no data library. The
sizes run with crmind's default ``max_block`` (100) and with the smaller ones of
``--max-blocks`` (default 25), every other option at its default. Quality: pairwise precision /
recall / F1 of the clusters against the truth (``crmind.identity.evaluate.pairwise_scores``),
blocking recall (the share of the true pairs that are candidate pairs) and, after the timed
call, a diagnosis of the EM: the same model re-fitted with its EM stopped after 1, 2, 3, ...
iterations, and an oracle (m and u from the truth). Per blocking rule, the bench also counts
(from key sizes, outside the timed call) the pairs it makes and the records in keys skipped for
exceeding ``max_block``. A digest of crmind.identity's source is recorded with each case.

Peer (``--peer-sizes``): the ``recordlinkage`` package on the columns cleaned by crmind's
``normalise``: ``Index`` blocking on the same keys (it has no ``max_block``; only up to
``PEER_OWN_BLOCKING_MAX`` records, beyond which the uncapped keys make too many pairs),
``Compare`` (Jaro-Winkler >= 0.85 for names, city, e-mail and address, exact for phone, birth
date and postcode), ``ECMClassifier`` (binary features), clusters by connected components of
its matches; and the same comparison and classifier on crmind's candidate pairs (so the two
differ only in comparison and model).

The machine's CPU use by other processes during each run is recorded (a shared machine
inflates wall times). Results: bench/results/identity.json and identity.md.

Usage: .venv/bin/python bench/bench_identity.py [--sizes 10000,100000,1000000]
       [--max-blocks 100,25] [--peer-sizes 10000,100000] [--repeat 3] [--timeout 3600]
       .venv/bin/python bench/bench_identity.py --markdown   (identity.md from identity.json)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

HERE: Final = Path(__file__).resolve().parent
RESULTS: Final = HERE / "results"
SEED: Final = 0
SIZES: Final = "10000,100000,1000000"
REPEAT_UNDER_SECONDS: Final = 30.0
THRESHOLDS: Final = (0.5, 0.8, 0.9, 0.95, 0.99)
EM_ITERATIONS: Final = (1, 2, 3, 5, 10, 20)
DEFAULT_MAX_BLOCK: Final = 100  # crmind's default, recorded by each case (default_max_block)
PEER_OWN_BLOCKING_MAX: Final = 10_000
IDENTITY_MODULES: Final = (
    "blocking",
    "clusters",
    "compare",
    "evaluate",
    "fellegi_sunter",
    "fields",
    "resolve",
)
STAGES: Final = ("normalise", "blocking", "levels", "u_sample", "fit", "score", "cluster", "other")

FIRST_NAMES: Final = (5_000, 5)  # vocabulary size, Zipf-Mandelbrot offset
LAST_NAMES: Final = (30_000, 10)
STREETS: Final = (10_000, 20)
CITIES: Final = (400, 3)
POSTCODES: Final = 4_000  # about; spread over the cities by their weight, at least 1 each
DUPLICATED_SHARE: Final = 0.2
DUPLICATES: Final = {1: 0.5, 2: 0.3, 3: 0.2}
MODIFICATIONS: Final = {1: 0.35, 2: 0.40, 3: 0.25}
ONSETS: Final = (
    *"bcdfghjklmnprstvwz",
    "br",
    "ch",
    "cl",
    "dr",
    "fr",
    "gr",
    "kr",
    "sh",
    "st",
    "th",
    "tr",
)
VOWELS: Final = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ie", "ou", "y")
CODAS: Final = ("", "", "", "", "n", "r", "l", "s", "t", "m", "ck", "nd", "rt", "ss")
CITY_SUFFIXES: Final = ("", "", "ton", "ville", "burg", "field", "ford", " city", "port", "ham")
STREET_TYPES: Final = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "lane": "ln",
    "drive": "dr",
    "court": "ct",
    "place": "pl",
    "crescent": "cres",
    "way": "wy",
    "close": "cl",
}
STREET_TYPE_WEIGHTS: Final = (0.3, 0.2, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02)
DOMAINS: Final = {
    "gmail.com": 0.35,
    "yahoo.com": 0.15,
    "hotmail.com": 0.12,
    "outlook.com": 0.10,
    "aol.com": 0.05,
    "icloud.com": 0.05,
    "gmx.net": 0.05,
    "mail.com": 0.05,
    "live.com": 0.04,
    "protonmail.com": 0.04,
}
NOISE: Final = {
    "typo_first_name": 0.11,
    "typo_last_name": 0.11,
    "typo_email": 0.07,
    "typo_address": 0.08,
    "typo_city": 0.03,
    "missing_first_name": 0.01,
    "missing_email": 0.05,
    "missing_phone": 0.06,
    "missing_birth_date": 0.05,
    "missing_address": 0.03,
    "missing_postcode": 0.02,
    "swap_names": 0.04,
    "nickname": 0.05,
    "email_domain": 0.06,
    "phone_typo": 0.06,
    "date_swap": 0.05,
    "date_typo": 0.03,
    "postcode_typo": 0.03,
    "street_type": 0.04,
    "moved": 0.02,
}
"""Modification types of a duplicate and their relative weights (module docstring)."""

Result = dict[str, Any]


# -- data: made in a child process, columns at a time ----------------------------------------


def _zipf(size: int, offset: int) -> Any:
    """Zipf-Mandelbrot probabilities p_k ~ 1 / (k + offset), k = 1 .. size."""
    import numpy as np

    weights = 1.0 / (np.arange(1, size + 1) + offset)
    return weights / weights.sum()


def _vocabulary(rng: Any, size: int, low: int, high: int, suffixes: tuple[str, ...] = ("",)) -> Any:
    """``size`` distinct words of ``low`` .. ``high`` syllables (onset + vowel + coda)."""
    import numpy as np

    syllables = np.array([o + v + c for o in ONSETS for v in VOWELS for c in CODAS], dtype=object)
    words: dict[str, None] = {}
    while len(words) < size:
        count = 2 * size
        parts = rng.integers(low, high + 1, count)
        drawn = syllables[rng.integers(0, syllables.size, (count, high))]
        ends = np.asarray(suffixes, dtype=object)[rng.integers(0, len(suffixes), count)]
        for row, n, end in zip(drawn, parts, ends, strict=True):
            words.setdefault("".join(row[:n]) + end)
            if len(words) == size:
                break
    return np.array(list(words), dtype=object)


def _draw(rng: Any, vocabulary: Any, probabilities: Any, count: int) -> Any:
    import numpy as np

    return vocabulary[rng.choice(np.arange(vocabulary.size), size=count, p=probabilities)]


def _digits(rng: Any, count: int, width: int) -> Any:
    """``count`` strings of ``width`` random digits."""
    import polars as pl

    return pl.Series(rng.integers(0, 10**width, count)).cast(pl.String).str.zfill(width)


def _vocabularies(rng: Any) -> Result:
    """Names, streets, cities and the postcodes of each city."""
    import numpy as np

    per_city = np.maximum(1, np.round(POSTCODES * _zipf(*CITIES))).astype(np.int64)
    return {
        "first": _vocabulary(rng, FIRST_NAMES[0], 2, 3),
        "last": _vocabulary(rng, LAST_NAMES[0], 2, 3),
        "streets": _vocabulary(rng, STREETS[0], 2, 3),
        "cities": _vocabulary(rng, CITIES[0], 1, 3, CITY_SUFFIXES),
        "per_city": per_city,
        "codes": rng.choice(np.arange(10_000, 100_000), size=int(per_city.sum()), replace=False),
    }


def _originals(rng: Any, count: int, words: Result) -> Any:
    import numpy as np
    import polars as pl

    first, last, streets, cities = words["first"], words["last"], words["streets"], words["cities"]
    per_city, codes = words["per_city"], words["codes"]
    code_start = np.r_[0, np.cumsum(per_city)[:-1]]
    city = rng.choice(np.arange(CITIES[0]), size=count, p=_zipf(*CITIES))
    postcode = codes[code_start[city] + (rng.random(count) * per_city[city]).astype(np.int64)]
    days = rng.integers(
        np.datetime64("1940-01-01").astype(np.int64),
        np.datetime64("2007-01-01").astype(np.int64),
        count,
    )
    street_types = np.array(list(STREET_TYPES), dtype=object)
    frame = pl.DataFrame(
        {
            "entity_id": np.arange(count, dtype=np.int64),
            "first_name": _draw(rng, first, _zipf(*FIRST_NAMES), count),
            "last_name": _draw(rng, last, _zipf(*LAST_NAMES), count),
            "birth_date": pl.Series(days.astype("datetime64[D]")).dt.strftime("%Y-%m-%d"),
            "house": rng.integers(1, 400, count),
            "street": _draw(rng, streets, _zipf(*STREETS), count),
            "street_type": _draw(rng, street_types, STREET_TYPE_WEIGHTS, count),
            "city": cities[city],
            "postcode": pl.Series(postcode).cast(pl.String),
            "phone": pl.Series(["0"] * count) + _digits(rng, count, 9),
            "email_format": rng.integers(0, 5, count),
            "number": rng.integers(1, 1000, count),
            "domain": _draw(
                rng, np.array(list(DOMAINS), dtype=object), list(DOMAINS.values()), count
            ),
        }
    )
    first_col, last_col, number = pl.col("first_name"), pl.col("last_name"), pl.col("number")
    local = (
        pl.when(pl.col("email_format") == 0)
        .then(pl.concat_str(first_col, pl.lit("."), last_col))
        .when(pl.col("email_format") == 1)
        .then(pl.concat_str(first_col, last_col, number % 100))
        .when(pl.col("email_format") == 2)
        .then(pl.concat_str(first_col.str.slice(0, 1), last_col, number))
        .when(pl.col("email_format") == 3)
        .then(pl.concat_str(first_col, pl.lit("_"), last_col, pl.col("birth_date").str.slice(2, 2)))
        .otherwise(pl.concat_str(last_col, first_col.str.slice(0, 1), number % 100))
    )
    frame = frame.with_columns(local.alias("local"))
    # an e-mail is one person's: a local part already taken gets the entity id appended
    unique_local = (
        pl.when(pl.col("local").is_first_distinct())
        .then(pl.col("local"))
        .otherwise(pl.concat_str(pl.col("local"), pl.col("entity_id")))
    )
    return frame.select(
        "entity_id",
        "first_name",
        "last_name",
        pl.concat_str(unique_local, pl.lit("@"), pl.col("domain")).alias("email"),
        # phones written as 0xx xxx xxxx; cleaning keeps the digits
        pl.concat_str(
            pl.col("phone").str.slice(0, 3),
            pl.col("phone").str.slice(3, 3),
            pl.col("phone").str.slice(6),
            separator=" ",
        ).alias("phone"),
        "birth_date",
        pl.concat_str("house", "street", "street_type", separator=" ").alias("address"),
        "city",
        "postcode",
    )


def _typo(rng: Any, column: str, rows: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz") -> Any:
    """``column`` with one insert, delete, substitute or transpose at a random position."""
    import numpy as np
    import polars as pl

    text = pl.col(column)
    length = text.str.len_chars()
    position = (pl.lit(pl.Series(rng.random(rows))) * length).floor().cast(pl.Int64)
    pair = pl.min_horizontal(position, pl.max_horizontal(length - 2, 0))
    letters = np.array(list(alphabet), dtype=object)
    char = pl.lit(pl.Series(letters[rng.integers(0, letters.size, rows)], dtype=pl.String))
    operation = pl.lit(pl.Series(rng.integers(0, 4, rows)))
    head = text.str.slice(0, position)
    return (
        pl.when(operation == 0)
        .then(pl.concat_str(head, char, text.str.slice(position)))
        .when(operation == 1)
        .then(pl.concat_str(head, text.str.slice(position + 1)))
        .when(operation == 2)
        .then(pl.concat_str(head, char, text.str.slice(position + 1)))
        .otherwise(
            pl.concat_str(
                text.str.slice(0, pair),
                text.str.slice(pair + 1, 1),
                text.str.slice(pair, 1),
                text.str.slice(pair + 2),
            )
        )
    )


def _modified(rng: Any, kind: str, rows: int, fresh: Any) -> dict[str, Any]:
    """The new value of the columns that modification ``kind`` changes (polars expressions)."""
    import numpy as np
    import polars as pl

    if kind.startswith("typo_"):
        column = kind.removeprefix("typo_")
        return {column: _typo(rng, column, rows)}
    if kind.startswith("missing_"):
        return {kind.removeprefix("missing_"): pl.lit(None, dtype=pl.String)}
    if kind == "swap_names":
        return {"first_name": pl.col("last_name"), "last_name": pl.col("first_name")}
    if kind == "nickname":
        cut = pl.lit(pl.Series(rng.integers(3, 5, rows)))
        return {"first_name": pl.col("first_name").str.slice(0, cut)}
    if kind == "email_domain":
        domains = np.array(list(DOMAINS), dtype=object)
        drawn = pl.lit(pl.Series(domains[rng.integers(0, domains.size, rows)], dtype=pl.String))
        local = pl.col("email").str.split("@").list.first()
        return {"email": pl.concat_str(local, pl.lit("@"), drawn)}
    if kind == "phone_typo":
        return {"phone": _typo(rng, "phone", rows, "0123456789")}
    if kind in ("date_swap", "date_typo"):
        date = pl.col("birth_date")
        swapped = pl.concat_str(
            date.str.slice(0, 4), date.str.slice(8, 2), date.str.slice(5, 2), separator="-"
        )
        typo = _typo(rng, "birth_date", rows, "0123456789")
        if kind == "date_typo":
            return {"birth_date": typo}
        return {
            "birth_date": pl.when(date.str.slice(8, 2).cast(pl.Int64, strict=False) <= 12)
            .then(swapped)
            .otherwise(typo)
        }
    if kind == "postcode_typo":
        return {"postcode": _typo(rng, "postcode", rows, "0123456789")}
    if kind == "street_type":
        address = pl.col("address")
        for word, short in STREET_TYPES.items():
            address = address.str.replace(f" {word}$", f" {short}")
        return {"address": address}
    if kind == "moved":
        return {name: pl.lit(fresh.get_column(name)) for name in ("address", "city", "postcode")}
    raise ValueError(kind)


def generate(rows: int, seed: int = SEED) -> Any:
    """``rows`` customer records, originals and their noisy duplicates (module docstring)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    mean = sum(count * share for count, share in DUPLICATES.items())
    originals = int(rows / (1 + DUPLICATED_SHARE * mean))
    wanted = rows - originals
    chosen = rng.random(originals) < DUPLICATED_SHARE
    copies = np.where(
        chosen, rng.choice(list(DUPLICATES), size=originals, p=list(DUPLICATES.values())), 0
    )
    # adjust to exactly ``rows`` records: remove copies from the end or give copies to others
    excess = int(copies.sum()) - wanted
    if excess > 0:
        cut = np.cumsum(copies[::-1])
        last = int(np.searchsorted(cut, excess))
        copies[::-1][:last] = 0
        copies[::-1][last] = cut[last] - excess
    elif excess < 0:
        spare = np.flatnonzero(copies == 0)
        copies[rng.choice(spare, size=-excess, replace=False)] = 1
    words = _vocabularies(rng)
    base = _originals(rng, originals, words)
    duplicates = base[np.repeat(np.arange(originals), copies)]
    count = duplicates.height
    fresh = _originals(rng, count, words)
    kinds = list(NOISE)
    weights = np.array(list(NOISE.values()))
    drawn = rng.choice(len(kinds), size=(count, max(MODIFICATIONS)), p=weights / weights.sum())
    made = rng.choice(list(MODIFICATIONS), size=count, p=list(MODIFICATIONS.values()))
    applied = np.zeros(len(kinds), dtype=np.int64)
    for slot in range(max(MODIFICATIONS)):
        for index, kind in enumerate(kinds):
            mask = (drawn[:, slot] == index) & (made > slot)
            if not mask.any():
                continue
            rows_changed = np.flatnonzero(mask)
            applied[index] += rows_changed.size
            changes = _modified(rng, kind, rows_changed.size, fresh[rows_changed])
            new = duplicates[rows_changed].select(
                value.alias(name) for name, value in changes.items()
            )
            duplicates = duplicates.with_columns(
                duplicates.get_column(name).clone().scatter(rows_changed, new.get_column(name))
                for name in new.columns
            )
    records = pl.concat([base, duplicates])
    assert records.height == rows, (records.height, rows)
    order = rng.permutation(rows)
    records = records[order].with_columns(pl.Series("record_id", np.arange(rows, dtype=np.int64)))
    stats = {
        "rows": rows,
        "originals": originals,
        "duplicates": count,
        "entities_with_duplicates": int((copies > 0).sum()),
        "modifications": dict(zip(kinds, applied.tolist(), strict=True)),
    }
    return records.select("record_id", pl.exclude("record_id")), stats


def prepare(workdir: str, sizes: str) -> Result:
    tables: Result = {}
    for rows in (int(size) for size in sizes.split(",")):
        started = time.perf_counter()
        frame, stats = generate(rows)
        seconds = time.perf_counter() - started
        path = Path(workdir) / f"customers_{rows}.parquet"
        frame.write_parquet(path)
        tables[str(rows)] = {"path": str(path), "seconds": round(seconds, 2), **stats}
        if rows == min(int(size) for size in sizes.split(",")):
            tables[str(rows)]["example"] = _example(frame)
    return tables


def _example(frame: Any) -> list[Result]:
    """The records of the first entity of the table that has three or more."""
    import polars as pl

    sizes = frame.group_by("entity_id").len().filter(pl.col("len") >= 3).sort("entity_id")
    entity = sizes.get_column("entity_id")[0]
    rows: list[Result] = frame.filter(pl.col("entity_id") == entity).drop("record_id").to_dicts()
    return rows


# -- cases: each runs in its own process -----------------------------------------------------


def _rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Stopwatch:
    """Wall seconds of each stage (calls under the same name add up; a stage inside another
    counts for the outer one only) and the peak RSS after each."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rss_mib: dict[str, float] = {"start": _rss_mib()}
        self._depth = 0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._depth += 1
        started = time.perf_counter()
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                spent = time.perf_counter() - started
                self.seconds[name] = self.seconds.get(name, 0.0) + spent
                self.rss_mib[name] = _rss_mib()

    def wrap(self, owner: Any, attribute: str, name: Callable[[], str] | str) -> Callable[[], None]:
        """Replace ``owner.attribute`` (a function or method) by a timed one; the function that
        puts the original back."""
        original = getattr(owner, attribute)
        label = name if callable(name) else (lambda: name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(label()):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)
        return lambda: setattr(owner, attribute, original)


def _options(max_block: int) -> Any:
    from crmind.identity.resolve import ResolveOptions

    return ResolveOptions(max_block=max_block)


def _rule_sizes(clean: Any, rules: list[Any], max_block: int) -> list[Result]:
    """Per rule: the pairs it makes, the keys and records skipped for exceeding ``max_block``."""
    import polars as pl

    described = []
    for rule in rules:
        sizes = (
            clean.select(rule.key().alias("key"))
            .filter(pl.col("key").is_not_null())
            .group_by("key")
            .len()
            .get_column("len")
            .cast(pl.Int64)
        )
        kept = sizes.filter((sizes >= 2) & (sizes <= max_block))
        big = sizes.filter(sizes > max_block)
        described.append(
            {
                "rule": str(rule),
                "pairs": int((kept * (kept - 1) // 2).sum()),
                "largest_kept_key": int(kept.max() or 0),
                "skipped_keys": big.len(),
                "records_in_skipped_keys": int(big.sum()),
                "pairs_if_not_skipped": int((big * (big - 1) // 2).sum()),
            }
        )
    return described


def _unique_rows(levels: Any, return_counts: bool = False) -> Any:
    """``np.unique(levels, axis=0, return_counts=...)`` of a levels matrix (int8, -1 .. 6), the
    same rows in the same order, computed on the rows packed into one int64 each (3 bits a
    field): a sort of integers instead of numpy's sort of byte strings, ~100x faster."""
    import numpy as np

    shifted = levels.astype(np.int64) + 1
    packed = np.zeros(levels.shape[0], dtype=np.int64)
    for column in range(levels.shape[1]):
        packed = (packed << 3) | shifted[:, column]
    _, first, counts = np.unique(packed, return_index=True, return_counts=True)
    rows = levels[first]
    return (rows, counts) if return_counts else rows


class _FastUniqueNumpy:
    """numpy, except that ``unique(levels, axis=0, ...)`` is :func:`_unique_rows`."""

    def __getattr__(self, name: str) -> Any:
        import numpy as np

        return getattr(np, name)

    @staticmethod
    def unique(array: Any, **options: Any) -> Any:
        import numpy as np

        if (
            options.get("axis") == 0
            and array.ndim == 2
            and set(options) <= {"axis", "return_counts"}
        ):
            return _unique_rows(array, bool(options.get("return_counts")))
        return np.unique(array, **options)


def _em_diagnosis(resolution: Any, clean: Any, truth: Any, options: Any) -> Result:
    """Quality of resolve's model had its EM stopped after a few iterations, and of an oracle
    (m and u from the true matches and non-matches among the candidates), on the same candidate
    pairs and levels."""
    import logging

    import numpy as np

    from crmind.identity.blocking import LEFT, RIGHT
    from crmind.identity.clusters import cluster_records
    from crmind.identity.compare import comparison_levels
    from crmind.identity.evaluate import pairwise_scores
    from crmind.identity.resolve import random_pairs

    logging.getLogger("crmind.identity.fellegi_sunter").setLevel(logging.ERROR)
    fields = resolution.fields
    counts = [spec.levels for spec in fields]
    levels = resolution.levels
    left = resolution.pairs.get_column(LEFT).to_numpy()
    right = resolution.pairs.get_column(RIGHT).to_numpy()
    same = truth[left] == truth[right]
    sample = random_pairs(clean, options.random_pairs, options.random_state)
    random_levels = comparison_levels(clean, *sample, fields)

    def scored(model: Any) -> Result:
        probability = model.predict_proba(levels)
        clusters = cluster_records(truth.size, left, right, probability, options.threshold)
        scores = pairwise_scores(clusters, truth)
        return {
            "lambda": round(float(model.lambda_), 5),
            "precision": round(scores["precision"], 4),
            "recall": round(scores["recall"], 4),
            "f1": round(scores["f1"], 4),
            "mean_probability_true": round(float(probability[same].mean()), 4),
            "mean_probability_false": round(float(probability[~same].mean()), 4),
        }

    def frequencies(rows: Any, column: int, n: int) -> Any:
        known = rows[:, column][rows[:, column] >= 0].astype(np.int64)
        return (np.bincount(known, minlength=n) + 0.5) / (known.size + 0.5 * n)

    model_class = type(resolution.model)
    params = resolution.model.get_params()
    diagnosis: Result = {}
    # resolve's own model and EM, stopped early; its row-unique (numpy's, slow on millions of
    # rows) is replaced by an equivalent one while the diagnosis runs
    fitting = sys.modules[model_class.__module__]
    fitting.np = _FastUniqueNumpy()  # type: ignore[attr-defined]
    try:
        for iterations in EM_ITERATIONS:
            model = model_class(**{**params, "max_iter": iterations})
            diagnosis[f"em_{iterations}"] = scored(model.fit(levels, random_levels, counts))
        oracle = model_class(**{**params, "max_iter": 1}).fit(levels, random_levels, counts)
    finally:
        fitting.np = np  # type: ignore[attr-defined]
    oracle.m_ = [frequencies(levels[same], f, n) for f, n in enumerate(counts)]
    oracle.u_ = [frequencies(levels[~same], f, n) for f, n in enumerate(counts)]
    oracle.lambda_ = float(same.mean())
    diagnosis["oracle"] = scored(oracle)
    return diagnosis


def _source_digest(*modules: Any) -> str:
    """A short digest of the source files of ``modules`` (to tell code versions apart)."""
    import hashlib

    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:12]


def case_crmind(table: str, max_block: int) -> Result:
    import polars as pl

    import crmind.identity.resolve as resolving
    from crmind.identity.blocking import DEFAULT_MAX_BLOCK as CRMIND_MAX_BLOCK
    from crmind.identity.blocking import LEFT, RIGHT, default_rules
    from crmind.identity.clusters import cluster_records
    from crmind.identity.evaluate import cluster_scores, pairwise_scores
    from crmind.identity.fellegi_sunter import FellegiSunterModel
    from crmind.identity.fields import CUSTOMER_FIELDS, normalise

    source = _source_digest(*(sys.modules[f"crmind.identity.{name}"] for name in IDENTITY_MODULES))
    watch = Stopwatch()
    with watch.stage("read"):
        records = pl.read_parquet(table)
    truth = records.get_column("entity_id").to_numpy()
    frame = records.drop("record_id", "entity_id")
    levels_calls = [0]

    def levels_stage() -> str:
        levels_calls[0] += 1
        return "levels" if levels_calls[0] == 1 else "u_sample"

    restore = [
        watch.wrap(resolving, "normalise", "normalise"),
        watch.wrap(resolving, "candidate_pairs", "blocking"),
        watch.wrap(resolving, "comparison_levels", levels_stage),
        watch.wrap(resolving, "random_pairs", "u_sample"),
        watch.wrap(FellegiSunterModel, "fit", "fit"),
        watch.wrap(FellegiSunterModel, "match_weight", "score"),
        watch.wrap(FellegiSunterModel, "predict_proba", "score"),
        watch.wrap(resolving, "cluster_records", "cluster"),
    ]
    options = _options(max_block)
    started = time.perf_counter()
    resolution = resolving.resolve(frame, CUSTOMER_FIELDS, options)
    total = time.perf_counter() - started
    watch.rss_mib["resolve"] = _rss_mib()
    for undo in restore:
        undo()
    stages = {name: round(value, 3) for name, value in watch.seconds.items()}
    stages["other"] = round(total - sum(v for k, v in watch.seconds.items() if k != "read"), 3)
    stages["resolve"] = round(total, 3)
    pairs = resolution.pairs
    left = pairs.get_column(LEFT).to_numpy()
    right = pairs.get_column(RIGHT).to_numpy()
    probability = pairs.get_column(resolving.PROBABILITY).to_numpy()
    scores = pairwise_scores(resolution.clusters, truth)
    true_in_candidates = int((truth[left] == truth[right]).sum())
    rules = list(options.rules) if options.rules is not None else default_rules(CUSTOMER_FIELDS)
    clean = normalise(frame, CUSTOMER_FIELDS)
    model = resolution.model
    names = model.field_names_
    return {
        "rows": records.height,
        "stages": stages,
        "rss_mib": watch.rss_mib,
        "candidate_pairs": pairs.height,
        "true_pairs": scores["true_pairs"],
        "true_pairs_in_candidates": true_in_candidates,
        "blocking_recall": round(true_in_candidates / max(scores["true_pairs"], 1), 4),
        "level_patterns": int(_unique_rows(resolution.levels).shape[0]),
        "threshold": options.threshold,
        "max_block": options.max_block,
        "default_max_block": CRMIND_MAX_BLOCK,
        "pairwise": scores,
        "clusters": cluster_scores(resolution.clusters, truth),
        "f1_by_threshold": {
            str(threshold): round(
                pairwise_scores(
                    cluster_records(records.height, left, right, probability, threshold), truth
                )["f1"],
                4,
            )
            for threshold in THRESHOLDS
        },
        "identity_source": source,
        "options": {key: str(value) for key, value in vars(options).items()},
        "model_params": {key: str(value) for key, value in model.get_params().items()},
        "em": {
            "lambda": model.lambda_,
            "iterations": model.n_iter_,
            "converged": model.converged_,
            "m": {name: m.round(4).tolist() for name, m in zip(names, model.m_, strict=True)},
            "u": {name: u.round(4).tolist() for name, u in zip(names, model.u_, strict=True)},
        },
        "rules": _rule_sizes(clean, rules, options.max_block),
        "em_diagnosis": _em_diagnosis(resolution, clean, truth, options),
        "versions": _versions("crmind", "polars", "numpy", "rapidfuzz", "scipy"),
    }


def case_peer(table: str, max_block: int) -> Result:
    """recordlinkage on crmind's cleaned columns: its own blocking on the same keys (no cap; only
    up to ``PEER_OWN_BLOCKING_MAX`` records), and crmind's candidate pairs."""
    import warnings

    import numpy as np
    import pandas as pd
    import polars as pl
    import recordlinkage as rl  # type: ignore[import-untyped]

    from crmind.identity.blocking import LEFT, RIGHT, candidate_pairs, default_rules
    from crmind.identity.clusters import cluster_records
    from crmind.identity.evaluate import pairwise_scores
    from crmind.identity.fields import CUSTOMER_FIELDS, normalise

    warnings.simplefilter("ignore")
    records = pl.read_parquet(table)
    truth = records.get_column("entity_id").to_numpy()
    clean = normalise(records.drop("record_id", "entity_id"), CUSTOMER_FIELDS)
    rules = default_rules(CUSTOMER_FIELDS)
    result: Result = {
        "rows": records.height,
        "max_block": max_block,
        "versions": _versions("recordlinkage", "pandas"),
    }
    variants = ["crmind_candidates"]
    if records.height <= PEER_OWN_BLOCKING_MAX:
        variants.insert(0, "own_blocking")
    else:
        uncapped = _rule_sizes(clean, rules, records.height)
        result["own_blocking_skipped"] = {
            "pairs_before_union": sum(rule["pairs"] for rule in uncapped),
        }
    for variant in variants:
        watch = Stopwatch()
        with watch.stage("prepare"):
            data = clean.with_columns(
                pl.col(name).str.slice(0, 3).alias(f"{name}__3")
                for name in ("first_name", "last_name", "city")
            ).to_pandas()
            data = data.astype(object).where(data.notna(), np.nan)
        with watch.stage("blocking"):
            if variant == "own_blocking":
                indexer = rl.Index()
                for rule in rules:
                    columns = [f"{name}__3" if rule.prefix else name for name in rule.columns]
                    indexer.block(columns if len(columns) > 1 else columns[0])
                candidates = indexer.index(data)
            else:
                pairs = candidate_pairs(clean, rules, max_block=max_block)
                candidates = pd.MultiIndex.from_arrays(
                    [pairs.get_column(LEFT).to_numpy(), pairs.get_column(RIGHT).to_numpy()]
                )
        with watch.stage("compare"):
            compare = rl.Compare(n_jobs=1)
            for name in ("first_name", "last_name", "city", "email", "address"):
                compare.string(name, name, method="jarowinkler", threshold=0.85, label=name)
            for name in ("phone", "birth_date", "postcode"):
                compare.exact(name, name, label=name)
            features = compare.compute(candidates, data)
        with watch.stage("fit"):
            classifier = rl.ECMClassifier(binarize=None)
            matches = classifier.fit_predict(features)
        with watch.stage("cluster"):
            left = np.asarray(matches.get_level_values(0), dtype=np.int64)
            right = np.asarray(matches.get_level_values(1), dtype=np.int64)
            clusters = cluster_records(records.height, left, right, np.ones(left.size), 0.5)
        first = np.asarray(candidates.get_level_values(0), dtype=np.int64)
        second = np.asarray(candidates.get_level_values(1), dtype=np.int64)
        true_in_candidates = int((truth[first] == truth[second]).sum())
        scores = pairwise_scores(clusters, truth)
        result[variant] = {
            "stages": {name: round(value, 3) for name, value in watch.seconds.items()},
            "seconds": round(sum(watch.seconds.values()), 3),
            "rss_mib": watch.rss_mib,
            "candidate_pairs": len(candidates),
            "blocking_recall": round(true_in_candidates / max(scores["true_pairs"], 1), 4),
            "predicted_matches": len(matches),
            "pairwise": scores,
        }
        del data, candidates, features, matches
    return result


def _versions(*packages: str) -> dict[str, str]:
    from importlib.metadata import version

    return {package: version(package) for package in packages}


CASES: Final[dict[str, Callable[[str, int], Result]]] = {
    "crmind": case_crmind,
    "recordlinkage": case_peer,
}


# -- parent ----------------------------------------------------------------------------------


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat), or None."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def _child(arguments: list[str], timeout: float | None) -> tuple[Result | None, Result]:
    """Run this script with ``arguments``: its JSON result (None when it was stopped at
    ``timeout`` seconds or failed), and what the parent measured: wall seconds, peak RSS (MiB,
    from ``os.wait4``), the CPU seconds it and the rest of the machine used, its exit status."""
    busy_before = _busy_cpu_seconds()
    started = time.perf_counter()
    result: Result | None = None
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen([sys.executable, __file__, *arguments], stdout=output)
        stopped = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - started > timeout:
                child.kill()
                _, status, usage = os.wait4(child.pid, 0)
                stopped = True
                break
            time.sleep(0.05)
        child.returncode = status
        if status == 0:
            output.seek(0)
            result = json.loads(output.read().decode().strip().splitlines()[-1])
    measured: Result = {
        "process_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    }
    busy_after = _busy_cpu_seconds()
    if busy_before is not None and busy_after is not None:
        # CPU the rest of the machine used meanwhile: a sign of a disturbed measurement
        other = busy_after - busy_before - measured["cpu_seconds"]
        measured["other_cpu_seconds"] = round(max(other, 0.0), 1)
    if stopped:
        measured["stopped_after_seconds"] = measured["process_seconds"]
    elif status != 0:
        measured["failed_status"] = status  # e.g. killed for want of memory
    return result, measured


def _work_seconds(case: str, result: Result) -> float:
    if case == "crmind":
        return float(result["stages"]["resolve"])
    return float(result["crmind_candidates"]["seconds"])


def _run_case(
    case: str, table: Result, max_block: int, repeat: int, timeout: float | None
) -> Result:
    """Run a case up to ``repeat`` times (once if it is slow); the fastest run."""
    arguments = ["--case", case, "--table", table["path"], "--max-block", str(max_block)]
    runs = [_child(arguments, timeout)]
    if runs[0][0] is None:
        return {"case": case, "rows": table["rows"], "max_block": max_block, **runs[0][1]}
    while len(runs) < repeat and runs[0][1]["process_seconds"] <= REPEAT_UNDER_SECONDS:
        runs.append(_child(arguments, timeout))
    done = [(result, measured) for result, measured in runs if result is not None]
    result, measured = min(done, key=lambda run: _work_seconds(case, run[0]))
    return {"case": case, **measured, "runs": len(runs), **result}


def run(
    sizes: list[int],
    max_blocks: list[int],
    peer_sizes: list[int],
    repeat: int,
    timeout: float | None,
) -> Result:
    everything = sorted({*sizes, *peer_sizes})
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        arguments = ["--prepare", tmp, "--sizes", ",".join(map(str, everything))]
        tables, measured = _child(arguments, None)
        if tables is None:
            raise RuntimeError(f"making the tables failed: {measured}")
        print(f"tables made: {json.dumps(measured)}", flush=True)
        for size in everything:
            table = tables[str(size)]
            cases = [("crmind", block) for block in max_blocks if size in sizes]
            if size in peer_sizes:
                cases.append(("recordlinkage", max_blocks[0]))
            for case, max_block in cases:
                result = _run_case(case, table, max_block, repeat, timeout)
                results.append(result)
                brief = {k: v for k, v in result.items() if k not in ("em", "rules", "versions")}
                print(json.dumps(brief), flush=True)
    return {
        "machine": {
            "arch": platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "max_blocks": max_blocks,
        "repeat": repeat,
        "timeout": timeout,
        "data": {
            key: {k: v for k, v in value.items() if k != "path"} for key, value in tables.items()
        },
        "results": results,
    }


# -- report ----------------------------------------------------------------------------------


def _per_ten(rows: list[Result], key: Callable[[Result], float]) -> list[str]:
    """Growth of ``key`` from each size to the next, as a factor per 10x records."""
    import math

    cells = []
    for before, after in itertools.pairwise(rows):
        decades = math.log10(after["rows"] / before["rows"])
        if key(before) <= 0 or key(after) <= 0:
            cells.append("")
            continue
        cells.append(f"{(key(after) / key(before)) ** (1 / decades):.1f}x")
    return cells


def _seconds(value: float) -> str:
    """Seconds to 3 significant digits, whole seconds from 100 up."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _speed(ours: list[Result], unfinished: list[Result]) -> list[str]:
    rows = []
    for r in ours:
        s, p = r["stages"], r["pairwise"]
        rows.append(
            [
                f"{r['max_block']}",
                f"{r['rows']:,}",
                f"{r['candidate_pairs']:,}",
                f"{r['candidate_pairs'] / r['rows']:.1f}",
                *(_seconds(s.get(name, 0.0)) for name in STAGES),
                f"**{_seconds(s['resolve'])}**",
                f"{r['peak_rss_mib']:,.0f}",
                f"{r['rss_mib']['read']:,.0f}",
                f"{p['precision']:.4f}",
                f"{p['recall']:.4f}",
                f"**{p['f1']:.4f}**",
                f"{r['blocking_recall']:.4f}",
            ]
        )
    for r in unfinished:
        how = (
            f"stopped at the time limit, {r['process_seconds']} s"
            if "stopped_after_seconds" in r
            else f"failed (exit status {r['failed_status']}) after {r['process_seconds']} s"
        )
        rows.append(
            [f"{r['max_block']}", f"{r['rows']:,}", f"{r['case']}: {how}"]
            + [""] * (len(STAGES) + 3)
            + [f"{r['peak_rss_mib']:,.0f}"]
            + [""] * 5
        )
    header = [
        "max_block",
        "records",
        "candidate pairs",
        "pairs / record",
        *(f"{name} s" for name in STAGES),
        "total s",
        "peak MiB",
        "MiB before",
        "precision",
        "recall",
        "F1",
        "blocking recall",
    ]
    return _table(header, "r" * len(header), rows)


def _growth(ours: list[Result]) -> list[str]:
    rows = []
    for block in sorted({r["max_block"] for r in ours}, reverse=True):
        series = sorted((r for r in ours if r["max_block"] == block), key=lambda r: r["rows"])
        columns = [
            _per_ten(series, lambda r: float(r["candidate_pairs"])),
            _per_ten(series, lambda r: float(r["stages"]["blocking"])),
            _per_ten(series, lambda r: float(r["stages"]["levels"])),
            _per_ten(series, lambda r: float(r["stages"]["fit"])),
            _per_ten(series, lambda r: float(r["stages"]["resolve"])),
            _per_ten(series, lambda r: float(r["peak_rss_mib"])),
            _per_ten(series, lambda r: float(r["peak_rss_mib"] - r["rss_mib"]["read"])),
        ]
        for index, (before, after) in enumerate(itertools.pairwise(series)):
            rows.append(
                [
                    f"{block}",
                    f"{before['rows']:,} -> {after['rows']:,}",
                    *(column[index] for column in columns),
                ]
            )
    header = [
        "max_block",
        "records",
        "candidate pairs",
        "blocking s",
        "levels s",
        "fit s",
        "total s",
        "peak MiB",
        "MiB above 'before'",
    ]
    return _table(header, "lr" + "r" * (len(header) - 2), rows)


def _memory(ours: list[Result]) -> list[str]:
    names = ("start", "read", *STAGES[:-1])
    rows = [
        [f"{r['max_block']}", f"{r['rows']:,}", *(f"{r['rss_mib'].get(n, 0):,.0f}" for n in names)]
        for r in ours
    ]
    return _table(["max_block", "records", *names], "r" * (len(names) + 2), rows)


def _quality(ours: list[Result]) -> list[str]:
    rows = []
    for r in ours:
        p, em, diagnosis = r["pairwise"], r["em"], r["em_diagnosis"]
        rows.append(
            [
                f"{r['max_block']}",
                f"{r['rows']:,}",
                f"{p['true_pairs']:,}",
                f"{r['true_pairs_in_candidates']:,}",
                f"{p['predicted_pairs']:,}",
                f"{r['clusters']['predicted_clusters']:,}",
                f"{r['clusters']['exact_cluster_rate']:.3f}",
                f"{em['lambda']:.4f}",
                f"{em['iterations']}",
                f"{r['level_patterns']:,}",
                *(f"{r['f1_by_threshold'][str(t)]:.4f}" for t in THRESHOLDS),
            ]
        )
    header = [
        "max_block",
        "records",
        "true pairs",
        "true pairs in candidates",
        "predicted pairs",
        "clusters",
        "exact clusters",
        "EM lambda",
        "EM iterations",
        "level patterns",
        *(f"F1 at {t}" for t in THRESHOLDS),
    ]
    lines = _table(header, "r" * len(header), rows)
    rows = []
    for r in ours:
        diagnosis = r["em_diagnosis"]
        cells = [f"{r['max_block']}", f"{r['rows']:,}", f"{r['em']['lambda']:.4f}"]
        for name in [*(f"em_{n}" for n in EM_ITERATIONS), "oracle"]:
            d = diagnosis[name]
            cells.append(f"{d['lambda']:.4f} / {d['f1']:.4f}")
        rows.append(cells)
    header = [
        "max_block",
        "records",
        "lambda of resolve",
        *(f"EM {n} it. lambda / F1" for n in EM_ITERATIONS),
        "oracle: lambda / F1",
    ]
    return [*lines, "", *_table(header, "r" * len(header), rows)]


def _rules(ours: list[Result]) -> list[str]:
    default = sorted(
        (r for r in ours if r["max_block"] == max(x["max_block"] for x in ours)),
        key=lambda r: r["rows"],
    )
    if not default:
        return []
    rows = []
    for index, rule in enumerate(default[0]["rules"]):
        cells = [rule["rule"]]
        cells += [f"{r['rules'][index]['pairs']:,}" for r in default]
        cells += [f"{r['rules'][index]['records_in_skipped_keys']:,}" for r in default]
        cells += [f"{r['rules'][index]['pairs_if_not_skipped']:,}" for r in default]
        rows.append(cells)
    rows.append(
        ["all rules: sum / after the union"]
        + [f"{sum(x['pairs'] for x in r['rules']):,} / {r['candidate_pairs']:,}" for r in default]
        + [""] * (2 * len(default))
    )
    sizes = [
        f"{r['rows'] // 10**6}M" if r["rows"] % 10**6 == 0 else f"{r['rows'] / 1000:g}k"
        for r in default
    ]
    header = [
        f"rule (max_block {default[0]['max_block']})",
        *(f"pairs {s}" for s in sizes),
        *(f"records in skipped keys {s}" for s in sizes),
        *(f"pairs if kept {s}" for s in sizes),
    ]
    return _table(header, "l" + "r" * (len(header) - 1), rows)


def _peer(peers: list[Result], ours: list[Result]) -> list[str]:
    rows = []
    for peer in peers:
        mine = next(
            (r for r in ours if r["rows"] == peer["rows"] and r["max_block"] == peer["max_block"]),
            None,
        )
        if mine:
            s, p = mine["stages"], mine["pairwise"]
            rows.append(
                [
                    f"{mine['rows']:,}",
                    "crmind `resolve`",
                    f"own, max_block {mine['max_block']}",
                    f"{mine['candidate_pairs']:,}",
                    _seconds(s["normalise"] + s["blocking"]),
                    _seconds(s["levels"]),
                    _seconds(s["u_sample"] + s["fit"] + s["score"]),
                    _seconds(s["resolve"]),
                    f"{mine['peak_rss_mib']:,.0f}",
                    f"{p['precision']:.4f}",
                    f"{p['recall']:.4f}",
                    f"{p['f1']:.4f}",
                ]
            )
        if "own_blocking_skipped" in peer:
            pairs = peer["own_blocking_skipped"]["pairs_before_union"]
            rows.append(
                [
                    f"{peer['rows']:,}",
                    "recordlinkage",
                    "same keys, no cap",
                    f"not run: {pairs:,} pairs before the union",
                    *([""] * 8),
                ]
            )
        for variant, label in (
            ("own_blocking", "same keys, no cap"),
            ("crmind_candidates", f"crmind's (max_block {peer['max_block']})"),
        ):
            if variant not in peer:
                continue
            v = peer[variant]
            s, p = v["stages"], v["pairwise"]
            rows.append(
                [
                    f"{peer['rows']:,}",
                    "recordlinkage",
                    label,
                    f"{v['candidate_pairs']:,}",
                    _seconds(s["prepare"] + s["blocking"]),
                    _seconds(s["compare"]),
                    _seconds(s["fit"]),
                    _seconds(v["seconds"]),
                    f"{peer['peak_rss_mib']:,.0f}",
                    f"{p['precision']:.4f}",
                    f"{p['recall']:.4f}",
                    f"{p['f1']:.4f}",
                ]
            )
    header = [
        "records",
        "library",
        "candidates",
        "candidate pairs",
        "blocking s",
        "compare s",
        "model s",
        "total s",
        "peak MiB",
        "precision",
        "recall",
        "F1",
    ]
    return _table(header, "rll" + "r" * (len(header) - 3), rows)


def _reading(ours: list[Result], peers: list[Result]) -> list[str]:
    """What the tables say, in sentences computed from them."""
    if not ours:
        return []
    top = max(r["max_block"] for r in ours)
    default = sorted((r for r in ours if r["max_block"] == top), key=lambda r: r["rows"])
    big = default[-1]
    s = big["stages"]
    total = s["resolve"]
    lines = [
        f"- {big['rows']:,} records, max_block {top}: the call takes {_seconds(total)} s "
        f"({total / 60:.1f} min) and the process peaks at {big['peak_rss_mib'] / 1024:.1f} GiB "
        f"for {big['candidate_pairs']:,} candidate pairs. Comparison levels take "
        f"{s['levels'] / total:.0%} of the time and the EM fit {s['fit'] / total:.0%}; blocking "
        f"{s['blocking'] / total:.0%}. The peak is reached while computing the levels (RSS "
        f"{big['rss_mib']['blocking']:,.0f} MiB after blocking, {big['rss_mib']['levels']:,.0f} "
        "MiB after the levels).",
    ]
    if len(default) > 1:
        per_record = " -> ".join(f"{r['candidate_pairs'] / r['rows']:.1f}" for r in default)
        first, last = default[0], default[-1]
        rules = [rule["rule"] for rule in last["rules"]]

        def pairs(r: Result, rule: str) -> int:
            return int(next(x["pairs"] for x in r["rules"] if x["rule"] == rule))

        growing = max(rules, key=lambda rule: pairs(last, rule) / max(pairs(first, rule), 1))
        dropped = [
            rule
            for rule in rules
            if any(
                pairs(after, rule) < 0.5 * pairs(before, rule)
                for before, after in itertools.pairwise(default)
            )
        ]
        lines.append(
            f"- Candidate pairs per record grow with the data ({per_record}), so the cost grows "
            "faster than the records: the keys with a bounded number of values make blocks that "
            f"grow with the data, and their pairs grow about quadratically ({growing}: "
            + " -> ".join(f"{pairs(r, growing):,}" for r in default)
            + " pairs) until a block passes max_block and the key is dropped whole"
            + (
                f" ({', '.join(dropped)}: "
                + "; ".join(" -> ".join(f"{pairs(r, rule):,}" for r in default) for rule in dropped)
                + ")"
                if dropped
                else ""
            )
            + ". Which rules contribute therefore changes with the size of the store."
        )
    for block in sorted({r["max_block"] for r in ours} - {top}, reverse=True):
        other = next(
            (r for r in ours if r["max_block"] == block and r["rows"] == big["rows"]), None
        )
        if other is None:
            continue
        memory = other["peak_rss_mib"] / big["peak_rss_mib"]
        lines.append(
            f"- max_block {block} at {big['rows']:,} records: "
            f"{_seconds(other['stages']['resolve'])} s and {other['peak_rss_mib']:,.0f} MiB "
            f"({other['stages']['resolve'] / total:.0%} and {memory:.0%} of max_block {top}), "
            f"{other['candidate_pairs']:,} candidate pairs; blocking recall "
            f"{other['blocking_recall']:.4f} (against {big['blocking_recall']:.4f}), F1 "
            f"{other['pairwise']['f1']:.4f} (against {big['pairwise']['f1']:.4f})."
        )
    gaps = [
        f"{r['rows']:,}/{r['max_block']}: {r['pairwise']['f1']:.4f} vs "
        f"{r['em_diagnosis']['oracle']['f1']:.4f}"
        for r in ours
    ]
    lines.append(
        "- F1 of `resolve` against the oracle (m and u from the truth) on the same levels, per "
        "records/max_block: " + "; ".join(gaps) + "."
    )
    for peer in peers:
        mine = next(
            (r for r in ours if r["rows"] == peer["rows"] and r["max_block"] == peer["max_block"]),
            None,
        )
        if mine is None or "crmind_candidates" not in peer:
            continue
        theirs = peer["crmind_candidates"]
        lines.append(
            f"- recordlinkage on crmind's {theirs['candidate_pairs']:,} candidate pairs "
            f"({peer['rows']:,} records): {_seconds(theirs['seconds'])} s, F1 "
            f"{theirs['pairwise']['f1']:.4f}; crmind's whole call "
            f"{_seconds(mine['stages']['resolve'])} s, F1 {mine['pairwise']['f1']:.4f}."
        )
    return ["## Reading", "", *lines, ""]


def _code_versions(ours: list[Result]) -> list[str]:
    """The options and model parameters of the call, and whether every case ran the same code."""
    if not ours:
        return []
    digests = sorted({r["identity_source"] for r in ours})
    options = ", ".join(
        f"{k}={v}" for k, v in ours[0]["options"].items() if k not in ("max_block", "rules")
    )
    params = ", ".join(f"{k}={v}" for k, v in ours[0]["model_params"].items())
    line = (
        f"Options besides max_block: {options} (rules=None: the default rules). Model: "
        f"{params}. Source of crmind.identity: digest {', '.join(digests)}"
    )
    if len(digests) > 1:
        line += (
            " -- **the cases ran different versions of the code** (it was edited during the "
            "run): "
            + "; ".join(f"{r['rows']:,}/{r['max_block']}: {r['identity_source']}" for r in ours)
        )
    return [line + ".", ""]


def _disturbance(results: list[Result]) -> str:
    """How busy the rest of the machine was during the counted runs."""
    shares = [
        (float(r["other_cpu_seconds"]) / float(r["process_seconds"]), r)
        for r in results
        if "other_cpu_seconds" in r and float(r.get("process_seconds", 0)) > 0
    ]
    if not shares:
        return "The CPU use of other processes during the runs was not measured."
    cores = os.cpu_count() or 1
    share, worst = max(shares, key=lambda item: item[0])
    mean = sum(s for s, _ in shares) / len(shares)
    return (
        f"The machine is shared: other processes used on average {mean:.1f} of its {cores} "
        f"cores during the counted runs, at most {share:.1f} ({worst['case']}, "
        f"{worst['rows']:,} records); each run's figure is in identity.json as "
        "other_cpu_seconds. Seconds are wall time, so a busy machine inflates them."
    )


def _markdown(report: Result) -> str:
    results = report["results"]
    ours = sorted(
        (r for r in results if r["case"] == "crmind" and "stages" in r),
        key=lambda r: (-r["max_block"], r["rows"]),
    )
    unfinished = [r for r in results if "stopped_after_seconds" in r or "failed_status" in r]
    peers = [r for r in results if r["case"] == "recordlinkage" and r not in unfinished]
    versions = ours[0]["versions"] if ours else {}
    machine = report["machine"]
    blocks = report["max_blocks"]
    default_block = ours[0]["default_max_block"] if ours else DEFAULT_MAX_BLOCK
    sizes = ",".join(str(size) for size in sorted({r["rows"] for r in results if r in ours}))
    heaviest = max(results, key=lambda r: float(r["peak_rss_mib"]))
    peer_sizes = ",".join(str(r["rows"]) for r in results if r["case"] == "recordlinkage")
    command = (
        f"`.venv/bin/python bench/bench_identity.py --sizes {sizes} "
        f"--max-blocks {','.join(map(str, blocks))} --peer-sizes {peer_sizes}` "
        f"(the counted runs took {sum(float(r['process_seconds']) for r in results) / 60:.0f} "
        f"min here, the largest process {heaviest['peak_rss_mib'] / 1024:.1f} GiB: "
        f"{heaviest['rows']:,} records, max_block {heaviest['max_block']})"
    )
    lines = [
        "# Identity resolution: candidates, comparison, EM and clustering, 10k-1M records",
        "",
        f"Machine: {machine['arch']}, {machine['cores']} cores, Python {machine['python']}, "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f". Command: {command}.",
        "",
        "The call measured: `resolve(records, CUSTOMER_FIELDS, ResolveOptions(max_block=B))`, "
        "every other option at its default (the default rules `default_rules(CUSTOMER_FIELDS)`, "
        "threshold 0.9, 200,000 random pairs for u), on synthetic customers with Febrl-style "
        f"noise (see Data). max_block {default_block} is crmind's default"
        + (
            "; the other max_block rows are the same call with a smaller cap, passed by the bench."
            if len(blocks) > 1
            else "."
        ),
        "Each (size, max_block) runs in a fresh process; *peak MiB* is that process's max RSS "
        "(from `os.wait4`), *MiB before* its RSS after the imports and reading the table. Stage "
        "seconds are measured inside the call (the bench wraps the functions `resolve` calls): "
        "normalise (cleaning), blocking (candidate pairs), levels (agreement levels of the "
        "candidate pairs), u_sample (200,000 random pairs and their levels), fit (EM), score "
        "(match weight and probability), cluster (connected components), other (the rest); "
        f"total is the whole call. A case whose process takes under {REPEAT_UNDER_SECONDS:.0f} s "
        f"runs up to {report['repeat']} times and the fastest counts.",
        "",
        *_speed(ours, unfinished),
        "",
        _disturbance(results),
        "",
        *_code_versions(ours),
        *_reading(ours, peers),
        "## Growth",
        "",
        "Factor per 10x records, from each size to the next (10x = linear, 100x = quadratic):",
        "",
        *_growth(ours),
        "",
        "Peak RSS (MiB, the running maximum of the process) after each stage:",
        "",
        *_memory(ours),
        "",
        "## Quality and the EM",
        "",
        "Pairwise precision / recall / F1 of the clusters against the true entities "
        "(`crmind.identity.evaluate.pairwise_scores`: every two records in one cluster are a "
        "predicted match). *True pairs in candidates* / true pairs is the blocking recall. "
        "*Exact clusters*: the share of the entities with two or more records whose cluster was "
        "found exactly. F1 at t: the same pairs and probabilities clustered at threshold t.",
        "",
        *_quality(ours),
        "",
        "The second table re-fits crmind's `FellegiSunterModel` on the same candidate levels and "
        "random-pair levels, stopped after 1, 2, 3, ... EM iterations (`max_iter`), and scores "
        "its clusters at threshold 0.9 (the other parameters as in `resolve`); *oracle* takes m, "
        "u and lambda from the true matches and non-matches among the candidate pairs: the best "
        "the levels allow under the model's independence assumption. This diagnosis runs after "
        "the timed call.",
        "",
        "## Blocking rules",
        "",
        "Per default rule: the pairs it makes (before the union over rules), the records in keys "
        "skipped for being shared by more than max_block records, and the pairs those keys would "
        "have made. Counted from the key sizes after the timed call.",
        "",
        *_rules(ours),
    ]
    if peers:
        peer = peers[0]
        lines += [
            "",
            "## Peer: recordlinkage",
            "",
            f"recordlinkage {peer['versions']['recordlinkage']} (pandas "
            f"{peer['versions']['pandas']}), on the columns cleaned by crmind's `normalise`: "
            "`Index().block(...)` on the keys of crmind's default rules (the three-letter "
            "prefixes as extra columns; recordlinkage has no max_block, so every key is kept), "
            "`Compare().string(method='jarowinkler', threshold=0.85)` for first and last name, "
            "city, e-mail and address and `exact` for phone, birth date and postcode (binary "
            "features), `ECMClassifier(binarize=None).fit_predict`, clusters = connected "
            "components of its matches. *crmind's* candidates: the same comparison and "
            "classifier on crmind's candidate pairs, so that only the comparison and the model "
            f"differ. recordlinkage's own blocking runs up to {PEER_OWN_BLOCKING_MAX:,} "
            "records. Its seconds are the sum of its stages (blocking includes turning the "
            "polars frame into pandas); crmind's row is its `resolve` call (model = u sample + "
            "fit + score); peak MiB is the process's over every variant.",
            "",
            *_peer(peers, ours),
        ]
    data = report["data"]
    smallest = data[min(data, key=int)]
    example = smallest["example"]
    lines += [
        "",
        "## Data",
        "",
        *_data_lines(),
        "",
        *_table(
            ["records", "originals", "duplicates", "entities with duplicates", "generated in s"],
            "rrrrr",
            [
                [
                    f"{int(k):,}",
                    f"{v['originals']:,}",
                    f"{v['duplicates']:,}",
                    f"{v['entities_with_duplicates']:,}",
                    f"{v['seconds']}",
                ]
                for k, v in data.items()
            ],
        ),
        "",
        f"Modifications made to the duplicates of the {int(max(data, key=int)):,}-record table: "
        + ", ".join(f"{k} {v:,}" for k, v in data[max(data, key=int)]["modifications"].items())
        + ".",
        "",
        f"An entity of the {int(min(data, key=int)):,}-record table:",
        "",
        *_table(
            list(example[0]),
            "l" * len(example[0]),
            [[str(value) for value in row.values()] for row in example],
        ),
    ]
    return "\n".join(lines) + "\n"


def _data_lines() -> list[str]:
    return [
        f"Originals: first names from {FIRST_NAMES[0]:,} and last names from "
        f"{LAST_NAMES[0]:,} syllable-composed names, Zipf-Mandelbrot frequencies "
        "(p_k ~ 1 / (k + offset), offsets "
        f"{FIRST_NAMES[1]} and {LAST_NAMES[1]}: the commonest first name is ~2.5 % of people, the "
        "commonest last name ~1.2 %); an e-mail from the names, a number and one of "
        f"{len(DOMAINS)} domains (unique per person); a 10-digit phone written `0xx xxx xxxx`; a "
        "birth date uniform in 1940-2006; an address: house number 1-399, one of "
        f"{STREETS[0]:,} street names (Zipf), one of {len(STREET_TYPES)} street types; one of "
        f"{CITIES[0]} cities (Zipf, offset {CITIES[1]}) and one of that city's postcodes (about "
        f"{POSTCODES:,} postcodes, a city's share of them in proportion to its population). "
        "Originals are complete.",
        "",
        f"Duplicates (Febrl's generator rules): {DUPLICATED_SHARE:.0%} of the originals get "
        + "/".join(str(k) for k in DUPLICATES)
        + " duplicates ("
        + " / ".join(f"{v:.0%}" for v in DUPLICATES.values())
        + "), each with "
        + "/".join(str(k) for k in MODIFICATIONS)
        + " modifications ("
        + " / ".join(f"{v:.0%}" for v in MODIFICATIONS.values())
        + ") drawn with these weights: "
        + ", ".join(f"{k} {v}" for k, v in NOISE.items())
        + ". A typo is one character inserted, deleted, substituted or two transposed; "
        "nickname keeps the first 3-4 letters; date_swap swaps day and month when the day is "
        "<= 12 (else a digit typo); street_type abbreviates it (street -> st); moved gives a new "
        "address, city and postcode. Rows are shuffled; generation is seeded "
        f"(`default_rng({SEED})`) and column-wise (numpy, polars).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default=SIZES, help="record counts, comma-separated")
    parser.add_argument(
        "--max-blocks",
        default=f"{DEFAULT_MAX_BLOCK},25",
        help="max_block values to run each size with; the first is the peer's",
    )
    parser.add_argument("--peer-sizes", default="10000,100000", help="sizes recordlinkage runs")
    parser.add_argument("--repeat", type=int, default=3, help="runs per quick case; fastest counts")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per case")
    internal = parser.add_argument_group("internal: one step of a run, in a child process")
    internal.add_argument("--case", choices=sorted(CASES))
    internal.add_argument("--table")
    internal.add_argument("--max-block", type=int, default=DEFAULT_MAX_BLOCK)
    internal.add_argument("--prepare", metavar="DIR")
    parser.add_argument(
        "--markdown", action="store_true", help="only rewrite identity.md from identity.json"
    )
    args = parser.parse_args()
    if args.markdown:
        report = json.loads((RESULTS / "identity.json").read_text())
        (RESULTS / "identity.md").write_text(_markdown(report))
        print((RESULTS / "identity.md").read_text())
        return
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.sizes)))
        return
    if args.case:
        print(json.dumps(CASES[args.case](args.table, args.max_block)))
        return
    sizes = sorted(int(size) for size in args.sizes.split(",") if size)
    blocks = [int(block) for block in args.max_blocks.split(",") if block]
    peer_sizes = sorted(int(size) for size in args.peer_sizes.split(",") if size)
    report = run(sizes, blocks, peer_sizes, args.repeat, args.timeout)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "identity.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "identity.md").write_text(_markdown(report))
    print((RESULTS / "identity.md").read_text())


if __name__ == "__main__":
    main()
