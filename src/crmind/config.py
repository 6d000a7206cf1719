"""Settings: the one place that reads environment variables (prefix ``CRMIND_``).

Nothing here runs at import time; call :func:`get_settings` (cached) or build ``Settings(...)``
explicitly, e.g. in tests.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".crmind"


class Settings(BaseSettings):
    """Configuration of a crmind installation.

    Every field can be set by an environment variable named ``CRMIND_<FIELD>`` (for example
    ``CRMIND_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test``) or in a ``.env``
    file in the working directory.
    """

    model_config = SettingsConfigDict(env_prefix="CRMIND_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Where crmind keeps its SQLite database, reject reports and model files.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: a SQLite file crmind.db in data_dir.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for signing and field encryption; set it explicitly in production. "
        "Unset, crmind makes one and keeps it in data_dir/secret.key (development only).",
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        description="In production the server refuses to start without an explicit secret_key.",
    )
    api_host: str = Field(default="127.0.0.1", description="Address `crmind serve` listens on.")
    api_port: int = Field(default=8000, gt=0, lt=65536, description="Port of `crmind serve`.")
    api_rate_limit_per_minute: int = Field(
        default=6000, gt=0, description="Requests per minute per API key, unless the key sets one."
    )
    default_currency: str = Field(default="GBP", min_length=3, max_length=3)
    default_timezone: str = Field(
        default="UTC", description="Time zone of timestamps in files that carry no offset."
    )
    default_phone_region: str = Field(
        default="GB", description="ISO country used to read phone numbers written without +code."
    )
    import_batch_rows: int = Field(
        default=100_000, gt=0, description="Rows written per transaction during an import."
    )

    random_state: int = Field(default=0, description="Seed of every random step of the analysis.")
    segment_method: Literal["kmeans", "gmm"] = Field(
        default="kmeans", description="Clustering of learned segments: k-means or Gaussian mixture."
    )
    propensity_model: Literal["lightgbm", "blend"] = Field(
        default="lightgbm",
        description="Learner of churn and purchase models: LightGBM, or its blend with a "
        "logistic regression on splines (docs/evaluation.md).",
    )
    clv_horizon_months: int = Field(default=12, gt=0, description="Lifetime value horizon.")
    clv_discount_rate_monthly: float = Field(
        default=0.01, ge=0, lt=1, description="Monthly discount rate of lifetime value."
    )
    lifecycle_new_days: float = Field(
        default=30.0, ge=0, description="A one-time buyer this recent is 'new'."
    )
    lifecycle_at_risk_ratio: float = Field(
        default=1.5, gt=0, description="Recency over this many of a customer's usual gaps: at risk."
    )
    lifecycle_lapsed_ratio: float = Field(
        default=2.5, gt=0, description="Recency over this many usual gaps: lapsed."
    )
    lifecycle_churned_ratio: float = Field(
        default=4.0, gt=0, description="Recency over this many usual gaps: churned."
    )
    lifecycle_churn_days: float | None = Field(
        default=365.0, gt=0, description="Recency over this many days: churned whatever the rhythm."
    )

    engine: Literal["local", "spark"] = Field(
        default="local",
        description="Where the heavy analysis steps run: in-process (local) or on Apache Spark.",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL of the spark engine: local[N], spark://host:7077, yarn, ...",
    )
    spark_jars: str | None = Field(
        default=None,
        description="Comma-separated jar files for the spark engine, e.g. the PostgreSQL JDBC "
        "driver (passed to spark.jars; nothing is downloaded).",
    )

    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint of the assistant's optional language model, e.g. "
        "http://127.0.0.1:11434/v1 (Ollama); unset: templated and retrieved answers only.",
    )
    llm_model: str | None = Field(default=None, description="Model name sent to that endpoint.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="Bearer key of that endpoint (hosted APIs); local ones need none."
    )
    llm_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for one reply of the language model."
    )

    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where `crmind serve` is reached from outside: the base of unsubscribe links.",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server of campaign e-mail.")
    smtp_port: int = Field(default=25, gt=0, lt=65536, description="Port of that SMTP server.")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none", description="Transport security: none, STARTTLS, or SSL from the start."
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA certificates to trust for the SMTP server's TLS certificate (a private "
        "CA); default: the system's.",
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, if it needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_sender: str = Field(
        default="crmind <noreply@localhost>", description="From address of campaign e-mail."
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key that signs campaign webhooks; unset: derived from secret_key "
        "(`crmind campaigns webhook-secret` shows it).",
    )
    campaign_max_attempts: int = Field(
        default=5, gt=0, description="Delivery attempts of one campaign message before it fails."
    )
    campaign_retry_seconds: float = Field(
        default=30.0, gt=0, description="First wait before retrying a message; doubles each time."
    )
    campaign_claim_lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A message claimed by a runner longer ago than this, and never recorded as "
        "sent, is marked in doubt (never sent twice).",
    )
    campaign_poll_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often `crmind serve` runs due campaigns; 0: never (use cron).",
    )

    @field_validator("data_dir")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the explicit one, else the SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'crmind.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
