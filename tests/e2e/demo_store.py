"""The dashboard's demo store: the bundled UCI Online Retail orders (all, or every n-th
customer's), with made-up contact details, dated reviews, a few web events and a service
conversation, analysed by every model; plus one signed-in user per role.

The browser tests build it once per session from every 8th customer (a few seconds); the web
benchmark builds it from all of them (``crmind demo``'s store plus contacts and reviews).
"""

from __future__ import annotations

import lzma
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text

from crmind.config import Settings
from crmind.data import ONLINE_RETAIL
from crmind.ingest.fields import ImportKind
from crmind.services.access import add_user
from crmind.services.analysis import AnalysisOptions, run_analysis
from crmind.services.assistant import chat_turn
from crmind.services.demo import import_demo_data
from crmind.services.events import IncomingEvent, record_events
from crmind.services.feedback_text import TextOptions, analyse_feedback
from crmind.services.importing import ImportRequest, import_file
from crmind.services.knowledge import DEMO_KNOWLEDGE, import_articles
from crmind.services.prediction import PredictionOptions, train_and_score
from crmind.services.recommendation import RecommendOptions, train_and_recommend
from crmind.services.setup import init_store
from crmind.store.schema_access import ROLES

FIRST = ["Alice", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Harry", "Isla", "Jack"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Green"]
CHINESE = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]
REVIEWS = [
    ("Lovely quality, arrived quickly and well packed", 5),
    ("Great value, will order again", 5),
    ("The parcel was late and one cup was broken", 2),
    ("Terrible service, nobody answered my emails about the refund", 1),
    ("Colours are nice but smaller than expected", 3),
    ("质量很好，物流也很快，非常满意", 5),
    ("包装破损，客服也不回复，很失望", 1),
]


def password_of(role: str) -> str:
    """The demo password of the user named after ``role``."""
    return f"{role}-password"


@dataclass(frozen=True)
class DemoStore:
    settings: Settings
    engine: Engine
    customer_id: int  # a customer with orders, reviews, events and a conversation
    customer_name: str
    customer_email: str


def _subset(directory: Path, every: int) -> Path:
    """The Online Retail rows of every ``every``-th customer, as CSV."""
    if every == 1:
        return ONLINE_RETAIL
    with lzma.open(ONLINE_RETAIL) as handle:
        frame = pl.read_csv(handle.read(), infer_schema_length=0)
    kept = frame.filter(
        pl.col("CustomerID").is_not_null()
        & (pl.col("CustomerID").cast(pl.Float64).cast(pl.Int64) % every == 0)
    )
    path = directory / "online_retail_subset.csv"
    kept.write_csv(path)
    return path


def _source_keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        keys = conn.execute(
            text("SELECT value FROM customer_identities WHERE kind = 'source_key' ORDER BY value")
        ).scalars()
        return [str(k) for k in keys]


def _name(index: int) -> str:
    if index % 5 == 4:
        return CHINESE[index % len(CHINESE)]
    return f"{FIRST[index % len(FIRST)]} {LAST[(index // len(FIRST)) % len(LAST)]}"


def _contacts(directory: Path, keys: list[str]) -> Path:
    path = directory / "contacts.csv"
    pl.DataFrame(
        {
            "customer_id": keys,
            "name": [_name(i) for i in range(len(keys))],
            "email": [f"c{key}@example.com" for key in keys],
            "phone": [f"+44 7911 {100000 + int(float(key)) % 900000}" for key in keys],
            "city": [["London", "Leeds", "York", "Bath"][i % 4] for i in range(len(keys))],
        }
    ).write_csv(path)
    return path


def _reviews(directory: Path, keys: list[str]) -> Path:
    start = datetime(2011, 1, 5)
    rows = []
    for i in range(min(len(keys), 400)):
        review, rating = REVIEWS[i % len(REVIEWS)]
        rows.append(
            {
                "review_id": f"demo-{i}",
                "email": f"c{keys[(i * 7) % len(keys)]}@example.com",
                "review": review,
                "rating": rating,
                "date": (start + timedelta(days=(i * 29) % 330)).date().isoformat(),
            }
        )
    path = directory / "reviews.csv"
    pl.DataFrame(rows).write_csv(path)
    return path


def build_demo_store(directory: Path, every: int = 1) -> DemoStore:
    """Build the store in ``directory`` (see the module docstring)."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=directory, database_url=f"sqlite:///{directory / 'demo.db'}")
    engine, _ = init_store(settings)
    import_demo_data(engine, path=_subset(directory, every))
    keys = _source_keys(engine)
    for kind, path in (
        (ImportKind.CUSTOMERS, _contacts(directory, keys)),
        (ImportKind.FEEDBACK, _reviews(directory, keys)),
    ):
        source = "online-retail" if kind is ImportKind.CUSTOMERS else "reviews"
        summary = import_file(engine, ImportRequest(kind=kind, path=path, source=source))
        assert summary.rows_rejected == 0, summary.reject_reasons
    import_articles(engine, DEMO_KNOWLEDGE)
    key = keys[0]
    email = f"c{key}@example.com"
    record_events(
        engine,
        [
            IncomingEvent(
                event_id=f"demo-{n}",
                type=kind,
                occurred_at=datetime(2011, 12, 8, 10, n),
                source="web",
                email=email,
                channel="web",
            )
            for n, kind in enumerate(("page_view", "page_view", "cart_add", "email_open"))
        ],
    )
    run_analysis(engine, AnalysisOptions(clv_draws=50))
    models = directory / "models"
    train_and_score(engine, PredictionOptions(target="churn"), models)
    train_and_recommend(engine, RecommendOptions(model="hybrid", k=5), models)
    analyse_feedback(engine, TextOptions(topics=5))
    with engine.connect() as conn:
        customer_id = int(
            conn.execute(
                text(
                    "SELECT customer_id FROM customer_identities "
                    "WHERE kind = 'source_key' AND value = :key"
                ),
                {"key": key},
            ).scalar_one()
        )
    reply = chat_turn(
        engine, None, "Where is my parcel?", customer_id=customer_id, settings=settings
    )
    chat_turn(
        engine,
        reply.conversation_id,
        "I want to talk to a person",
        customer_id=customer_id,
        settings=settings,
    )
    for role in ROLES:
        add_user(engine, role, role, display_name=f"Demo {role}", password=password_of(role))
    return DemoStore(settings, engine, customer_id, _name(0), email)
