"""What each kind of import stores: its fields, their types, and the names files use for them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crmind import columns as c


class ImportKind(StrEnum):
    ORDERS = "orders"
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    EVENTS = "events"
    FEEDBACK = "feedback"


class FieldType(StrEnum):
    KEY = "key"  # an identifier kept as text, e.g. "536365" or "85123A"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    DATE = "date"
    EMAIL = "email"
    PHONE = "phone"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class FieldSpec:
    """One field of an import: its canonical name, type, and the column names that mean it."""

    name: str
    type: FieldType
    required: bool = False
    synonyms: tuple[str, ...] = ()
    max_chars: int = 10_000


def _f(name: str, ftype: FieldType, *synonyms: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, ftype, required, synonyms)


_CUSTOMER_KEY = _f(
    c.CUSTOMER_ID,
    FieldType.KEY,
    "customerid",
    "customer",
    "client",
    "custid",
    "customerno",
    "customernumber",
    "clientid",
    "userid",
    "memberid",
    "contactid",
    "buyerid",
)
_EMAIL = _f(c.EMAIL, FieldType.EMAIL, "emailaddress", "mail", "e_mail")
_PHONE = _f(c.PHONE, FieldType.PHONE, "phonenumber", "telephone", "tel", "mobile", "cellphone")
_PRODUCT_KEY = _f(
    c.PRODUCT_ID, FieldType.KEY, "stockcode", "sku", "itemid", "productcode", "articleid", "itemno"
)
_PRODUCT_NAME = _f(c.PRODUCT_NAME, FieldType.TEXT, "productname", "itemname", "title", "name")
_OCCURRED_SYNONYMS = (
    "invoicedate",
    "orderdate",
    "date",
    "datetime",
    "timestamp",
    "time",
    "createdat",
    "purchasedate",
    "eventtime",
)
_OCCURRED = _f(c.OCCURRED_AT, FieldType.DATETIME, *_OCCURRED_SYNONYMS, required=True)
_CHANNEL = _f(c.CHANNEL, FieldType.TEXT, "source_channel", "medium")
_COUNTRY = _f(c.COUNTRY, FieldType.TEXT, "countryname", "nation")

FIELDS: dict[ImportKind, tuple[FieldSpec, ...]] = {
    ImportKind.ORDERS: (
        _f(
            c.ORDER_NUMBER,
            FieldType.KEY,
            "invoiceno",
            "invoice",
            "orderid",
            "orderno",
            "invoiceid",
            "order",
            "ordernumber",
            required=True,
        ),
        _CUSTOMER_KEY,
        _EMAIL,
        _PHONE,
        _f(c.NAME, FieldType.TEXT, "customername", "fullname"),
        _PRODUCT_KEY,
        _f(c.PRODUCT_NAME, FieldType.TEXT, "productname", "description", "itemname", "title"),
        _f(c.CATEGORY, FieldType.TEXT, "productcategory", "category_name"),
        _f(c.QUANTITY, FieldType.DECIMAL, "qty", "units", "numberofitems", "number_of_cds"),
        _f(c.UNIT_PRICE, FieldType.DECIMAL, "unitprice", "price", "itemprice"),
        _f(
            c.AMOUNT,
            FieldType.DECIMAL,
            "total",
            "linetotal",
            "value",
            "revenue",
            "sales",
            "dollar_value",
        ),
        _OCCURRED,
        _f(c.CURRENCY, FieldType.TEXT, "currencycode"),
        _CHANNEL,
        _COUNTRY,
        _f(c.STATUS, FieldType.TEXT, "orderstatus"),
        _f(c.IS_RETURN, FieldType.BOOLEAN, "return", "isreturn", "refund", "cancelled"),
    ),
    ImportKind.CUSTOMERS: (
        _CUSTOMER_KEY,
        _EMAIL,
        _PHONE,
        _f(c.NAME, FieldType.TEXT, "fullname", "customername"),
        _f(c.FIRST_NAME, FieldType.TEXT, "firstname", "givenname", "forename"),
        _f(c.LAST_NAME, FieldType.TEXT, "lastname", "surname", "familyname"),
        _COUNTRY,
        _f(c.CITY, FieldType.TEXT, "town"),
        _f(c.POSTCODE, FieldType.TEXT, "zip", "zipcode", "postalcode"),
        _f(c.ADDRESS, FieldType.TEXT, "street", "address1", "streetaddress"),
        _f(c.BIRTH_DATE, FieldType.DATE, "birthdate", "dob", "dateofbirth", "birthday"),
        _f(c.GENDER, FieldType.TEXT, "sex"),
        _f(c.CREATED_AT, FieldType.DATETIME, "signupdate", "registered", "createdat", "joined"),
    ),
    ImportKind.PRODUCTS: (
        _f(c.PRODUCT_ID, FieldType.KEY, *_PRODUCT_KEY.synonyms, "id", required=True),
        _PRODUCT_NAME,
        _f(c.DESCRIPTION, FieldType.TEXT, "details", "body"),
        _f(c.CATEGORY, FieldType.TEXT, "productcategory", "categories", "genre"),
        _f(c.BRAND, FieldType.TEXT, "manufacturer", "vendor"),
        _f(c.PRICE, FieldType.DECIMAL, "unitprice", "listprice"),
    ),
    ImportKind.EVENTS: (
        _f(c.EVENT_ID, FieldType.KEY, "eventid", "id", "messageid"),
        _f(c.EVENT_TYPE, FieldType.TEXT, "type", "event", "eventname", "action", required=True),
        _OCCURRED,
        _CUSTOMER_KEY,
        _EMAIL,
        _PHONE,
        _CHANNEL,
        _f(c.PRODUCT_ID, FieldType.KEY, *_PRODUCT_KEY.synonyms),
    ),
    ImportKind.FEEDBACK: (
        _f(c.FEEDBACK_ID, FieldType.KEY, "feedbackid", "reviewid", "id", "responseid"),
        _f(
            c.TEXT,
            FieldType.TEXT,
            "review",
            "comment",
            "body",
            "message",
            "content",
            "sentence",
            "feedback",
            required=True,
        ),
        _f(c.RATING, FieldType.DECIMAL, "stars", "score", "label"),
        _CUSTOMER_KEY,
        _EMAIL,
        _PHONE,
        _f(c.PRODUCT_ID, FieldType.KEY, *_PRODUCT_KEY.synonyms),
        _f(
            c.ORDER_NUMBER, FieldType.KEY, "invoiceno", "orderid", "orderno", "order", "ordernumber"
        ),
        _f(c.OCCURRED_AT, FieldType.DATETIME, *_OCCURRED_SYNONYMS),
        _CHANNEL,
        _f(c.LANGUAGE, FieldType.TEXT, "lang", "locale"),
    ),
}

IDENTITY_FIELDS = (c.CUSTOMER_ID, c.EMAIL, c.PHONE)
"""Fields that identify a customer; a customers row needs at least one of them."""


def fields_of(kind: ImportKind) -> dict[str, FieldSpec]:
    """The fields of ``kind`` by canonical name."""
    return {spec.name: spec for spec in FIELDS[kind]}
