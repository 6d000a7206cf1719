"""An app built from the environment, for servers that import a factory by name
(``uvicorn crmind.api.factory:app_from_environment --factory``, several workers)."""

from fastapi import FastAPI

from crmind.api.app import create_app
from crmind.config import get_settings


def app_from_environment() -> FastAPI:
    return create_app(get_settings())
