"""Blocking: the record pairs worth comparing, without comparing all n² of them.

A :class:`BlockingRule` pairs the records that agree exactly on a key (one or more cleaned
columns, optionally only their first ``prefix`` characters). :func:`candidate_pairs` takes the
union over several rules, so a duplicate with a typo in one key is still found through another
— the classic multi-pass blocking of record linkage. Keys shared by more than ``max_block``
records (a common surname, a state) pair too many unrelated records to be useful and are
skipped; the number skipped is logged. Pairs are ``left < right`` row numbers; with a
``source`` column only pairs across sources are kept (linking two files rather than
de-duplicating one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from crmind.errors import ConfigurationError
from crmind.identity.fields import Comparator, FieldSpec

logger = logging.getLogger(__name__)

ROW: Final = "row"
LEFT: Final = "left"
RIGHT: Final = "right"
DEFAULT_MAX_BLOCK: Final = 100


@dataclass(frozen=True)
class BlockingRule:
    """Records that agree on all ``columns`` (their first ``prefix`` characters) are paired."""

    columns: tuple[str, ...]
    prefix: int | None = None

    def __str__(self) -> str:
        cut = f"[:{self.prefix}]" if self.prefix else ""
        return " & ".join(f"{name}{cut}" for name in self.columns)

    def key(self) -> pl.Expr:
        """The blocking key (null when any column is null)."""
        parts = [
            pl.col(name).str.slice(0, self.prefix) if self.prefix else pl.col(name)
            for name in self.columns
        ]
        return pl.concat_str(parts, separator="\x1f")


def default_rules(fields: Sequence[FieldSpec]) -> list[BlockingRule]:
    """One rule per compared field (exact low-cardinality fields excepted), plus the first
    three letters of every pair of name fields, which finds records whose every single field
    has a typo somewhere but whose names start alike."""
    rules = [BlockingRule((spec.name,)) for spec in fields if spec.comparator != Comparator.EXACT]
    names = [spec.name for spec in fields if spec.comparator == Comparator.NAME]
    rules.extend(
        BlockingRule((first, second), prefix=3)
        for index, first in enumerate(names)
        for second in names[index + 1 :]
    )
    return rules


def candidate_pairs(
    frame: pl.DataFrame,
    rules: Iterable[BlockingRule],
    *,
    max_block: int = DEFAULT_MAX_BLOCK,
    source: str | None = None,
) -> pl.DataFrame:
    """Distinct ``left < right`` row-number pairs (UInt32) that share a key of any rule.

    ``frame`` holds the cleaned columns the rules name (row ``i`` is record ``i``).
    """
    if max_block < 2:
        raise ConfigurationError(f"max_block must be at least 2, not {max_block}")
    rules = list(rules)  # iterated twice below; a generator would otherwise give no pairs
    needed = {name for rule in rules for name in rule.columns} | ({source} if source else set())
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise ConfigurationError(f"blocking needs column(s) {', '.join(missing)}")
    numbered = frame.with_row_index(ROW)
    parts = []
    for rule in rules:
        keyed = numbered.select(ROW, rule.key().alias("key"), *([source] if source else []))
        keyed = keyed.filter(pl.col("key").is_not_null())
        sizes = keyed.group_by("key").len()
        big = sizes.filter(pl.col("len") > max_block)
        if big.height:
            logger.info(
                "blocking %s: skipped %d key(s) shared by more than %d records",
                rule,
                big.height,
                max_block,
            )
        keep = sizes.filter((pl.col("len") >= 2) & (pl.col("len") <= max_block)).select("key")
        keyed = keyed.join(keep, on="key", how="semi")
        pairs = keyed.join(keyed, on="key", suffix="_r").filter(pl.col(ROW) < pl.col(f"{ROW}_r"))
        if source:
            pairs = pairs.filter(pl.col(source) != pl.col(f"{source}_r"))
        parts.append(pairs.select(pl.col(ROW).alias(LEFT), pl.col(f"{ROW}_r").alias(RIGHT)))
    if not parts:
        return pl.DataFrame(schema={LEFT: pl.UInt32, RIGHT: pl.UInt32})
    return pl.concat(parts).unique().sort(LEFT, RIGHT)
