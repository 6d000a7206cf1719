"""Erasure: no trace of the person is left in any table (every text read back on both
databases, and the raw SQLite file scanned), derived data goes, the accounts stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, String, Text, func, inspect, select, text, update
from sqlalchemy.types import JSON

from crmind.campaigns.spec import CampaignSpec
from crmind.errors import NotFoundError
from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import is_encrypted
from crmind.services.analysis import run_analysis
from crmind.services.audit import AuditQuery, search
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaigns import create_campaign
from crmind.services.consents import PROFILING_TABLES, profiling_excluded
from crmind.services.feedback_text import TextOptions, analyse_feedback
from crmind.services.privacy import ERASED_TEXT, KEY_TABLES, erase_customer, erasures_of
from crmind.services.subject_export import export_customer
from crmind.store.db import sqlite_path
from crmind.store.schema import (
    Base,
    Customer,
    CustomerProfile,
    Erasure,
    Feedback,
    Message,
    ModelRun,
    Order,
)
from crmind.store.schema_campaigns import CampaignMessage
from tests.campaign_store import CONSENTING, CampaignStore, copy_campaign_store
from tests.privacy_store import ANALYSIS, TARGET, build_full_store, build_store, customer_id_of
from tests.store_probe import count

ACTOR = "cli:dpo"
TRACES = (TARGET.email, TARGET.name, TARGET.phone, TARGET.phone_in_file)
"""What identifies the person: it must be nowhere after the erasure."""


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    build_full_store(engine, tmp_path)
    return engine


def _text_values(engine: Engine) -> list[str]:
    """Every value of every text or JSON column of every table, as text, lower-cased; encrypted
    values read in plain (an erasure must remove the person, not only keep them encrypted)."""
    cipher = cipher_of(engine)
    found: list[str] = []
    inspector = inspect(engine)
    with engine.connect() as conn:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if not isinstance(column["type"], String | Text | JSON) and "JSON" not in str(
                    column["type"]
                ):
                    continue
                name = conn.dialect.identifier_preparer.quote(column["name"])
                quoted = conn.dialect.identifier_preparer.quote(table)
                values = conn.execute(
                    text(f"SELECT CAST({name} AS TEXT) FROM {quoted} WHERE {name} IS NOT NULL")
                ).scalars()
                found.extend(str(cipher.reveal(str(v))).lower() for v in values)
    return found


def _traces_in(values: list[str]) -> set[str]:
    return {trace for trace in TRACES if any(trace.lower() in value for value in values)}


def test_an_unknown_customer_cannot_be_erased(sqlite_engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="4242"):
        erase_customer(sqlite_engine, 4242, actor=ACTOR)


def test_erasure_leaves_no_trace_of_the_person_in_any_table(store: Engine) -> None:
    person = customer_id_of(store)
    orders = count(store, Order)
    assert _traces_in(_text_values(store)) >= {TARGET.email, TARGET.name, TARGET.phone_in_file}
    result = erase_customer(store, person, actor=ACTOR, reason="request 2024-17")
    assert _traces_in(_text_values(store)) == set()
    assert count(store, Order) == orders  # orders stay for the accounts
    with store.connect() as conn:
        shell = conn.execute(select(Customer).where(Customer.id == person)).one()
        feedback = conn.execute(
            select(Feedback.text).where(Feedback.customer_id == person)
        ).scalar_one()
        messages = set(conn.execute(select(Message.text)).scalars())
    assert (shell.id, shell.name, shell.email, shell.phone) == (person, None, None, None)
    assert feedback == ERASED_TEXT
    assert messages == {ERASED_TEXT}
    assert result.rows["customer_identities"] == 3
    assert result.rows["import_rejects"] == 1  # the rejected row that named the person
    assert result.rows["customer_profiles"] == 1
    assert result.rows["feedback_analyses"] == 1


def test_erasure_leaves_no_trace_in_the_raw_sqlite_file(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Deleted content must not linger in free pages or the WAL: crmind runs SQLite with
    ``secure_delete`` and checkpoints the WAL after an erasure; no VACUUM here."""
    build_store(sqlite_engine, tmp_path)
    analyse_feedback(sqlite_engine, TextOptions(topics=2))
    path = sqlite_path(str(sqlite_engine.url))
    assert path is not None

    def file_bytes() -> bytes:
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists()).lower()

    before = file_bytes()
    assert all(t.lower().encode() in before for t in (TARGET.email, TARGET.phone_in_file))
    result = erase_customer(sqlite_engine, customer_id_of(sqlite_engine), actor=ACTOR)
    assert result.wal_checkpointed is True
    after = file_bytes()
    assert [t for t in TRACES if t.lower().encode() in after] == []
    assert b"person1@example.com" in after  # the scan does see what is really there


def test_erasing_twice_is_harmless_and_both_requests_are_recorded(store: Engine) -> None:
    person = customer_id_of(store)
    first = erase_customer(store, person, actor=ACTOR)
    again = erase_customer(store, person, actor=ACTOR)
    assert first.total > 0
    assert again.total == 0
    records = erasures_of(store, person)
    assert [r["requested_by"] for r in records] == [ACTOR, ACTOR]
    assert records[0]["rows"] == first.rows
    assert TARGET.email not in json.dumps(records, default=str)
    _, erase_entries = search(store, AuditQuery(action="erase", customer_id=person))
    assert erase_entries == 2


