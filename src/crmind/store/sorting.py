"""The ``sort=field`` / ``sort=-field`` convention of every list, as ORDER BY clauses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def sort_clauses(
    sort: str, columns: Mapping[str, Any], tie: Any, *, nulls_last: bool = False
) -> tuple[Any, Any]:
    """``(order, tie)`` for ``sort``: the named column of ``columns`` ascending, or descending
    with a leading ``-``; ``tie`` (the id) follows the same direction so pages never overlap."""
    descending = sort.startswith("-")
    column = columns[sort.lstrip("-")]
    order = column.desc() if descending else column.asc()
    if nulls_last:
        order = order.nulls_last()
    return order, tie.desc() if descending else tie.asc()
