"""Whitespace clean-up of imported text columns, the first step of every parser here."""

from __future__ import annotations

import polars as pl

# A run of two or more whitespace characters, or any single whitespace character other than a plain
# space (tab, newline, no-break space, ideographic space, ...). Single plain spaces, by far the most
# common case, are left alone, which keeps the replacement cheap.
_WHITESPACE_TO_COLLAPSE = r"\s{2,}|[^\S ]"


def as_text(s: pl.Series) -> pl.Series:
    """Return ``s`` as a String Series; typed columns (numbers, dates, all-null) are cast."""
    return s if s.dtype == pl.String else s.cast(pl.String)


def clean_text(s: pl.Series) -> pl.Series:
    """Strip whitespace at both ends, collapse internal whitespace runs to one space, "" -> null.

    Whitespace is Unicode whitespace (tabs, newlines, no-break and ideographic spaces included).
    A non-String input is cast to String first. The name of ``s`` is kept.

    >>> clean_text(pl.Series(["  Jane \\t Doe ", "", "   ", None])).to_list()
    ['Jane Doe', None, None, None]
    """
    text = as_text(s).str.strip_chars().str.replace_all(_WHITESPACE_TO_COLLAPSE, " ")
    return text.replace("", None).alias(s.name)