def test_erasure_flags_every_completed_model_run_for_retraining(store: Engine) -> None:
    result = erase_customer(store, customer_id_of(store), actor=ACTOR)
    with store.connect() as conn:
        reasons = set(
            conn.execute(select(ModelRun.retrain_reason).where(ModelRun.status == "completed"))
            .scalars()
            .all()
        )
    assert reasons == {f"erasure {result.erasure_id}"}
    assert result.rows["model_runs"] >= 3  # analysis, recommendations, feedback text


def test_an_erased_person_is_not_profiled_again(store: Engine) -> None:
    person = customer_id_of(store)
    erase_customer(store, person, actor=ACTOR)
    assert person in profiling_excluded(store)
    run = run_analysis(store, ANALYSIS)
    with store.connect() as conn:
        profiled = conn.execute(
            select(func.count()).where(
                CustomerProfile.model_run_id == run.run_id, CustomerProfile.customer_id == person
            )
        ).scalar_one()
    assert profiled == 0


def test_erasure_covers_the_customers_merged_into_the_person(store: Engine) -> None:
    person = customer_id_of(store)
    duplicate = customer_id_of(store, "C008")
    with store.begin() as conn:
        conn.execute(update(Customer).where(Customer.id == duplicate).values(merged_into=person))
    result = erase_customer(store, duplicate, actor=ACTOR)  # asked under the merged id
    assert result.customer_id == person
    assert set(result.customers) == {person, duplicate}
    values = _text_values(store)
    assert not any("person8@example.com" in value for value in values)
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Erasure)).scalar_one() == 1


def test_crmind_runs_sqlite_with_secure_delete(sqlite_engine: Engine) -> None:
    """Not every SQLite build zeroes deleted content by default; crmind asks for it."""
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar_one() == 1


def test_no_key_search_token_or_derived_row_of_the_person_is_left(store: Engine) -> None:
    """Keyed hashes are personal data too; derived tables of later schema versions (live
    state) are covered by name."""
    person = customer_id_of(store)
    tables = [
        Base.metadata.tables[n]
        for n in (*KEY_TABLES, *PROFILING_TABLES)
        if n in Base.metadata.tables
    ]
    live = Base.metadata.tables.get("customer_live_state")
    if live is not None:
        with store.begin() as conn:
            conn.execute(live.insert().values(customer_id=person))

    def left() -> dict[str, int]:
        with store.connect() as conn:
            return {
                t.name: int(
                    conn.execute(
                        select(func.count()).select_from(t).where(t.c.customer_id == person)
                    ).scalar_one()
                )
                for t in tables
            }

    assert sum(left().values()) > 0
    erase_customer(store, person, actor=ACTOR)
    assert left() == dict.fromkeys(left(), 0)


def test_an_address_known_only_from_an_order_is_blanked_in_rejected_rows(
    engine: Engine, tmp_path: Path
) -> None:
    from crmind.ingest.fields import ImportKind
    from crmind.services.importing import ImportRequest, import_file

    build_store(engine, tmp_path, analyse=False)
    second = "zq.second.address@privacy-example.org"
    orders = tmp_path / "more_orders.csv"
    orders.write_text(
        "order,customer_id,email,amount,date,sku\n"
        f"P-1,{TARGET.key},{second},20,2024-05-01,SKU1\n"
        f"P-2,{TARGET.key},{second},20,not-a-date,SKU1\n",  # rejected, with the address
        encoding="utf-8",
    )
    import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=orders, source="shop"))
    with engine.connect() as conn:
        raws = conn.execute(text("SELECT raw FROM import_rejects")).scalars().all()
    assert raws
    assert all(is_encrypted(raw) for raw in raws)
    assert any(second in value for value in _text_values(engine))  # the reject names it
    erase_customer(engine, customer_id_of(engine), actor=ACTOR)
    assert not any(second in value for value in _text_values(engine))


def test_export_and_erasure_reach_campaign_messages(
    campaign_template: CampaignStore, tmp_path: Path
) -> None:
    store = copy_campaign_store(campaign_template, tmp_path / "store")
    spec = CampaignSpec.model_validate(
        {
            "name": "offer",
            "content": {"subject": {"en": "Hi"}, "text": {"en": "x"}, "coupon_prefix": "OF"},
            "experiment": {"holdout": 0.0},
        }
    )
    create_campaign(store.engine, spec)
    run_campaigns(store.engine, store.settings, send=False)
    person = store.ids[sorted(CONSENTING)[0]]

    exported = export_customer(store.engine, person, actor="test")
    assert exported["campaign_messages"][0]["campaign"] == "offer"
    assert exported["campaign_messages"][0]["content"]["coupon"].startswith("OF")

    result = erase_customer(store.engine, person, actor="test")
    assert result.rows["campaign_messages"] == 1
    with store.engine.connect() as conn:
        status, reason, content = conn.execute(
            select(CampaignMessage.status, CampaignMessage.reason, CampaignMessage.content).where(
                CampaignMessage.customer_id == person
            )
        ).one()
    assert (status, reason, content) == ("skipped", "customer erased", None)
