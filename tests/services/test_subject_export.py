"""Subject access: a person's export holds all of their data, decrypted, and nobody else's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crmind.errors import NotFoundError
from crmind.privacy.consent import PROFILING
from crmind.services.audit import AuditQuery, search
from crmind.services.consents import record_consent
from crmind.services.subject_export import export_customer, export_json
from tests.privacy_store import TARGET, build_full_store, customer_id_of

ACTOR = "cli:dpo"


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    build_full_store(engine, tmp_path)
    return engine


def test_the_export_holds_the_persons_data_and_nobody_elses(store: Engine) -> None:
    person = customer_id_of(store)
    document = json.loads(export_json(export_customer(store, person, actor=ACTOR)))
    assert document["customer_id"] == person
    assert document["customers"][0]["contact"]["email"] == TARGET.email  # decrypted
    assert document["customers"][0]["contact"]["name"] == TARGET.name
    assert {i["customer_id"] for i in document["identities"]} == {person}
    assert "enc1:" not in export_json(document)  # every encrypted value is shown decrypted
    assert len(document["orders"]) >= 4
    assert all(order["lines"] for order in document["orders"])
    assert {e["customer_id"] for e in document["events"]} == {person}
    assert document["feedback"][0]["text"].startswith("Terrible service")
    assert document["feedback"][0]["analyses"][0]["label"] == "negative"
    assert document["conversations"][0]["messages"][0]["role"] == "customer"
    for derived in ("profiles", "segments", "scores", "recommendations"):
        assert document[derived], derived
    assert [c["purpose"] for c in document["consents"]] == ["marketing_email"]
    (reject,) = document["import_rejects"]  # the rejected row that named the person, in plain
    assert TARGET.email in reject["raw"]
    rows_about = [
        row
        for key in ("profiles", "scores", "recommendations", "segments", "consents", "audit")
        for row in document[key]
    ]
    assert {row["customer_id"] for row in rows_about} == {person}
    exported = export_json(document).lower()
    assert "person1@example.com" not in exported
    assert "person number" not in exported  # no other customer's name
    entries, _ = search(store, AuditQuery(action="export", customer_id=person))
    assert [e["actor"] for e in entries] == [ACTOR]


def test_withdrawn_profiling_consent_survives_in_the_export(store: Engine) -> None:
    person = customer_id_of(store)
    record_consent(store, person, PROFILING, "withdraw", source="letter", actor=ACTOR)
    document = export_customer(store, person, actor=ACTOR)
    assert document["profiles"] == []
    assert document["scores"] == []
    assert [c["purpose"] for c in document["consents"]] == ["marketing_email", PROFILING]


def test_an_unknown_customer_cannot_be_exported(sqlite_engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="4242"):
        export_customer(sqlite_engine, 4242, actor=ACTOR)
