"""Consent: decisions recorded with their history, and a withdrawal of profiling respected."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from crmind.errors import NotFoundError
from crmind.privacy.consent import MARKETING_EMAIL, PROFILING, UnknownPurposeError
from crmind.services.analysis import run_analysis
from crmind.services.audit import AuditQuery, search
from crmind.services.consents import (
    consent_history,
    current_consents,
    profiling_excluded,
    record_consent,
    withdrawn,
)
from crmind.services.recommendation import RecommendOptions, train_and_recommend
from crmind.store.schema import (
    Customer,
    CustomerProfile,
    CustomerScore,
    Recommendation,
    Segment,
    SegmentMember,
)
from tests.privacy_store import ANALYSIS, CUSTOMERS, build_store, customer_id_of

ACTOR = "cli:tester"


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    build_store(engine, tmp_path)
    return engine


def _rows_of(engine: Engine, customer_id: int) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            model.__tablename__: int(
                conn.execute(
                    select(func.count()).where(model.customer_id == customer_id)
                ).scalar_one()
            )
            for model in (CustomerProfile, CustomerScore, SegmentMember, Recommendation)
        }


def test_decisions_are_kept_and_the_newest_is_in_force(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    build_store(sqlite_engine, tmp_path, analyse=False)
    person = customer_id_of(sqlite_engine)
    record_consent(sqlite_engine, person, MARKETING_EMAIL, "grant", source="signup", actor=ACTOR)
    record_consent(sqlite_engine, person, PROFILING, "grant", source="signup", actor=ACTOR)
    record_consent(
        sqlite_engine, person, MARKETING_EMAIL, "withdraw", source="unsubscribe link", actor=ACTOR
    )
    current = current_consents(sqlite_engine, person)
    assert {p: r.decision for p, r in current.items()} == {
        MARKETING_EMAIL: "withdraw",
        PROFILING: "grant",
    }
    assert current[MARKETING_EMAIL].source == "unsubscribe link"
    assert current[MARKETING_EMAIL].recorded_by == ACTOR
    assert len(consent_history(sqlite_engine, person)) == 3
    assert withdrawn(sqlite_engine, MARKETING_EMAIL) == {person}
    assert withdrawn(sqlite_engine, PROFILING) == set()
    entries, count = search(sqlite_engine, AuditQuery(action="consent", customer_id=person))
    assert count == 3
    assert {e["actor"] for e in entries} == {ACTOR}


def test_a_grant_after_a_withdrawal_lifts_it(sqlite_engine: Engine, tmp_path: Path) -> None:
    build_store(sqlite_engine, tmp_path, analyse=False)
    person = customer_id_of(sqlite_engine)
    record_consent(sqlite_engine, person, PROFILING, "withdraw", source="email", actor=ACTOR)
    assert profiling_excluded(sqlite_engine) == {person}
    record_consent(sqlite_engine, person, PROFILING, "grant", source="email", actor=ACTOR)
    assert profiling_excluded(sqlite_engine) == set()


def test_unknown_purposes_and_customers_are_refused(sqlite_engine: Engine) -> None:
    with pytest.raises(UnknownPurposeError):
        record_consent(sqlite_engine, 1, "telemarketing", "grant", source="x", actor=ACTOR)
    with pytest.raises(NotFoundError, match="no customer with id 4242"):
        record_consent(sqlite_engine, 4242, PROFILING, "grant", source="x", actor=ACTOR)


def test_withdrawing_profiling_deletes_the_persons_profiling_data_and_no_one_elses(
    store: Engine, tmp_path: Path
) -> None:
    train_and_recommend(store, RecommendOptions(model="popularity", k=3, test_days=20), tmp_path)
    person = customer_id_of(store)
    before = _rows_of(store, person)
    assert all(before.values()), before
    with store.connect() as conn:
        sizes_before = int(conn.execute(select(func.sum(Segment.size))).scalar_one())
        others_before = int(
            conn.execute(select(func.count()).select_from(CustomerScore)).scalar_one()
        )
    change = record_consent(store, person, PROFILING, "withdraw", source="phone call", actor=ACTOR)
    assert {k: v for k, v in change.deleted.items() if k in before} == before
    assert _rows_of(store, person) == dict.fromkeys(before, 0)
    with store.connect() as conn:
        sizes_after = int(conn.execute(select(func.sum(Segment.size))).scalar_one())
        others_after = int(
            conn.execute(select(func.count()).select_from(CustomerScore)).scalar_one()
        )
    assert sizes_after == sizes_before - before["segment_members"]  # sizes stay true
    assert others_after == others_before - before["customer_scores"]


def test_pipelines_after_a_withdrawal_store_nothing_about_the_person(
    store: Engine, tmp_path: Path
) -> None:
    person = customer_id_of(store)
    record_consent(store, person, PROFILING, "withdraw", source="web form", actor=ACTOR)
    result = run_analysis(store, ANALYSIS)
    train_and_recommend(store, RecommendOptions(model="popularity", k=3, test_days=20), tmp_path)
    assert _rows_of(store, person) == dict.fromkeys(_rows_of(store, person), 0)
    with store.connect() as conn:
        profiled = conn.execute(
            select(func.count()).where(CustomerProfile.model_run_id == result.run_id)
        ).scalar_one()
        sizes = set(
            conn.execute(
                select(func.sum(Segment.size))
                .where(Segment.model_run_id == result.run_id)
                .group_by(Segment.kind)
            ).scalars()
        )
    assert profiled == CUSTOMERS - 1  # everyone else is still profiled
    assert sizes == {CUSTOMERS - 1}


def test_consent_of_a_merged_customer_is_the_survivors(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    build_store(sqlite_engine, tmp_path, analyse=False)
    person = customer_id_of(sqlite_engine)
    other = customer_id_of(sqlite_engine, "C008")
    with sqlite_engine.begin() as conn:
        conn.execute(update(Customer).where(Customer.id == other).values(merged_into=person))
    change = record_consent(
        sqlite_engine,
        other,
        PROFILING,
        "withdraw",
        source="letter",
        actor=ACTOR,
        recorded_at=datetime(2024, 5, 1),
    )
    assert change.customer_id == person
    assert current_consents(sqlite_engine, other)[PROFILING].granted is False
