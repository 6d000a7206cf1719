"""A small store for the privacy tests, built the way users build theirs: files imported through
services.importing, then the analysis (and, on request, the feedback text analysis).

30 customers with contacts, 4-6 orders each, a few events and reviews. ``TARGET`` is the person
the tests export or erase: their e-mail, name and phone are distinctive strings that occur
nowhere else, so a byte scan of the store finds them only where they really are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from crmind.ingest.fields import ImportKind
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.analysis import AnalysisOptions, run_analysis
from crmind.services.consents import record_consent
from crmind.services.feedback_text import TextOptions, analyse_feedback
from crmind.services.importing import ImportRequest, import_file
from crmind.services.recommendation import RecommendOptions, train_and_recommend
from crmind.store.schema import CustomerIdentity


@dataclass(frozen=True)
class Person:
    key: str
    email: str
    name: str
    phone: str  # as stored (E.164)
    phone_in_file: str


TARGET = Person(
    key="C007",
    email="zelda.quixotic@privacy-example.org",
    name="Zelda Quixotic",
    phone="+447911123417",
    phone_in_file="07911 123417",
)
CUSTOMERS = 30
ANALYSIS = AnalysisOptions(n_segments=2, clv_draws=20)


def _key(i: int) -> str:
    return f"C{i:03d}"


def _email(i: int) -> str:
    return TARGET.email if _key(i) == TARGET.key else f"person{i}@example.com"


def write_files(folder: Path) -> dict[str, Path]:
    """The products, customers, orders, events and feedback files of the small store."""
    customers = ["customer_id,email,name,phone,city"]
    orders = ["order,customer_id,amount,date,sku"]
    events = []
    feedback = ["review_id,customer_id,text,rating,date"]
    start = date(2024, 1, 1)
    for i in range(1, CUSTOMERS + 1):
        key = _key(i)
        name = TARGET.name if key == TARGET.key else f"Person Number{i}"
        phone = TARGET.phone_in_file if key == TARGET.key else f"07911 {100000 + i}"
        customers.append(f"{key},{_email(i)},{name},{phone},Leeds")
        for n in range(4 + i % 3):
            day = start + timedelta(days=7 * n + i * 3 + (i % 5) * n)
            orders.append(f"O{i}-{n},{key},{10 + (i * 7 + n * 13) % 90},{day},SKU{(i + n) % 6}")
        events.append(
            {
                "event_id": f"E{i}",
                "type": "page_view",
                "time": f"{start + timedelta(days=i)}T10:00:00Z",
                "customer_id": key,
                "page": f"/account/{_email(i)}",
            }
        )
        feedback.append(
            f"R{i},{key},"
            + (
                '"Terrible service, I want a refund now. Call me on 07911 123417"'
                if key == TARGET.key
                else f'"Good product number {i}, fast delivery"'
            )
            + f",{1 if key == TARGET.key else 5},{start + timedelta(days=30 + i)}"
        )
    # rows the imports reject that name the target in their raw content
    customers.append(f"{TARGET.key},{TARGET.email},{TARGET.name},12,York")
    orders.append(f"OX-1,{TARGET.key},12,not-a-date,SKU1")
    products = ["sku,name,category,price"] + [
        f"SKU{n},Product {n},{'mugs' if n % 2 else 'plates'},{5 + n}" for n in range(6)
    ]
    paths = {
        "products": folder / "products.csv",
        "customers": folder / "customers.csv",
        "orders": folder / "orders.csv",
        "events": folder / "events.jsonl",
        "feedback": folder / "feedback.csv",
    }
    paths["products"].write_text("\n".join(products) + "\n", encoding="utf-8")
    paths["customers"].write_text("\n".join(customers) + "\n", encoding="utf-8")
    paths["orders"].write_text("\n".join(orders) + "\n", encoding="utf-8")
    paths["events"].write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    paths["feedback"].write_text("\n".join(feedback) + "\n", encoding="utf-8")
    return paths


def build_store(engine: Engine, folder: Path, *, analyse: bool = True) -> None:
    """Import the files into ``engine`` and run the analysis."""
    paths = write_files(folder)
    kinds = (
        ImportKind.PRODUCTS,
        ImportKind.CUSTOMERS,
        ImportKind.ORDERS,
        ImportKind.EVENTS,
        ImportKind.FEEDBACK,
    )
    for kind in kinds:
        import_file(engine, ImportRequest(kind=kind, path=paths[kind.value], source="shop"))
    if analyse:
        run_analysis(engine, ANALYSIS)


def customer_id_of(engine: Engine, key: str = TARGET.key) -> int:
    """The store's id of the customer known in the files as ``key``."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(CustomerIdentity.customer_id).where(
                    CustomerIdentity.kind == "source_key", CustomerIdentity.value == key
                )
            ).scalar_one()
        )


def build_full_store(engine: Engine, folder: Path) -> None:
    """The small store with every kind of data about the person: contact, keys, orders, events,
    feedback with its analysis and the ticket it opened, profiles, segments, scores,
    recommendations, a marketing consent and rejected import rows."""
    build_store(engine, folder)
    train_and_recommend(engine, RecommendOptions(model="popularity", k=3, test_days=20), folder)
    analyse_feedback(engine, TextOptions(topics=2))
    record_consent(
        engine, customer_id_of(engine), MARKETING_EMAIL, "grant", source="shop", actor="cli:test"
    )
