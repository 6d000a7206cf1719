"""The column-name vocabulary shared by every frame crmind passes between its packages.

Import the constants instead of spelling names as strings, so a rename is one edit and a typo is an
``AttributeError`` rather than a silent empty column.
"""

from __future__ import annotations

from typing import Final

# keys
CUSTOMER_ID: Final = "customer_id"
PRODUCT_ID: Final = "product_id"
ORDER_ID: Final = "order_id"
EVENT_ID: Final = "event_id"
FEEDBACK_ID: Final = "feedback_id"
SOURCE: Final = "source"
SOURCE_KEY: Final = "source_key"

# people
NAME: Final = "name"
FIRST_NAME: Final = "first_name"
LAST_NAME: Final = "last_name"
EMAIL: Final = "email"
PHONE: Final = "phone"
COUNTRY: Final = "country"
CITY: Final = "city"
POSTCODE: Final = "postcode"
ADDRESS: Final = "address"
BIRTH_DATE: Final = "birth_date"
GENDER: Final = "gender"

# products
PRODUCT_NAME: Final = "product_name"
DESCRIPTION: Final = "description"
CATEGORY: Final = "category"
BRAND: Final = "brand"
PRICE: Final = "price"

# orders and order lines
ORDER_NUMBER: Final = "order_number"
LINE_NUMBER: Final = "line_number"
QUANTITY: Final = "quantity"
UNIT_PRICE: Final = "unit_price"
AMOUNT: Final = "amount"
CURRENCY: Final = "currency"
IS_RETURN: Final = "is_return"
IS_OUTLIER: Final = "is_outlier"
STATUS: Final = "status"

# time and channel
OCCURRED_AT: Final = "occurred_at"
CREATED_AT: Final = "created_at"
CHANNEL: Final = "channel"

# events and feedback
EVENT_TYPE: Final = "event_type"
PROPERTIES: Final = "properties"
TEXT: Final = "text"
RATING: Final = "rating"
LANGUAGE: Final = "language"

# bookkeeping of an import
ROW: Final = "_row"
"""Where a record sits in its file, as a person looks for it (see ``crmind.ingest.readers``)."""
