from pathlib import Path

import pytest

from crmind.errors import ImportFileError
from crmind.services.campaign_lists import read_customer_list
from tests.campaign_store import CampaignStore, copy_campaign_store


@pytest.fixture
def store(campaign_template: CampaignStore, tmp_path: Path) -> CampaignStore:
    return copy_campaign_store(campaign_template, tmp_path / "store")


def test_an_email_list_is_matched_by_address_and_misses_are_named(
    store: CampaignStore, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("email\n C3@Example.com \nc4@example.com\nnobody@example.com\nnot an address\n")
    match = read_customer_list(store.engine, path)
    assert match.customer_ids == sorted([store.ids[3], store.ids[4]])
    assert match.unmatched == [
        "row 4: no customer with e-mail 'nobody@example.com'",
        "row 5: no customer with e-mail 'not an address'",
    ]


def test_an_id_list_keeps_known_ids(store: CampaignStore, tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(f"customer_id\n{store.ids[1]}\n{store.ids[2]}\n99999\n")
    match = read_customer_list(store.engine, path)
    assert match.customer_ids == [store.ids[1], store.ids[2]]
    assert match.unmatched == ["row 4: no customer '99999'"]


def test_a_list_without_either_column_is_refused_with_the_file(
    store: CampaignStore, tmp_path: Path
) -> None:
    path = tmp_path / "names.csv"
    path.write_text("name\nAda\n")
    with pytest.raises(ImportFileError, match=r"names\.csv: a customer list needs"):
        read_customer_list(store.engine, path)
