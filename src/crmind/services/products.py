"""Use cases: find products in the catalogue, read one, add one, change one.

Products made through the API get the source ``api`` unless the caller names another; the pair
(source, sku) is unique, as for imported products.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crmind.errors import CrmindError, NotFoundError
from crmind.services.orders_query import finite
from crmind.store.db import unit_of_work
from crmind.store.schema import Product

ProductSort = Literal["id", "-id", "name", "-name", "price", "-price"]

EDITABLE_FIELDS = ("name", "description", "category", "brand", "price", "attributes")
API_SOURCE = "api"


class DuplicateProductError(CrmindError):
    """A product with this source and sku exists already."""


@dataclass(frozen=True)
class ProductQuery:
    text: str | None = None  # a sku, or part of a name
    category: str | None = None
    brand: str | None = None
    source: str | None = None
    sort: ProductSort = "id"
    limit: int = 50
    offset: int = 0


def _fields(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "source": product.source,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "brand": product.brand,
        "price": finite(product.price),
        "attributes": product.attributes,
        "created_at": product.created_at,
    }


def search_products(engine: Engine, query: ProductQuery) -> tuple[list[dict[str, Any]], int]:
    """Products matching ``query``, and how many match in all."""
    conditions: list[Any] = []
    text = (query.text or "").strip()
    if text:
        conditions.append(
            or_(
                Product.sku == text,
                func.lower(Product.name).contains(text.lower(), autoescape=True),
            )
        )
    if query.category is not None:
        conditions.append(Product.category == query.category)
    if query.brand is not None:
        conditions.append(Product.brand == query.brand)
    if query.source is not None:
        conditions.append(Product.source == query.source)
    column: Any = {"id": Product.id, "name": Product.name, "price": Product.price}[
        query.sort.lstrip("-")
    ]
    descending = query.sort.startswith("-")
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Product).where(*conditions))
        rows = session.scalars(
            select(Product)
            .where(*conditions)
            .order_by(order, Product.id)
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_fields(p) for p in rows], int(count or 0)


def get_product(engine: Engine, product_id: int) -> dict[str, Any]:
    """One product; NotFoundError if unknown."""
    with Session(engine) as session:
        product = session.get(Product, product_id)
        if product is None:
            raise NotFoundError(f"no product with id {product_id}")
        return _fields(product)


def create_product(engine: Engine, sku: str, values: dict[str, Any]) -> dict[str, Any]:
    """Add a product; ``values`` may hold ``source`` and the editable fields.
    DuplicateProductError when (source, sku) exists already."""
    source = values.get("source") or API_SOURCE
    fields = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    try:
        with unit_of_work(engine) as session:
            product = Product(source=source, sku=sku, **fields)
            session.add(product)
            session.flush()
            return _fields(product)
    except IntegrityError as exc:
        raise DuplicateProductError(
            f"a product with source {source!r} and sku {sku!r} exists already"
        ) from exc


def update_product(engine: Engine, product_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Set the given fields (None clears one); NotFoundError for an unknown product."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise CrmindError(f"fields that cannot be changed: {', '.join(sorted(unknown))}")
    with unit_of_work(engine) as session:
        product = session.get(Product, product_id)
        if product is None:
            raise NotFoundError(f"no product with id {product_id}")
        for name, value in changes.items():
            setattr(product, name, value)
        session.flush()
        return _fields(product)
