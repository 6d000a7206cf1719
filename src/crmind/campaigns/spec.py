"""A campaign's specification: audience, trigger, content, channel, experiment and limits.

Written by people as YAML or JSON (``crmind campaigns create --file win-back.yaml``) and kept with
the campaign; every field is checked here, so a mistake is named before anything is sent::

    name: win-back
    audience:
      stages: [at_risk, lapsed]
      scores: [{kind: churn, min: 0.7}, {kind: clv, top_percent: 30}]
    trigger: {kind: schedule, cron: "0 9 * * MON"}
    channel: {kind: email}
    content:
      subject: {en: "We miss you, {{ first_name }}", zh: "{{ first_name }}，好久不见"}
      text: {en: "...", zh: "..."}
      products: 3
      coupon_prefix: WB
    experiment: {holdout: 0.1, attribution_days: 14}
    limits: {frequency_cap: 2, frequency_days: 7, quiet_hours: ["21:00", "08:00"]}
"""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crmind.errors import CrmindError

LANGUAGES = ("en", "zh")
FIELD_OPS = ("=", "!=", "in", "not_in", ">", ">=", "<", "<=")
EVENT_KINDS = ("purchase", "negative_feedback", "segment_entry", "stage_entry")


class CampaignSpecError(CrmindError):
    """A campaign specification that cannot be used; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreRule(_Strict):
    """A rule on a stored score: between ``min`` and ``max``, or in the top ``top_percent``."""

    kind: str = Field(min_length=1, description="customer_scores.kind: churn, clv, p_alive, ...")
    min: float | None = None
    max: float | None = None
    top_percent: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _one_bound(self) -> ScoreRule:
        if self.min is None and self.max is None and self.top_percent is None:
            raise ValueError(f"score rule on {self.kind!r} needs min, max or top_percent")
        return self


class FieldRule(_Strict):
    """A rule on a customer or profile field, e.g. ``{field: country, op: "=", value: France}``."""

    field: str = Field(min_length=1)
    op: Literal["=", "!=", "in", "not_in", ">", ">=", "<", "<="] = "="
    value: Any

    @model_validator(mode="after")
    def _list_for_in(self) -> FieldRule:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"field rule {self.field!r} {self.op} needs a list value")
        return self


class Audience(_Strict):
    """Who the campaign is for: every given rule holds (segments and stages: any of them)."""

    segments: list[str] = Field(default_factory=list, description="segment keys or names")
    stages: list[str] = Field(default_factory=list, description="lifecycle stages")
    scores: list[ScoreRule] = Field(default_factory=list)
    fields: list[FieldRule] = Field(default_factory=list)
    customer_ids: list[int] | None = Field(default=None, description="an uploaded list")


class Trigger(_Strict):
    """When the campaign fires: once, on a cron schedule, or on customers' events."""

    kind: Literal["once", "schedule", "event"] = "once"
    cron: str | None = None
    event: Literal["purchase", "negative_feedback", "segment_entry", "stage_entry"] | None = None
    segment: str | None = Field(default=None, description="for segment_entry: key or name")
    stage: str | None = Field(default=None, description="for stage_entry")

    @model_validator(mode="after")
    def _complete(self) -> Trigger:
        if self.kind == "schedule":
            from croniter import croniter

            if not self.cron or not croniter.is_valid(self.cron):
                raise ValueError(
                    f"a schedule trigger needs a valid cron expression, got {self.cron!r}"
                )
        if self.kind == "event":
            if self.event is None:
                raise ValueError(f"an event trigger needs event: one of {', '.join(EVENT_KINDS)}")
            if self.event == "segment_entry" and not self.segment:
                raise ValueError("a segment_entry trigger needs segment")
            if self.event == "stage_entry" and not self.stage:
                raise ValueError("a stage_entry trigger needs stage")
        return self


class Channel(_Strict):
    """How messages leave: e-mail (SMTP settings), a signed webhook, or an export file."""

    kind: Literal["email", "webhook", "export"] = "email"
    url: str | None = Field(default=None, description="webhook: where to POST")

    @model_validator(mode="after")
    def _url_for_webhook(self) -> Channel:
        if self.kind == "webhook" and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError(f"a webhook channel needs an http(s) url, got {self.url!r}")
        return self


Localised = dict[str, str]


class Content(_Strict):
    """The message: subject and text (and optional HTML) per language, as Jinja2 templates."""

    subject: Localised
    text: Localised
    html: Localised | None = None
    products: int = Field(default=3, ge=0, le=20, description="recommended products to include")
    coupon_prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,12}$")
    default_language: Literal["en", "zh"] = "en"

    @field_validator("subject", "text", "html")
    @classmethod
    def _known_languages(cls, value: Localised | None) -> Localised | None:
        if value is None:
            return value
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown or not value:
            raise ValueError(f"languages must be among {', '.join(LANGUAGES)}, got {sorted(value)}")
        return value

    @model_validator(mode="after")
    def _default_present(self) -> Content:
        for name in ("subject", "text"):
            if self.default_language not in getattr(self, name):
                raise ValueError(
                    f"{name} has no text in the default language {self.default_language}"
                )
        return self


class Variant(_Strict):
    """An A/B variant: its share of the treatment group and what it changes in the content."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")
    weight: float = Field(default=1.0, gt=0)
    subject: Localised | None = None
    text: Localised | None = None


class Experiment(_Strict):
    """The holdout share (no message), optional variants, and the attribution window."""

    holdout: float = Field(default=0.1, ge=0, lt=1)
    variants: list[Variant] = Field(default_factory=list)
    attribution_days: int = Field(default=14, gt=0, le=365)

    @field_validator("variants")
    @classmethod
    def _distinct(cls, value: list[Variant]) -> list[Variant]:
        names = [variant.name for variant in value]
        if len(set(names)) != len(names) or "holdout" in names:
            raise ValueError(f"variant names must be distinct and not 'holdout', got {names}")
        return value


class Limits(_Strict):
    """At most ``frequency_cap`` campaign messages per customer in ``frequency_days`` days (across
    campaigns), and none sent in the quiet hours ``[start, end)`` of the business's time zone."""

    frequency_cap: int | None = Field(default=2, gt=0)
    frequency_days: int = Field(default=7, gt=0)
    quiet_hours: tuple[time, time] | None = None


class CampaignSpec(_Strict):
    """Everything a campaign is, validated."""

    name: str = Field(pattern=r"^[\w .:-]{1,200}$")
    description: str | None = None
    audience: Audience = Field(default_factory=Audience)
    trigger: Trigger = Field(default_factory=Trigger)
    channel: Channel = Field(default_factory=Channel)
    content: Content
    experiment: Experiment = Field(default_factory=Experiment)
    limits: Limits = Field(default_factory=Limits)


def parse_spec(data: Any, source: str = "campaign") -> CampaignSpec:
    """A validated :class:`CampaignSpec` from a mapping; CampaignSpecError names each bad field."""
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '(top)'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise CampaignSpecError(f"{source}: {problems}") from error


def load_spec(text: str, source: str = "campaign") -> CampaignSpec:
    """Parse YAML (or JSON, which is YAML) text into a validated spec."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CampaignSpecError(f"{source}: not valid YAML/JSON: {error}") from error
    if not isinstance(data, dict):
        raise CampaignSpecError(f"{source}: expected a mapping of campaign fields")
    return parse_spec(data, source)
