"""A store for the campaign tests, built through the services: the API tests' sample shop
(40 customers with e-mail addresses, 8 products, a year of orders, one analysis run) plus one
recommendation run and marketing consents.

Consent: customers 1-40 in import order; those with a number divisible by 10 never decided
(no consent: opt-in), customer 7 granted and then unsubscribed, every other one granted.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from crmind.config import Settings
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.analysis import AnalysisOptions, run_analysis
from crmind.services.consents import record_consent
from crmind.services.recommendation import RecommendOptions, train_and_recommend
from crmind.services.setup import open_store
from crmind.store.migrate import upgrade
from crmind.store.schema import Customer
from tests.api.sample_store import CUSTOMERS, email, import_sample

NO_DECISION = {10, 20, 30, 40}
UNSUBSCRIBED = 7
CONSENTING = set(range(1, CUSTOMERS + 1)) - NO_DECISION - {UNSUBSCRIBED}


@dataclass(frozen=True)
class CampaignStore:
    settings: Settings
    engine: Engine
    ids: dict[int, int]  # customer number (1-40) -> store id

    def number_of_email(self, address: str) -> int:
        return int(address.removeprefix("c").split("@")[0])


def build_campaign_store(
    directory: Path, database_url: str | None = None, **settings: object
) -> CampaignStore:
    directory.mkdir(parents=True, exist_ok=True)
    config = Settings(
        data_dir=directory,
        database_url=database_url or f"sqlite:///{directory / 'crmind.db'}",
        **settings,  # type: ignore[arg-type]
    )
    engine = open_store(config)
    upgrade(engine)
    import_sample(engine, directory)
    run_analysis(engine, AnalysisOptions(n_segments=3, clv_draws=20))
    train_and_recommend(engine, RecommendOptions(model="item-knn", k=5), directory / "models")
    with engine.connect() as conn:
        store_ids = list(conn.execute(select(Customer.id).order_by(Customer.id)).scalars())
    ids = {number: store_ids[number - 1] for number in range(1, CUSTOMERS + 1)}
    when = datetime(2024, 1, 1)
    for number in sorted(CONSENTING | {UNSUBSCRIBED}):
        record_consent(
            engine,
            ids[number],
            MARKETING_EMAIL,
            "grant",
            source="signup",
            actor="test",
            recorded_at=when,
        )
    record_consent(
        engine,
        ids[UNSUBSCRIBED],
        MARKETING_EMAIL,
        "withdraw",
        source="preferences",
        actor="test",
        recorded_at=datetime(2024, 2, 1),
    )
    assert email(1) == "c1@example.com"
    return CampaignStore(config, engine, ids)


def copy_campaign_store(
    template: CampaignStore, directory: Path, **settings: object
) -> CampaignStore:
    """A copy of a SQLite campaign store (database and secret key) in ``directory``, opened with
    ``settings`` (e.g. the SMTP port of a test's server)."""
    shutil.copytree(
        template.settings.data_dir, directory, ignore=shutil.ignore_patterns("*-wal", "*-shm")
    )
    config = Settings(
        data_dir=directory,
        database_url=f"sqlite:///{directory / 'crmind.db'}",
        **settings,  # type: ignore[arg-type]
    )
    return CampaignStore(config, open_store(config), template.ids)
