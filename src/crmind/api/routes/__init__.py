"""One router per resource; ``ROUTERS`` is every one of them, in the order of the docs."""

from fastapi import APIRouter
from fastapi.routing import APIRoute

from crmind.api.routes import (
    access,
    audit,
    chat,
    customers,
    events,
    feedback,
    health,
    imports,
    orders,
    privacy,
    products,
    runs,
    segments,
    tickets,
)
from crmind.api.schemas.problems import declare_problems

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    customers.router,
    events.router,
    orders.router,
    products.router,
    segments.router,
    feedback.router,
    tickets.router,
    chat.router,
    privacy.router,
    imports.router,
    runs.router,
    access.router,
    audit.router,
)

for _router in ROUTERS:  # every route but the public health check takes a key
    if _router is not health.router:
        for _route in _router.routes:
            if isinstance(_route, APIRoute):
                declare_problems(_route)
