from __future__ import annotations

from pathlib import Path

import pytest

from crmind.errors import MappingError
from crmind.ingest.fields import ImportKind
from crmind.ingest.mapping import normalize_name, parse_map_option, resolve_mapping
from crmind.ingest.presets import PRESETS

FILE = Path("orders.csv")


def test_names_match_whatever_their_case_and_punctuation() -> None:
    assert normalize_name("Customer ID") == normalize_name("customer_id") == "customerid"


def test_synonyms_map_a_typical_shop_export() -> None:
    header = ["Order ID", "E-Mail", "SKU", "Qty", "Price", "Order Date", "Notes"]
    mapping = resolve_mapping(FILE, ImportKind.ORDERS, header)
    assert mapping.columns == {
        "order_number": "Order ID",
        "email": "E-Mail",
        "product_id": "SKU",
        "quantity": "Qty",
        "unit_price": "Price",
        "occurred_at": "Order Date",
    }
    assert mapping.unused == ("Notes",)


def test_explicit_map_wins_over_names() -> None:
    header = ["order_number", "when", "occurred_at", "amount"]
    mapping = resolve_mapping(FILE, ImportKind.ORDERS, header, {"when": "occurred_at"})
    assert mapping.column_for("occurred_at") == "when"
    assert "occurred_at" in mapping.unused


def test_preset_maps_the_uci_online_retail_header() -> None:
    header = list(PRESETS["online-retail"].columns)
    mapping = resolve_mapping(FILE, ImportKind.ORDERS, header, preset=PRESETS["online-retail"])
    assert mapping.column_for("order_number") == "InvoiceNo"
    assert mapping.column_for("product_name") == "Description"
    assert mapping.unused == ()


def test_cdnow_preset_needs_no_order_number_column() -> None:
    header = ["customer_id", "date", "number_of_cds", "dollar_value"]
    mapping = resolve_mapping(FILE, ImportKind.ORDERS, header, preset=PRESETS["cdnow"])
    assert mapping.column_for("amount") == "dollar_value"


def test_missing_required_field_names_the_file_field_and_columns() -> None:
    with pytest.raises(MappingError) as info:
        resolve_mapping(FILE, ImportKind.ORDERS, ["order_number", "amount"])
    message = str(info.value)
    assert message.startswith("orders.csv:")
    assert "'occurred_at'" in message
    assert "['order_number', 'amount']" in message


def test_orders_need_a_price_or_an_amount() -> None:
    with pytest.raises(MappingError, match="unit_price or amount"):
        resolve_mapping(FILE, ImportKind.ORDERS, ["order_number", "date"])


def test_customers_need_some_identity() -> None:
    with pytest.raises(MappingError, match="customer_id or email or phone"):
        resolve_mapping(Path("c.csv"), ImportKind.CUSTOMERS, ["first_name", "city"])


def test_map_to_an_unknown_field_is_refused() -> None:
    with pytest.raises(MappingError, match="unknown field 'colour'"):
        resolve_mapping(FILE, ImportKind.PRODUCTS, ["id"], {"id": "colour"})


def test_map_of_a_missing_column_is_refused() -> None:
    with pytest.raises(MappingError, match="no column 'Nope'"):
        resolve_mapping(FILE, ImportKind.PRODUCTS, ["id"], {"Nope": "product_id"})


def test_map_option_parses_pairs_and_rejects_malformed_ones() -> None:
    assert parse_map_option(["A b=email", "x=y=phone"]) == {"A b": "email", "x=y": "phone"}
    with pytest.raises(MappingError, match="source_column=field"):
        parse_map_option(["justaname"])
