"""The REST API: ``create_app(settings)`` builds it; ``crmind serve`` runs it with uvicorn.

Layout (as the FastAPI full-stack template's API layer): ``deps.py`` typed dependencies
(engine, the calling principal, permission checks), ``problems.py`` errors as RFC 9457 problem
details, ``audit.py`` the middleware that records every change and every read of personal data,
``schemas/`` one family of models per entity, ``routes/`` one router per resource. Routes hold
no SQL: they call services/.
"""

from crmind.api.app import create_app

__all__ = ["create_app"]
