"""Users and API keys. A key's secret appears once, in ``KeyCreated``; never its hash."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmind.api.schemas.common import Page

RoleName = Literal["admin", "agent", "marketer", "analyst", "viewer"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100, pattern=r"^[\w.@+-]+$")
    role: RoleName
    display_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str | None
    role: str
    created_at: datetime
    disabled: bool


UsersPublic = Page[UserPublic]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: RoleName | None = None
    username: str | None = Field(default=None, max_length=100)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=10**6)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class KeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    role: str
    username: str | None
    rate_limit_per_minute: int | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool


KeysPublic = Page[KeyPublic]


class KeyCreated(KeyPublic):
    secret: str = Field(description="The key itself: shown now and never again.")
