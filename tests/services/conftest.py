from pathlib import Path

import pytest

from tests.campaign_store import CampaignStore, build_campaign_store


@pytest.fixture(scope="session")
def campaign_template(tmp_path_factory: pytest.TempPathFactory) -> CampaignStore:
    """The campaign test store, built once; tests work on copies (copy_campaign_store)."""
    store = build_campaign_store(Path(tmp_path_factory.mktemp("campaign-template")))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return store
