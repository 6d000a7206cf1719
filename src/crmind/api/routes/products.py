"""Products: search the catalogue, read one; admins add and change products."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, require
from crmind.api.problems import ConflictError
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.products import (
    NO_NUL,
    ProductCreate,
    ProductPublic,
    ProductsPublic,
    ProductUpdate,
)
from crmind.services.products import (
    DuplicateProductError,
    ProductQuery,
    ProductSort,
    create_product,
    get_product,
    search_products,
    update_product,
)

router = APIRouter(prefix="/products", tags=["products"])

Reader = Depends(require(Permission.PRODUCTS_READ))
Writer = Depends(require(Permission.PRODUCTS_WRITE))


@router.get("", dependencies=[Reader])
def list_products(
    engine: EngineDep,
    q: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="A sku, or part of a name."),
    ] = None,
    category: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    brand: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    source: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    sort: ProductSort = "id",
    limit: Limit = 50,
    offset: Offset = 0,
) -> ProductsPublic:
    """Search the catalogue. Example: `GET /products?q=mug&sort=-price`"""
    rows, count = search_products(
        engine,
        ProductQuery(
            text=q,
            category=category,
            brand=brand,
            source=source,
            sort=sort,
            limit=limit,
            offset=offset,
        ),
    )
    return ProductsPublic(data=[ProductPublic(**row) for row in rows], count=count)


@router.get("/{product_id}", dependencies=[Reader])
def get_one_product(engine: EngineDep, product_id: RecordId) -> ProductPublic:
    """One product. Example: `GET /products/7`"""
    return ProductPublic(**get_product(engine, product_id))


@router.post("", status_code=201, dependencies=[Writer])
def post_product(engine: EngineDep, body: ProductCreate) -> ProductPublic:
    """Add a product. Example: `POST /products {"sku": "MUG-1", "name": "Mug", "price": 4.5}`"""
    values = body.model_dump(exclude_unset=True, exclude={"sku"})
    try:
        return ProductPublic(**create_product(engine, body.sku, values))
    except DuplicateProductError as exc:
        raise ConflictError(str(exc)) from exc


@router.patch("/{product_id}", dependencies=[Writer])
def patch_product(engine: EngineDep, product_id: RecordId, changes: ProductUpdate) -> ProductPublic:
    """Change a product. Example: `PATCH /products/7 {"price": 5.0}`"""
    return ProductPublic(
        **update_product(engine, product_id, changes.model_dump(exclude_unset=True))
    )
