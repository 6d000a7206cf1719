"""Column layouts of known public data sets, selected with ``--preset NAME``."""

from __future__ import annotations

from dataclasses import dataclass, field

from crmind import columns as c
from crmind.ingest.fields import ImportKind


@dataclass(frozen=True)
class Preset:
    """How to read one known layout.

    ``columns`` maps the file's column names to crmind fields. ``return_prefix`` marks orders whose
    number starts with it as returns. ``order_number_from`` builds an order number from other
    fields when the layout has none (each repeat of the same values gets ``-2``, ``-3``, ...).
    """

    name: str
    kind: ImportKind
    description: str
    columns: dict[str, str]
    source: str
    date_formats: tuple[str, ...] = ()
    return_prefix: str | None = None
    order_number_from: tuple[str, ...] = field(default=())


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="online-retail",
            kind=ImportKind.ORDERS,
            description="UCI Online Retail (Chen, Sain & Guo 2012): one row per invoice line; "
            "invoices starting with 'C' are cancellations (returns).",
            columns={
                "InvoiceNo": c.ORDER_NUMBER,
                "StockCode": c.PRODUCT_ID,
                "Description": c.PRODUCT_NAME,
                "Quantity": c.QUANTITY,
                "InvoiceDate": c.OCCURRED_AT,
                "UnitPrice": c.UNIT_PRICE,
                "CustomerID": c.CUSTOMER_ID,
                "Country": c.COUNTRY,
            },
            source="online-retail",
            date_formats=("%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M"),
            return_prefix="C",
        ),
        Preset(
            name="cdnow",
            kind=ImportKind.ORDERS,
            description="CDNOW master file (Fader & Hardie): customer id, date (YYYYMMDD), number "
            "of CDs, dollar value; one row per purchase, no order number.",
            columns={
                "customer_id": c.CUSTOMER_ID,
                "date": c.OCCURRED_AT,
                "number_of_cds": c.QUANTITY,
                "dollar_value": c.AMOUNT,
            },
            source="cdnow",
            date_formats=("%Y%m%d",),
            order_number_from=(c.CUSTOMER_ID, c.OCCURRED_AT),
        ),
    )
}
