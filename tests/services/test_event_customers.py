from __future__ import annotations

import polars as pl
import pytest

from crmind.services.event_customers import RejectedEventsError, normalised_contacts


def contacts(emails: list[str | None], phones: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"_row": list(range(len(emails))), "email": emails, "phone": phones},
        schema={"_row": pl.Int64, "email": pl.String, "phone": pl.String},
    )


def test_contacts_are_stored_as_imports_store_them() -> None:
    frame = normalised_contacts(
        contacts([" Ann@Example.COM ", None], ["07911 123456", "+33 1 42 68 53 00"]), "GB"
    )
    assert frame["email"].to_list() == ["ann@example.com", None]
    assert frame["phone"].to_list() == ["+447911123456", "+33142685300"]


def test_every_implausible_contact_is_named_by_index_and_field() -> None:
    with pytest.raises(RejectedEventsError) as refused:
        normalised_contacts(contacts(["ok@example.com", "nope", None], [None, "12", "x"]), "GB")
    assert [(p.index, p.field) for p in refused.value.problems] == [
        (1, "email"),
        (1, "phone"),
        (2, "phone"),
    ]
    assert "event 1, email" in str(refused.value)


def test_a_batch_without_contacts_is_left_as_it_is() -> None:
    frame = contacts([None, None], [None, None])
    assert normalised_contacts(frame, "GB").equals(frame)
