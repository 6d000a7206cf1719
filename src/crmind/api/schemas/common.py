"""What every list shares: paging parameters and the ``{data, count}`` envelope."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")]
RecordId = Annotated[int, Path(ge=1, le=2**62, description="The record's id.")]


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int
