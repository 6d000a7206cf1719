"""A small store built through the services, as users build theirs: customers, products,
orders and feedback imported from files, then one analysis run and one feedback-text run.

40 customers with contact details buy 8 products over 2023 (one return); 60 English and 36
Chinese reviews, two of which raise alerts (one ticket, for the review of a known customer).
Built once per test session (``tests/api/routes/conftest.py``) and shared by read tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from crmind.config import Settings
from crmind.ingest.fields import ImportKind
from crmind.services.access import create_key
from crmind.services.analysis import AnalysisOptions, run_analysis
from crmind.services.feedback_text import TextOptions, analyse_feedback
from crmind.services.importing import ImportRequest, import_file
from crmind.services.setup import open_store
from crmind.store.migrate import upgrade
from crmind.store.schema_access import ROLES

CUSTOMERS = 40
PRODUCTS = [
    ("MUG", "Blue mug", "kitchen", 4.5),
    ("PLATE", "White plate", "kitchen", 6.0),
    ("LAMP", "Desk lamp", "home", 25.0),
    ("PEN", "Fountain pen", "office", 12.0),
    ("BOOK", "Notebook", "office", 3.0),
    ("RUG", "Wool rug", "home", 80.0),
    ("CUP", "Tea cup", "kitchen", 5.5),
    ("BAG", "Tote bag", "fashion", 15.0),
]
DELIVERY = [
    "Delivery was late and the courier lost the parcel",
    "The parcel arrived late, slow courier",
]
BATTERY = ["Battery drains fast, the charger is weak", "Great battery, charging takes an hour"]
CHINESE = ["物流很快，包装很好，非常满意", "质量太差了，用了两天就坏了", "快递太慢了，等了一个星期"]
ALERT_TEXT = "Terrible service, I want a refund or I will call my lawyer"


@dataclass(frozen=True)
class SampleStore:
    settings: Settings
    engine: Engine
    keys: dict[str, str]  # role -> API key secret
    analysis_run: int
    text_run: int

    def as_role(self, role: str) -> dict[str, str]:
        """Headers that present ``role``'s key."""
        return {"Authorization": f"Bearer {self.keys[role]}"}


def email(customer: int) -> str:
    return f"c{customer}@example.com"


def write_files(directory: Path) -> dict[str, Path]:
    """The sample's files: customers, products, orders, reviews (CSV)."""
    rng = random.Random(7)
    paths = {name: directory / f"{name}.csv" for name in ("customers", "products", "orders")}
    pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(1, CUSTOMERS + 1)],
            "email": [email(i) for i in range(1, CUSTOMERS + 1)],
            "name": [f"Customer {i}" for i in range(1, CUSTOMERS + 1)],
        }
    ).write_csv(paths["customers"])
    pl.DataFrame(
        {
            "sku": [p[0] for p in PRODUCTS],
            "name": [p[1] for p in PRODUCTS],
            "category": [p[2] for p in PRODUCTS],
            "price": [p[3] for p in PRODUCTS],
        }
    ).write_csv(paths["products"])
    lines: list[dict[str, object]] = []
    start = datetime(2023, 1, 1, 9)
    number = 1000
    for customer in range(1, CUSTOMERS + 1):
        for _ in range(1 + customer % 6):
            number += 1
            day = start + timedelta(days=rng.randrange(360), hours=rng.randrange(8))
            for line in range(1 + rng.randrange(3)):
                sku, _, _, price = PRODUCTS[(customer + line * 3 + number) % len(PRODUCTS)]
                lines.append(
                    {
                        "order_number": f"A{number}",
                        "customer_id": f"C{customer}",
                        "occurred_at": day.isoformat(sep=" "),
                        "sku": sku,
                        "quantity": 1 + rng.randrange(3),
                        "unit_price": price,
                    }
                )
    lines.append(
        {
            "order_number": "R1",
            "customer_id": "C1",
            "occurred_at": "2023-12-20 10:00:00",
            "sku": "MUG",
            "quantity": -1,
            "unit_price": 4.5,
        }
    )
    pl.DataFrame(lines).write_csv(paths["orders"])
    reviews = [
        {
            "review_id": f"r{i}",
            "email": email(1 + i % 7),
            "review": (DELIVERY + BATTERY)[i % 4],
            "date": f"2023-0{1 + i % 3}-10",
        }
        for i in range(60)
    ]
    reviews += [
        {"review_id": f"z{i}", "email": "", "review": CHINESE[i % 3], "date": "2023-02-01"}
        for i in range(36)
    ]
    reviews.append(
        {"review_id": "alert-1", "email": email(2), "review": ALERT_TEXT, "date": "2023-03-01"}
    )
    paths["feedback"] = directory / "reviews.csv"
    pl.DataFrame(reviews).write_csv(paths["feedback"])
    return paths


def empty_store(directory: Path) -> tuple[Settings, Engine, dict[str, str]]:
    """A migrated SQLite store in ``directory`` with one API key per role."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=directory, database_url=f"sqlite:///{directory / 'crmind.db'}")
    engine = open_store(settings)
    upgrade(engine)
    keys = {role: create_key(engine, f"{role} key", role=role).secret for role in ROLES}
    return settings, engine, keys


def import_sample(engine: Engine, directory: Path) -> None:
    """Import the sample files into the store on ``engine``."""
    paths = write_files(directory)
    for kind, source in (
        (ImportKind.CUSTOMERS, "shop"),
        (ImportKind.PRODUCTS, "shop"),
        (ImportKind.ORDERS, "shop"),
        (ImportKind.FEEDBACK, "web"),
    ):
        request = ImportRequest(kind=kind, path=paths[str(kind)], source=source)
        summary = import_file(engine, request)
        assert summary.rows_rejected == 0, (kind, summary.reject_reasons)


def build_sample_store(directory: Path) -> SampleStore:
    """The sample store, imported and analysed."""
    settings, engine, keys = empty_store(directory)
    import_sample(engine, directory)
    analysis = run_analysis(engine, AnalysisOptions(n_segments=3, clv_draws=20))
    text = analyse_feedback(engine, TextOptions(topics=3))
    return SampleStore(settings, engine, keys, analysis.run_id, text.run_id)
